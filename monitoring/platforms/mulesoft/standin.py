"""MuleSoft Anypoint Platform, as its adapter reads it: the CloudHub 1.0 API, the Application Manager API
(CloudHub 2.0 and Runtime Fabric deployments) and the connected-app token endpoint.

The stand-in for tests and benchmarks: see monitoring/platforms/standin.py."""

from __future__ import annotations

import itertools
import re
import time
from typing import Any

from monitoring.platforms.standin import REFUSED, Answer, Recorded, StandIn, token_client

TOKEN_PATH = "/accounts/api/v2/oauth2/token"  # noqa: S105 (a path, not a password)
AMC = r"/amc/application-manager/api/v2/organizations/([\w-]+)/environments/([\w-]+)/deployments"
# The deploymentItem fields the list carries; the GET of one deployment returns it whole.
LIST_FIELDS = ("id", "name", "creationDate", "lastModifiedDate", "target", "status", "currentRuntimeVersion")


class MuleSoftStandIn(StandIn):
    """Bearer plus org/env headers on every API call; the bearer is `token`, or one this stand-in issued to a
    connected app in `clients` ({client_id: client_secret}) that has neither expired nor been revoked."""

    def __init__(
        self,
        *,
        token: str,
        org_id: str,
        env_id: str,
        apps: list[dict[str, Any]] | None = None,
        deployments: list[dict[str, Any]] | None = None,
        clients: dict[str, str] | None = None,
        token_lifetime: int | None = 3600,
        page_size: int = 20,
    ) -> None:
        super().__init__()
        self.token, self.org_id, self.env_id = token, org_id, env_id
        self.apps = apps if apps is not None else []  # CloudHub 1.0 applications
        self.deployments = deployments if deployments is not None else []  # Application Manager deployments
        self.clients = clients or {}
        self.token_lifetime = token_lifetime  # expires_in of issued tokens; None leaves it out, as the doc's example
        self.page_size = page_size
        self.issued: dict[str, float] = {}  # access token -> when it expires (time.monotonic)
        self._serial = itertools.count(1)
        self.route("POST", TOKEN_PATH, self._token)
        self.route("GET", "/cloudhub/api/v2/applications", self._list)
        self.route("GET", r"/cloudhub/api/v2/applications/([\w-]+)", self._one)
        self.route("GET", AMC, self._deployments)
        self.route("GET", AMC + r"/([\w-]+)", self._deployment)

    @property
    def token_requests(self) -> int:
        return len(self.requests_to(TOKEN_PATH))

    def revoke_tokens(self) -> None:
        """Every token issued so far is refused from now on, as after an expiry the poller did not foresee."""
        self.issued.clear()

    def _token(self, request: Recorded, match: re.Match[str]) -> Answer:
        if isinstance(client := token_client(request, self.clients, Answer(401, {"error": "invalid_client"})), Answer):
            return client
        access_token = f"issued-{next(self._serial)}"
        self.issued[access_token] = time.monotonic() + (self.token_lifetime or 3600)
        body: dict[str, Any] = {"access_token": access_token, "token_type": "bearer"}
        if self.token_lifetime is not None:
            body["expires_in"] = self.token_lifetime
        return Answer(200, body)

    def _authorized(self, request: Recorded) -> bool:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or not presented:
            return False
        return presented == self.token or self.issued.get(presented, 0.0) > time.monotonic()

    def _refusal(self, request: Recorded, org_id: str | None = None, env_id: str | None = None) -> Answer | None:
        if not self._authorized(request):
            return REFUSED
        if (env_id or request.headers.get("x-anypnt-env-id")) != self.env_id:
            return Answer(403, {"message": "You don't have permissions to access this environment"})
        if (org_id or request.headers.get("x-anypnt-org-id")) != self.org_id:
            return Answer(403, {"message": "You don't have permissions to access this organization"})
        return None

    def _list(self, request: Recorded, match: re.Match[str]) -> Answer:
        return self._refusal(request) or Answer(200, self.apps)

    def _one(self, request: Recorded, match: re.Match[str]) -> Answer:
        if refusal := self._refusal(request):
            return refusal
        app = next((a for a in self.apps if a["domain"] == match.group(1)), None)
        return Answer(200, app) if app else Answer(404, {"message": "Application not found"})

    def _deployments(self, request: Recorded, match: re.Match[str]) -> Answer:
        if refusal := self._refusal(request, *match.groups()):
            return refusal
        offset = int(request.query.get("offset", 0))
        limit = int(request.query.get("limit", self.page_size))
        page = self.deployments[offset : offset + limit]
        items = [{k: d[k] for k in LIST_FIELDS if k in d} | _list_application(d) for d in page]
        return Answer(200, {"items": items, "total": len(self.deployments)})

    def _deployment(self, request: Recorded, match: re.Match[str]) -> Answer:
        org_id, env_id, deployment_id = match.groups()
        if refusal := self._refusal(request, org_id, env_id):
            return refusal
        found = next((d for d in self.deployments if d["id"] == deployment_id), None)
        return Answer(200, found) if found else Answer(404, {"message": "Deployment not found"})


def _list_application(deployment: dict[str, Any]) -> dict[str, Any]:
    """The list shows only the application's status."""
    application = deployment.get("application")
    if not isinstance(application, dict) or "status" not in application:
        return {}
    return {"application": {"status": application["status"]}}
