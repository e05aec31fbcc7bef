"""Boomi AtomSphere Platform API, as its adapter reads it.

The stand-in for tests and benchmarks: see monitoring/platforms/standin.py."""

from __future__ import annotations

import base64
import itertools
import re
from typing import Any

from monitoring.platforms.standin import REFUSED, Answer, Recorded, StandIn, iso


class BoomiStandIn(StandIn):
    """AtomSphere Platform API: ExecutionRecord and Process query/queryMore, Basic auth."""

    def __init__(
        self,
        *,
        account_id: str,
        user: str,
        token: str,
        executions: list[dict[str, Any]],
        processes: list[dict[str, Any]] | None = None,
        page_size: int = 2,
    ) -> None:
        super().__init__()
        self.executions = executions
        self.processes = processes or []
        self.page_size = page_size
        self._auth = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
        self._tokens: dict[str, list[dict[str, Any]]] = {}
        self._counter = itertools.count(1)
        api = f"/api/rest/v1/{re.escape(account_id)}"
        self.route("POST", f"{api}/ExecutionRecord/query", self._query_executions)
        self.route("POST", f"{api}/Process/query", self._query_processes)
        self.route("POST", f"{api}/(ExecutionRecord|Process)/queryMore", self._query_more)

    def _query_executions(self, request: Recorded, match: re.Match[str]) -> Answer:
        if request.headers.get("authorization") != self._auth:
            return REFUSED
        expression = request.json()["QueryFilter"]["expression"]
        found = [e for e in self.executions if _boomi_matches(e, expression)]
        return self._page(sorted(found, key=lambda e: e["executionTime"]))

    def _query_processes(self, request: Recorded, match: re.Match[str]) -> Answer:
        if request.headers.get("authorization") != self._auth:
            return REFUSED
        return self._page(list(self.processes))

    def _query_more(self, request: Recorded, match: re.Match[str]) -> Answer:
        if request.headers.get("authorization") != self._auth:
            return REFUSED
        rest = self._tokens.pop(request.body.decode(), None)
        if rest is None:
            return Answer(400, {"message": "invalid queryToken"})
        return self._page(rest)

    def _page(self, results: list[dict[str, Any]]) -> Answer:
        body: dict[str, Any] = {"@type": "QueryResult", "numberOfResults": len(results)}
        if results:
            body["result"] = results[: self.page_size]
        if len(results) > self.page_size:
            token = f"EXAMPLE-TOKEN-{next(self._counter)}"
            self._tokens[token] = results[self.page_size :]
            body["queryToken"] = token
        return Answer(200, body)


def _boomi_matches(execution: dict[str, Any], expression: dict[str, Any]) -> bool:
    if expression["operator"] == "and":
        return all(_boomi_matches(execution, e) for e in expression["nestedExpression"])
    value, argument = execution.get(expression["property"]), expression["argument"][0]
    if expression["operator"] == "EQUALS":
        return bool(value == argument)
    if expression["operator"] == "GREATER_THAN":
        return iso(value) > iso(argument)
    raise AssertionError(f"stand-in does not implement {expression['operator']}")
