"""Boomi AtomSphere Platform API, as its adapter reads it.

The stand-in for tests and benchmarks: see monitoring/platforms/standin.py."""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Callable
from typing import Any

from monitoring.platforms.standin import REFUSED, Answer, Recorded, StandIn, iso

Rows = list[dict[str, Any]]


class BoomiStandIn(StandIn):
    """AtomSphere Platform API, Basic auth: query/queryMore of ExecutionRecord (QuerySort on executionTime),
    ExecutionConnector, GenericConnectorRecord, DeployedPackage and Process; each answers a QueryResult
    with result[] and, while more are left, a queryToken."""

    def __init__(
        self,
        *,
        account_id: str,
        user: str,
        token: str,
        executions: Rows,
        processes: Rows | None = None,
        deployed: Rows | None = None,
        connectors: Rows | None = None,
        documents: Rows | None = None,
        page_size: int = 2,
        sorts: bool = True,
    ) -> None:
        super().__init__()
        self.executions = executions
        self.processes = processes or []
        self.deployed = deployed or []  # DeployedPackage objects
        self.connectors = connectors or []  # ExecutionConnector objects
        self.documents = documents or []  # GenericConnectorRecord objects
        self.page_size = page_size
        self.sorts = sorts  # False: QuerySort is ignored, results come in stored order
        self._auth = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
        self._tokens: dict[str, Rows] = {}
        self._counter = itertools.count(1)
        api = f"/api/rest/v1/{re.escape(account_id)}"
        queried: dict[str, Callable[[Recorded], Answer]] = {
            "ExecutionRecord": self._query_executions,
            "ExecutionConnector": self._query_connectors,
            "GenericConnectorRecord": self._query_documents,
            "DeployedPackage": lambda request: self._filtered(self.deployed, request),
            "Process": lambda request: self._filtered(self.processes, request),
        }
        for obj, handler in queried.items():
            self.route("POST", f"{api}/{obj}/query", self._authorized(handler))
        self.route("POST", f"{api}/({'|'.join(queried)})/queryMore", self._authorized(self._query_more))

    def _authorized(self, handler: Callable[[Recorded], Answer]) -> Callable[[Recorded, re.Match[str]], Answer]:
        def checked(request: Recorded, match: re.Match[str]) -> Answer:
            return handler(request) if request.headers.get("authorization") == self._auth else REFUSED

        return checked

    def _query_executions(self, request: Recorded) -> Answer:
        body = request.json()
        found = [e for e in self.executions if _matches(e, body["QueryFilter"]["expression"])]
        for sort in reversed(body.get("QuerySort", {}).get("sortField", []) if self.sorts else []):
            found.sort(key=_field(sort["fieldName"]), reverse=sort["sortOrder"] == "DESC")
        return self._page(found)

    def _query_connectors(self, request: Recorded) -> Answer:
        expression = request.json()["QueryFilter"]["expression"]
        if not _equals_values(expression, "executionId"):
            return Answer(400, {"message": "ExecutionConnector QUERY requires one or more execution IDs"})
        return self._page([c for c in self.connectors if _matches(c, expression)])

    def _query_documents(self, request: Recorded) -> Answer:
        expression = request.json()["QueryFilter"]["expression"]
        if len(_equals_values(expression, "executionId")) != 1:
            return Answer(400, {"message": "GenericConnectorRecord QUERY takes exactly one executionId"})
        if _operators(expression) - {"and", "EQUALS"}:
            return Answer(400, {"message": "GenericConnectorRecord QUERY filters only with EQUALS"})
        return self._page([d for d in self.documents if _matches(d, expression)])

    def _filtered(self, rows: Rows, request: Recorded) -> Answer:
        return self._page([row for row in rows if _matches(row, request.json()["QueryFilter"]["expression"])])

    def _query_more(self, request: Recorded) -> Answer:
        rest = self._tokens.pop(request.body.decode(), None)
        if rest is None:
            return Answer(400, {"message": "invalid queryToken"})
        return self._page(rest)

    def _page(self, results: Rows) -> Answer:
        body: dict[str, Any] = {"@type": "QueryResult", "numberOfResults": len(results)}
        if results:
            body["result"] = results[: self.page_size]
        if len(results) > self.page_size:
            token = f"EXAMPLE-TOKEN-{next(self._counter)}"
            self._tokens[token] = results[self.page_size :]
            body["queryToken"] = token
        return Answer(200, body)


def _matches(row: dict[str, Any], expression: dict[str, Any]) -> bool:
    operator = expression["operator"]
    if operator in ("and", "or"):
        found = (_matches(row, nested) for nested in expression["nestedExpression"])
        return all(found) if operator == "and" else any(found)
    value, argument = row.get(expression["property"]), expression["argument"][0]
    if operator == "EQUALS":
        return _text(value) == _text(argument)
    if operator == "GREATER_THAN":
        return iso(value) > iso(argument)
    if operator == "LIKE":
        pattern = ".*".join(re.escape(part) for part in str(argument).split("%"))
        return re.fullmatch(pattern, str(value), re.DOTALL) is not None
    raise AssertionError(f"stand-in does not implement {operator}")


def _field(name: str) -> Callable[[dict[str, Any]], str]:
    """A sort key: the field as text (Boomi's times, yyyy-MM-ddTHH:mm:ssZ, sort as text)."""
    return lambda row: str(row.get(name, ""))


def _text(value: Any) -> str:
    """How a filter argument (always a string) compares with a field of any JSON type."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _equals_values(expression: dict[str, Any], prop: str) -> list[str]:
    if expression["operator"] in ("and", "or"):
        return [v for nested in expression["nestedExpression"] for v in _equals_values(nested, prop)]
    return list(expression["argument"]) if expression["property"] == prop and expression["operator"] == "EQUALS" else []


def _operators(expression: dict[str, Any]) -> set[str]:
    nested = expression.get("nestedExpression", [])
    return {expression["operator"]}.union(*(_operators(e) for e in nested))
