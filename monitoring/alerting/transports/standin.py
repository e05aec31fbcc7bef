"""Stand-ins for the services alerts go to: real HTTP servers on 127.0.0.1 answering as the vendors
document (README.md in this folder cites the pages), for tests.

Each refuses what its vendor refuses (a malformed body is a 400 naming why) and, with `status`, answers
every request with that status instead (e.g. 500 to test a retry). `received` holds the JSON bodies it
accepted.
"""

from __future__ import annotations

import json
import re
from typing import Any

from monitoring.platforms.standin import Answer, Recorded, StandIn


class _AlertStandIn(StandIn):
    def __init__(self, status: int | None = None) -> None:
        super().__init__()
        self.status = status
        self.received: list[Any] = []

    def _body(self, request: Recorded) -> Any:
        try:
            return json.loads(request.body)
        except ValueError:
            return None


class SlackStandIn(_AlertStandIn):
    """An incoming webhook: POST /services/T…/B…/X…; 200 "ok", or 400 invalid_payload / no_text."""

    PATH = "/services/T0PLUMB/B0ALERT/XXXXsecretXXXX"

    def __init__(self, status: int | None = None) -> None:
        super().__init__(status)
        self.route("POST", r"/services/[^/]+/[^/]+/[^/]+", self._post)

    def _post(self, request: Recorded, match: re.Match[str]) -> Answer:
        if self.status:
            return Answer(self.status, b"rollup_error", {"Content-Type": "text/plain"})
        if request.path != self.PATH:
            return Answer(404, b"no_service", {"Content-Type": "text/plain"})
        body = self._body(request)
        if not isinstance(body, dict):
            return Answer(400, b"invalid_payload", {"Content-Type": "text/plain"})
        if not body.get("text") and not body.get("blocks"):
            return Answer(400, b"no_text", {"Content-Type": "text/plain"})
        self.received.append(body)
        return Answer(200, b"ok", {"Content-Type": "text/plain"})


class TeamsStandIn(_AlertStandIn):
    """A Workflows "When a Teams webhook request is received" trigger URL; 202 Accepted, empty body."""

    PATH = "/workflows/0a1b2c/triggers/manual/paths/invoke"

    def __init__(self, status: int | None = None) -> None:
        super().__init__(status)
        self.route("POST", r"/workflows/[^/]+/triggers/manual/paths/invoke", self._post)

    def _post(self, request: Recorded, match: re.Match[str]) -> Answer:
        if self.status:
            return Answer(self.status, {"error": {"code": "ServiceUnavailable"}})
        if request.query.get("sig") != "s3cret-sig":
            return Answer(401, {"error": {"code": "DirectApiAuthorizationRequired"}})
        body = self._body(request)
        attachments = body.get("attachments") if isinstance(body, dict) else None
        if not attachments or not all(
            isinstance(a, dict) and a.get("contentType") == "application/vnd.microsoft.card.adaptive"
            for a in attachments
        ):
            return Answer(400, {"error": {"code": "InvalidRequestContent"}})
        self.received.append(body)
        return Answer(202, b"")


class PagerDutyStandIn(_AlertStandIn):
    """Events API v2: POST /v2/enqueue; 202 {"status": "success", ...} or 400 "invalid event"."""

    SEVERITIES = ("critical", "error", "warning", "info")
    ACTIONS = ("trigger", "acknowledge", "resolve")

    def __init__(self, status: int | None = None) -> None:
        super().__init__(status)
        self.route("POST", r"/v2/enqueue", self._post)

    def _post(self, request: Recorded, match: re.Match[str]) -> Answer:
        if self.status:
            return Answer(self.status, {"status": "error", "message": "try again later"})
        body = self._body(request)
        errors = self.problems(body)
        if errors:
            return Answer(400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors})
        self.received.append(body)
        return Answer(202, {"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]})

    def problems(self, event: Any) -> list[str]:
        """What the Events API v2 would refuse in this event."""
        if not isinstance(event, dict):
            return ["Event object is not a JSON object"]
        errors = []
        if len(str(event.get("routing_key", ""))) != 32:
            errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
        if event.get("event_action") not in self.ACTIONS:
            errors.append("'event_action' is missing or blank")
        if event.get("event_action") != "trigger":
            if not event.get("dedup_key"):
                errors.append("'dedup_key' is missing or blank")
            return errors
        payload = event.get("payload")
        if not isinstance(payload, dict):
            return [*errors, "'payload' is missing or blank"]
        for name in ("summary", "source"):
            if not payload.get(name):
                errors.append(f"'payload.{name}' is missing or blank")
        if payload.get("severity") not in self.SEVERITIES:
            errors.append("'payload.severity' is invalid (must be one of critical, error, warning, info)")
        if len(str(payload.get("summary", ""))) > 1024:
            errors.append("'payload.summary' is too long (maximum is 1024 characters)")
        if len(str(event.get("dedup_key", ""))) > 255:
            errors.append("'dedup_key' is too long (maximum is 255 characters)")
        return errors
