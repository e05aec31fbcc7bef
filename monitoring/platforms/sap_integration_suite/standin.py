"""SAP Integration Suite (Cloud Integration), as its adapter reads it: the OData v2 API under /api/v1
(MessageProcessingLogs, their ErrorInformation, IntegrationRuntimeArtifacts) and an SAP BTP token service
(/oauth/token) on the same server.

The stand-in for tests and benchmarks: see monitoring/platforms/standin.py."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from typing import Any
from urllib.parse import quote, unquote

from monitoring.platforms.standin import REFUSED, Answer, Recorded, StandIn, token_client

TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path, not a password)
API = "/api/v1"
# The $filter forms the adapter sends; anything else is refused (400) rather than answered unfiltered.
_FLOW = r"IntegrationFlowName eq '((?:[^']|'')*)'"
_FILTER = re.compile(_FLOW + r"(?: and LogEnd gt datetime'(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,7})?)')?")
_DATE = re.compile(r"/Date\((-?\d+)\)/")


def odata_date(ms: int) -> str:
    return f"/Date({ms})/"


class SapIntegrationSuiteStandIn(StandIn):
    """Message processing logs (`logs`, as the API returns them), their error texts (`errors`, MessageGuid ->
    text), deployed artifacts (`artifacts`); every API call needs a bearer token this stand-in issued to a
    client in `clients` ({client_id: client_secret}) that has neither expired nor been revoked."""

    def __init__(
        self,
        *,
        clients: dict[str, str],
        logs: list[dict[str, Any]] | None = None,
        errors: dict[str, str] | None = None,
        artifacts: list[dict[str, Any]] | None = None,
        page_size: int = 1000,
        token_lifetime: int = 43199,
    ) -> None:
        super().__init__()
        self.clients = clients
        self.logs = logs if logs is not None else []
        self.errors = errors if errors is not None else {}
        self.artifacts = artifacts if artifacts is not None else []
        self.page_size = page_size  # SAP's is 1,000
        self.token_lifetime = token_lifetime  # XSUAA's default is 12 hours
        self.issued: dict[str, float] = {}  # access token -> when it expires (time.monotonic)
        self._serial = itertools.count(1)
        self.route("POST", TOKEN_PATH, self._token)
        self.route("GET", API + "/MessageProcessingLogs", self._logs)
        self.route("GET", API + r"/MessageProcessingLogs\('((?:[^']|'')+)'\)/ErrorInformation/\$value", self._error)
        self.route("GET", API + "/IntegrationRuntimeArtifacts", self._artifacts)

    @property
    def token_requests(self) -> int:
        return len(self.requests_to(TOKEN_PATH))

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on, as once it has expired."""
        self.issued.clear()

    def _dispatch(self, handler: Any) -> None:
        # Match routes on the decoded path: a client may percent-encode the quotes of an entity key.
        head, sep, tail = handler.path.partition("?")
        handler.path = unquote(head) + sep + tail
        super()._dispatch(handler)

    def _token(self, request: Recorded, match: re.Match[str]) -> Answer:
        refused = Answer(401, {"error": "unauthorized", "error_description": "Bad credentials"})
        if isinstance(client := token_client(request, self.clients, refused), Answer):
            return client
        token = f"issued-{next(self._serial)}"
        self.issued[token] = time.monotonic() + self.token_lifetime
        body = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.token_lifetime,
            "scope": "uaa.resource",
        }
        return Answer(200, body)

    def _authorized(self, request: Recorded) -> bool:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        return scheme == "Bearer" and self.issued.get(presented, 0.0) > time.monotonic()

    def _logs(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not self._authorized(request):
            return REFUSED
        if request.query.get("$format") != "json":
            return Answer(406, b"<error>this stand-in answers $format=json only</error>", {"Content-Type": "text/xml"})
        found = _FILTER.fullmatch(request.query.get("$filter", ""))
        if not found or request.query.get("$orderby", "LogEnd") != "LogEnd":
            return Answer(400, _odata_error("Invalid filter or orderby expression"))
        flow = found.group(1).replace("''", "'")
        after = _ms_of_literal(found.group(2)) if found.group(2) else None
        selected = [
            log
            for log in self.logs
            if log.get("IntegrationFlowName") == flow and (after is None or _ms(log.get("LogEnd")) > after)
        ]
        if "$orderby" in request.query:
            selected.sort(key=lambda log: _ms(log.get("LogEnd")))
        return self._page(request, "MessageProcessingLogs", selected)

    def _error(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not self._authorized(request):
            return REFUSED
        guid = match.group(1).replace("''", "'")
        if not any(log.get("MessageGuid") == guid for log in self.logs):
            return Answer(404, _odata_error(f"Message processing log {guid} not found"))
        if guid not in self.errors:
            return Answer(204)
        return Answer(200, self.errors[guid].encode(), {"Content-Type": "text/plain"})

    def _artifacts(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not self._authorized(request):
            return REFUSED
        return self._page(request, "IntegrationRuntimeArtifacts", self.artifacts)

    def _page(self, request: Recorded, entity_set: str, entries: list[dict[str, Any]]) -> Answer:
        """{"d": {"results": [...]}} with "__next" while entries remain ($skiptoken, as SAP's server paging)."""
        skip = int(request.query.get("$skiptoken", 0))
        body: dict[str, Any] = {"results": entries[skip : skip + self.page_size]}
        if skip + self.page_size < len(entries):
            options = {k: v for k, v in request.query.items() if k != "$skiptoken"}
            options["$skiptoken"] = str(skip + self.page_size)
            query = "&".join(f"{k}={quote(v, safe=chr(39))}" for k, v in options.items())
            body["__next"] = f"{self.base_url}{API}/{entity_set}?{query}"
        return Answer(200, {"d": body})


def _odata_error(message: str) -> dict[str, Any]:
    return {"error": {"code": "", "message": {"lang": "en", "value": message}}}


def _ms(value: Any) -> int:
    found = _DATE.fullmatch(value) if isinstance(value, str) else None
    return int(found.group(1)) if found else -1  # a log without LogEnd sorts first and passes no LogEnd filter


def _ms_of_literal(value: str) -> int:
    """A datetime literal without a zone, read as UTC as SAP does."""
    whole, _, fraction = value.partition(".")
    parsed = dt.datetime.fromisoformat(whole).replace(tzinfo=dt.UTC)
    return int(parsed.timestamp()) * 1000 + int((fraction or "0").ljust(3, "0")[:3])
