"""Azure Logic Apps as its adapter reads it: Azure Resource Manager's Microsoft.Logic workflows and their runs
(api-version 2016-06-01), and Microsoft Entra ID's token endpoint, each a stand-in of its own origin as in reality.

The stand-in for tests and benchmarks: see monitoring/platforms/standin.py."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

from monitoring.platforms.standin import Answer, Recorded, StandIn

API_VERSION = "2016-06-01"
ARM_SCOPE = "https://management.azure.com/.default"
WORKFLOWS = r"/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Logic/workflows"
_FILTER = re.compile(r"\s*startTime\s+ge\s+(\S+)\s*", re.IGNORECASE)


def arm_error(status: int, code: str, message: str) -> Answer:
    """ARM's error body: {"error": {"code", "message"}}."""
    return Answer(status, {"error": {"code": code, "message": message}})


def workflow(name: str, state: str = "Enabled", *, subscription: str = "sub", group: str = "rg") -> dict[str, Any]:
    """A workflow as Workflows - Get and the workflow lists return it (definition left out)."""
    return {
        "id": f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Logic/workflows/{name}",
        "name": name,
        "type": "Microsoft.Logic/workflows",
        "location": "westeurope",
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "createdTime": "2026-04-25T01:39:21.4365247Z",
            "changedTime": "2026-05-09T22:54:54.3533634Z",
            "state": state,
            "version": "08586677515911718341",
            "accessEndpoint": f"https://prod-00.westeurope.logic.azure.com:443/workflows/{name}",
            "sku": {"name": "Standard"},
        },
    }


def run(
    name: str,
    status: str = "Succeeded",
    start: str = "2026-05-01T10:00:00.1234567Z",
    end: str | None = None,
    *,
    error: Any = None,  # a dict as documented; anything else to serve a malformed answer
    workflow_name: str = "wf",
) -> dict[str, Any]:
    """A run as Workflow Runs - List returns it; `end` defaults to a second after start unless still going."""
    if end is None and status not in ("Running", "Waiting", "Paused"):
        end = (_parse(start) + dt.timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    properties: dict[str, Any] = {
        "waitEndTime": start,
        "startTime": start,
        "status": status,
        "correlation": {"clientTrackingId": name},
        "workflow": {"name": "08586676754160363885", "type": "Microsoft.Logic/workflows/versions"},
        "trigger": {"name": "Recurrence", "startTime": start, "endTime": start, "status": "Succeeded"},
        "outputs": {},
    }
    if end is not None:
        properties["endTime"] = end
    if error is not None:
        properties["error"] = error
    return {
        "id": f"/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Logic/workflows/{workflow_name}/runs/{name}",
        "name": name,
        "type": "Microsoft.Logic/workflows/runs",
        "properties": properties,
    }


class EntraTokenStandIn(StandIn):
    """POST /{tenant}/oauth2/v2.0/token: client credentials in a form body, for the clients in `clients`
    ({client_id: client_secret}); issues tokens valid for `lifetime` seconds for the scope asked."""

    def __init__(self, *, tenant: str, clients: dict[str, str], lifetime: int = 3599) -> None:
        super().__init__()
        self.tenant, self.clients, self.lifetime = tenant, clients, lifetime
        self.issued: dict[str, tuple[str, float]] = {}  # token -> (scope, expires at, time.monotonic)
        self._serial = itertools.count(1)
        self.route("POST", rf"/{re.escape(tenant)}/oauth2/v2\.0/token", self._token)

    @property
    def token_path(self) -> str:
        return f"/{self.tenant}/oauth2/v2.0/token"

    @property
    def token_url(self) -> str:
        return self.base_url + self.token_path

    @property
    def token_requests(self) -> int:
        return len(self.requests_to(self.token_path))

    def expire_tokens(self) -> None:
        """Every token issued so far is expired from now on, as after a lifetime the poller did not foresee."""
        self.issued = {token: (scope, 0.0) for token, (scope, _) in self.issued.items()}

    def valid(self, token: str, scope: str) -> str:
        """Empty for a live token issued for this scope; else the error code ARM answers it with."""
        if token not in self.issued:
            return "InvalidAuthenticationToken"
        issued_scope, expires = self.issued[token]
        if issued_scope != scope:
            return "InvalidAuthenticationTokenAudience"
        return "" if expires > time.monotonic() else "ExpiredAuthenticationToken"

    def _token(self, request: Recorded, match: re.Match[str]) -> Answer:
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return Answer(400, {"error": "invalid_request", "error_description": "AADSTS900144: bad body"})
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return Answer(400, {"error": "unsupported_grant_type"})
        client_id = form.get("client_id", "")
        if client_id not in self.clients:
            return Answer(400, {"error": "unauthorized_client", "error_description": "AADSTS700016: not found"})
        if self.clients[client_id] != form.get("client_secret"):
            return Answer(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret"})
        scope = form.get("scope", "")
        if not scope.endswith("/.default"):
            return Answer(400, {"error": "invalid_scope", "error_description": "AADSTS1002012: needs /.default"})
        token = f"eyJ0eXAi-issued-{next(self._serial)}"
        self.issued[token] = (scope, time.monotonic() + self.lifetime)
        return Answer(
            200,
            {
                "token_type": "Bearer",
                "expires_in": self.lifetime,
                "ext_expires_in": self.lifetime,
                "access_token": token,
            },
        )


class AzureLogicAppsStandIn(StandIn):
    """Azure Resource Manager for one subscription and resource group: Workflows - Get, Workflows - List By Resource
    Group, Workflow Runs - List (newest first, `$filter=startTime ge <time>`, `page_size` a page, then nextLink
    with a $skiptoken). A bearer token `tokens` issued for the ARM scope is required; else 401 as ARM answers."""

    def __init__(
        self,
        *,
        tokens: EntraTokenStandIn,
        subscription: str,
        resource_group: str,
        workflows: list[dict[str, Any]] | None = None,
        runs: dict[str, list[dict[str, Any]]] | None = None,
        page_size: int = 30,
        scope: str = ARM_SCOPE,
    ) -> None:
        super().__init__()
        self.tokens, self.subscription, self.resource_group = tokens, subscription, resource_group
        self.workflows = workflows if workflows is not None else []
        self.runs = runs if runs is not None else {}  # workflow name -> its runs, any order
        self.page_size, self.scope = page_size, scope
        self.next_link_base = ""  # where nextLinks point ("" = this stand-in)
        self.route("GET", WORKFLOWS, self._list)
        self.route("GET", WORKFLOWS + r"/([^/]+)", self._get)
        self.route("GET", WORKFLOWS + r"/([^/]+)/runs", self._runs)

    def workflows_path(self) -> str:
        group = f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
        return f"{group}/providers/Microsoft.Logic/workflows"

    def _refusal(self, request: Recorded, match: re.Match[str]) -> Answer | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return arm_error(
                401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
            )
        if problem := self.tokens.valid(token, self.scope):
            return arm_error(401, problem, "The access token is not valid for this resource.")
        if request.query.get("api-version") != API_VERSION:
            return arm_error(400, "InvalidApiVersionParameter", "The api-version is invalid.")
        subscription, group = match.group(1), match.group(2)
        if subscription != self.subscription:
            return arm_error(404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")
        if group.lower() != self.resource_group.lower():
            return arm_error(404, "ResourceGroupNotFound", f"Resource group '{group}' could not be found.")
        return None

    def _find(self, name: str) -> dict[str, Any] | None:
        return next((w for w in self.workflows if w["name"].lower() == name.lower()), None)

    def _list(self, request: Recorded, match: re.Match[str]) -> Answer:
        return self._refusal(request, match) or self._page(request, self.workflows)

    def _get(self, request: Recorded, match: re.Match[str]) -> Answer:
        if refusal := self._refusal(request, match):
            return refusal
        found = self._find(match.group(3))
        if found is None:
            return arm_error(
                404, "ResourceNotFound", f"The Resource 'Microsoft.Logic/workflows/{match.group(3)}' was not found."
            )
        return Answer(200, found)

    def _runs(self, request: Recorded, match: re.Match[str]) -> Answer:
        if refusal := self._refusal(request, match):
            return refusal
        if self._find(match.group(3)) is None:
            return arm_error(
                404, "ResourceNotFound", f"The Resource 'Microsoft.Logic/workflows/{match.group(3)}' was not found."
            )
        items = sorted(self.runs.get(match.group(3), []), key=_start, reverse=True)  # newest first
        wanted = request.query.get("$filter")
        if wanted is not None:
            found = _FILTER.fullmatch(wanted)
            if not found:
                return arm_error(400, "InvalidFilter", f"The filter '{wanted}' is not supported.")
            floor = _parse(found.group(1))
            items = [item for item in items if _start(item) >= floor]
        return self._page(request, items)

    def _page(self, request: Recorded, items: list[dict[str, Any]]) -> Answer:
        skip = int(request.query.get("$skiptoken", "0"))
        body: dict[str, Any] = {"value": items[skip : skip + self.page_size]}
        if skip + self.page_size < len(items):
            query = {k: v for k, v in request.query.items() if k != "$skiptoken"} | {
                "$skiptoken": skip + self.page_size
            }
            body["nextLink"] = f"{self.next_link_base or self.base_url}{request.path}?{urlencode(query)}"
        return Answer(200, body)


def _parse(value: str) -> dt.datetime:
    """Azure's timestamps carry 100 ns ticks; Python keeps microseconds."""
    return dt.datetime.fromisoformat(value)


def _start(item: dict[str, Any]) -> dt.datetime:
    return _parse(item["properties"]["startTime"])
