"""Celigo integrator.io API, as its adapter reads it.

The stand-in for tests and benchmarks: see monitoring/platforms/standin.py."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from monitoring.platforms.standin import REFUSED, Answer, Recorded, StandIn, bearer_ok, iso


class CeligoStandIn(StandIn):
    """integrator.io API: jobs and flows with Link-header paging, flow step errors (open and resolved) with
    nextPageURL, Bearer.

    With link_paging=False, /v1/jobs answers as its API reference page documents it instead: newest
    createdAt first, at most list_cap jobs, no Link header, narrowed by createdAt_gte and createdAt_lte."""

    def __init__(
        self,
        *,
        token: str,
        jobs: list[dict[str, Any]],
        flows: list[dict[str, Any]] | None = None,
        errors: dict[tuple[str, str], list[dict[str, Any]]] | None = None,
        resolved: dict[tuple[str, str], list[dict[str, Any]]] | None = None,
        page_size: int = 2,
        link_paging: bool = True,
        list_cap: int = 1000,
    ) -> None:
        super().__init__()
        self.token = token
        self.link_paging = link_paging
        self.list_cap = list_cap
        self.jobs = jobs
        self.flows = flows or []
        self.errors = errors or {}  # (flow id, export/import id) -> open errors
        self.resolved = resolved or {}  # (flow id, export/import id) -> resolved errors, each with resolvedAt
        self.page_size = page_size
        self.route("GET", "/v1/jobs", self._jobs)
        self.route("GET", "/v1/flows", self._flows)
        self.route("GET", r"/v1/flows/(\w+)", self._flow)
        self.route("GET", r"/v1/flows/(\w+)/(\w+)/errors", self._errors)
        self.route("GET", r"/v1/flows/(\w+)/(\w+)/resolved", self._resolved)
        self.route("PUT", r"/v1/flows/(\w+)/(\w+)/resolved", self._resolve)
        self.retried: list[tuple[str, str, list[str]]] = []  # (flow, step, retryDataKeys in the order received)
        self.route("POST", r"/v1/flows/(\w+)/(\w+)/retry", self._retry)

    def _jobs(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not bearer_ok(request, self.token):
            return REFUSED
        query = request.query
        found = [j for j in self.jobs if j.get("_flowId") == query.get("_flowId") and j["type"] == query.get("type")]
        if since := query.get("createdAt_gte"):
            found = [j for j in found if iso(j["createdAt"]) >= iso(since)]
        if until := query.get("createdAt_lte"):
            found = [j for j in found if iso(j["createdAt"]) <= iso(until)]
        found.sort(key=lambda j: iso(j["createdAt"]), reverse=True)
        if not self.link_paging:
            return Answer(200, found[: self.list_cap])
        return self._link_page(request, found)

    def _flows(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not bearer_ok(request, self.token):
            return REFUSED
        if not self.flows:
            return Answer(204)
        return self._link_page(request, self.flows)

    def _flow(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not bearer_ok(request, self.token):
            return REFUSED
        flow = next((f for f in self.flows if f["_id"] == match.group(1)), None)
        return Answer(200, flow) if flow else Answer(404, {"message": "Not found"})

    def _errors(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not bearer_ok(request, self.token):
            return REFUSED
        found = self.errors.get((match.group(1), match.group(2)), [])
        return self._body_page(request, found, "errors", "occurredAt")

    def _resolved(self, request: Recorded, match: re.Match[str]) -> Answer:
        """The step's resolved errors: {"resolved": [...], "nextPageURL": ...}, narrowed by resolvedAt_gte/_lte."""
        if not bearer_ok(request, self.token):
            return REFUSED
        found = self.resolved.get((match.group(1), match.group(2)), [])
        return self._body_page(request, found, "resolved", "resolvedAt")

    def _resolve(self, request: Recorded, match: re.Match[str]) -> Answer:
        """Resolve open errors of a step: {"errors": [<errorId>, ...]}."""
        if not bearer_ok(request, self.token):
            return REFUSED
        error_ids = request.json().get("errors")
        if not isinstance(error_ids, list) or not error_ids:
            return Answer(400, {"message": "errors must be a non-empty array of error ids"})
        self.resolve(match.group(1), match.group(2), error_ids)
        return Answer(204)

    def resolve(self, flow_id: str, step_id: str, error_ids: list[str], at: dt.datetime | None = None) -> None:
        """Move open errors to resolved, as resolving them on Celigo does, stamped resolvedAt (now by default)."""
        when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="milliseconds")
        open_errors = self.errors.get((flow_id, step_id), [])
        closing = [e for e in open_errors if e.get("errorId") in error_ids]
        self.errors[(flow_id, step_id)] = [e for e in open_errors if e not in closing]
        self.resolved.setdefault((flow_id, step_id), []).extend(
            {**e, "resolvedAt": when.replace("+00:00", "Z"), "resolvedBy": "user"} for e in closing
        )

    def _body_page(self, request: Recorded, found: list[dict[str, Any]], key: str, time_field: str) -> Answer:
        """One page of a step's errors under `key`, filtered by <time_field>_gte/_lte, paged by nextPageURL."""
        if since := request.query.get(f"{time_field}_gte"):
            found = [e for e in found if iso(e[time_field]) >= iso(since)]
        if until := request.query.get(f"{time_field}_lte"):
            found = [e for e in found if iso(e[time_field]) <= iso(until)]
        page = int(request.query.get("page", 1))
        body: dict[str, Any] = {key: found[(page - 1) * self.page_size : page * self.page_size]}
        if page * self.page_size < len(found):
            body["nextPageURL"] = f"{self.base_url}{request.path}?{urlencode({**request.query, 'page': page + 1})}"
        return Answer(200, body)

    def _retry(self, request: Recorded, match: re.Match[str]) -> Answer:
        """Retry flow errors: {"retryDataKeys": [...]}, each the key of an open error of that step."""
        if not bearer_ok(request, self.token):
            return REFUSED
        keys = request.json().get("retryDataKeys")
        if not isinstance(keys, list) or not keys:
            return Answer(400, {"message": "retryDataKeys must be a non-empty array"})
        open_keys = {e.get("retryDataKey") for e in self.errors.get((match.group(1), match.group(2)), [])}
        if unknown := [k for k in keys if k not in open_keys]:
            return Answer(422, {"message": f"no open error with retryDataKey {unknown}"})
        self.retried.append((match.group(1), match.group(2), list(keys)))
        return Answer(200, {"_jobId": f"retry-job-{len(self.retried)}"})

    def _link_page(self, request: Recorded, items: list[dict[str, Any]]) -> Answer:
        skip = int(request.query.get("skip", 0))
        headers = {}
        if skip + self.page_size < len(items):
            following = urlencode({**request.query, "skip": skip + self.page_size})
            headers["Link"] = f'<{self.base_url}{request.path}?{following}>; rel="next"'
        return Answer(200, items[skip : skip + self.page_size], headers)
