"""MuleSoft Anypoint Runtime Manager API, as its adapter reads it.

The stand-in for tests and benchmarks: see monitoring/platforms/standin.py."""

from __future__ import annotations

import re
from typing import Any

from monitoring.platforms.standin import REFUSED, Answer, Recorded, StandIn, bearer_ok


class MuleSoftStandIn(StandIn):
    """CloudHub API v2: applications list and one application, Bearer plus org/env headers."""

    def __init__(self, *, token: str, org_id: str, env_id: str, apps: list[dict[str, Any]]) -> None:
        super().__init__()
        self.token, self.org_id, self.env_id = token, org_id, env_id
        self.apps = apps
        self.route("GET", "/cloudhub/api/v2/applications", self._list)
        self.route("GET", r"/cloudhub/api/v2/applications/([\w-]+)", self._one)

    def _refusal(self, request: Recorded) -> Answer | None:
        if not bearer_ok(request, self.token):
            return REFUSED
        if request.headers.get("x-anypnt-env-id") != self.env_id:
            return Answer(403, {"message": "You don't have permissions to access this environment"})
        if request.headers.get("x-anypnt-org-id") != self.org_id:
            return Answer(403, {"message": "You don't have permissions to access this organization"})
        return None

    def _list(self, request: Recorded, match: re.Match[str]) -> Answer:
        return self._refusal(request) or Answer(200, self.apps)

    def _one(self, request: Recorded, match: re.Match[str]) -> Answer:
        if refusal := self._refusal(request):
            return refusal
        app = next((a for a in self.apps if a["domain"] == match.group(1)), None)
        return Answer(200, app) if app else Answer(404, {"message": "Application not found"})
