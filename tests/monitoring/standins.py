"""Stand-in servers on 127.0.0.1 that speak each health source's documented API.

Each stand-in is a real ThreadingHTTPServer in a background thread with a small route table,
records every request it gets, and refuses wrong credentials with 401 like the platform does.
Use one as a context manager that yields its base URL:

    with WorkatoStandIn(token="t", jobs={"7": [...]}) as base_url:
        result = workato.poll(PollTarget(kind="workato", ref="7", base_url=base_url, ...), client)

Outbound calls to 127.0.0.1 are refused unless settings.PLUMBLINE_OUTBOUND_ALLOW lists it.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Recorded, re.Match[str]], Answer]
REFUSED = Answer(401, {"message": "Unauthorized"})


class StandIn:
    """A tiny HTTP server with routes (method, path regex) and a log of requests."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[Recorded] = []
        self.base_url = ""
        self.tls: tuple[Path, Path] | None = None  # (certificate, key) to serve https instead of http
        self.sni_names: list[str | None] = []  # server names clients sent in their TLS hello
        self._server: ThreadingHTTPServer | None = None

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern), handler))

    def override(self, method: str, pattern: str, handler: Handler) -> None:
        """A route that wins over the documented ones, e.g. to serve a malformed answer."""
        self.routes.insert(0, (method, re.compile(pattern), handler))

    def requests_to(self, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def __enter__(self) -> str:
        standin = self

        class RequestHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._dispatch(self)

            do_POST = do_PUT = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        scheme = "http"
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            context.sni_callback = lambda _socket, name, _context: self.sni_names.append(name)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.base_url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        return self.base_url

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        request = Recorded(
            method=handler.command,
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query).items()},
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
        )
        self.requests.append(request)
        answer = Answer(404, {"message": "no such route"})
        for method, pattern, route_handler in self.routes:
            match = pattern.fullmatch(parts.path)
            if match and method == handler.command:
                try:
                    answer = route_handler(request, match)
                except Exception as exc:  # a stand-in bug shows up as a 500, not a dropped connection
                    answer = Answer(500, {"message": repr(exc)})
                break
        body = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
        if answer.body is None and answer.status in (204, 301, 302, 303, 307, 308):
            body = b""
        handler.send_response(answer.status)
        headers = {"Content-Type": "application/json", **answer.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def _bearer_ok(request: Recorded, token: str) -> bool:
    return request.headers.get("authorization") == f"Bearer {token}"


def _iso(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


class StatusPage(StandIn):
    """An integration's own status URL at /status (DESIGN.md's HTTP pull shape); no auth."""

    def __init__(self, body: Any = None) -> None:
        super().__init__()
        self.body: Any = body if body is not None else {"runs": [], "failed_records": []}
        self.route("GET", "/status", lambda request, match: Answer(200, self.body))


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
        return _iso(value) > _iso(argument)
    raise AssertionError(f"stand-in does not implement {expression['operator']}")


class WorkatoStandIn(StandIn):
    """Workato Developer API: recipe jobs (newest first, offset_job_id paging) and recipes, Bearer."""

    def __init__(
        self,
        *,
        token: str,
        jobs: dict[str, list[dict[str, Any]]],
        recipes: list[dict[str, Any]] | None = None,
        page_size: int = 2,
    ) -> None:
        super().__init__()
        self.token = token
        self.jobs = jobs  # recipe id -> jobs, newest first
        self.recipes = recipes or []
        self.page_size = page_size
        self.repeated: list[tuple[str, list[str]]] = []  # (recipe id, job ids in the order received)
        self.route("GET", r"/api/recipes/(\w+)/jobs", self._jobs)
        self.route("GET", "/api/recipes", self._recipes)
        self.route("GET", r"/api/recipes/(\w+)", self._recipe)
        self.route("POST", r"/api/recipes/(\w+)/repeat_jobs", self._repeat_jobs)

    def _jobs(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not _bearer_ok(request, self.token):
            return REFUSED
        if match.group(1) not in self.jobs:
            return Answer(404, {"message": "Not found"})
        jobs = self.jobs[match.group(1)]
        start = 0
        if offset := request.query.get("offset_job_id"):
            assert request.query.get("prev", "false") == "false", "stand-in pages backwards only"
            start = [str(j["id"]) for j in jobs].index(offset) + 1
        page = jobs[start : start + self.page_size]
        return Answer(
            200,
            {
                "job_succeeded_count": sum(j.get("status") == "succeeded" for j in jobs),
                "job_failed_count": sum(j.get("status") == "failed" for j in jobs),
                "job_count": len(jobs),
                "items": page,
            },
        )

    def _repeat_jobs(self, request: Recorded, match: re.Match[str]) -> Answer:
        """Repeat jobs: {"job_ids": [...]}, at most 25 per request, each a job of the recipe."""
        if not _bearer_ok(request, self.token):
            return REFUSED
        job_ids = request.json().get("job_ids")
        if not isinstance(job_ids, list) or not job_ids or len(job_ids) > 25:
            return Answer(400, {"message": "job_ids must list 1 to 25 jobs"})
        known = {str(j["id"]) for j in self.jobs.get(match.group(1), [])}
        if unknown := [j for j in job_ids if str(j) not in known]:
            return Answer(404, {"message": f"jobs not found: {unknown}"})
        self.repeated.append((match.group(1), [str(j) for j in job_ids]))
        return Answer(200, {"success": True})

    def _recipe(self, request: Recorded, match: re.Match[str]) -> Answer:
        """One recipe's details; a recipe with jobs but not listed in `recipes` is running."""
        if not _bearer_ok(request, self.token):
            return REFUSED
        recipe_id = match.group(1)
        found = next((r for r in self.recipes if str(r["id"]) == recipe_id), None)
        if found is None and recipe_id in self.jobs:
            found = {"id": int(recipe_id) if recipe_id.isdigit() else recipe_id, "name": "", "running": True}
        return Answer(200, found) if found else Answer(404, {"message": "Not found"})

    def _recipes(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not _bearer_ok(request, self.token):
            return REFUSED
        page, per_page = int(request.query.get("page", 1)), int(request.query.get("per_page", 100))
        return Answer(200, {"items": self.recipes[(page - 1) * per_page : page * per_page]})


class CeligoStandIn(StandIn):
    """integrator.io API: jobs and flows with Link-header paging, flow step errors with nextPageURL, Bearer.

    With link_paging=False, /v1/jobs answers as its API reference page documents it instead: newest
    createdAt first, at most list_cap jobs, no Link header, narrowed by createdAt_gte and createdAt_lte."""

    def __init__(
        self,
        *,
        token: str,
        jobs: list[dict[str, Any]],
        flows: list[dict[str, Any]] | None = None,
        errors: dict[tuple[str, str], list[dict[str, Any]]] | None = None,
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
        self.page_size = page_size
        self.route("GET", "/v1/jobs", self._jobs)
        self.route("GET", "/v1/flows", self._flows)
        self.route("GET", r"/v1/flows/(\w+)", self._flow)
        self.route("GET", r"/v1/flows/(\w+)/(\w+)/errors", self._errors)
        self.retried: list[tuple[str, str, list[str]]] = []  # (flow, step, retryDataKeys in the order received)
        self.route("POST", r"/v1/flows/(\w+)/(\w+)/retry", self._retry)

    def _jobs(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not _bearer_ok(request, self.token):
            return REFUSED
        query = request.query
        found = [j for j in self.jobs if j.get("_flowId") == query.get("_flowId") and j["type"] == query.get("type")]
        if since := query.get("createdAt_gte"):
            found = [j for j in found if _iso(j["createdAt"]) >= _iso(since)]
        if until := query.get("createdAt_lte"):
            found = [j for j in found if _iso(j["createdAt"]) <= _iso(until)]
        found.sort(key=lambda j: _iso(j["createdAt"]), reverse=True)
        if not self.link_paging:
            return Answer(200, found[: self.list_cap])
        return self._link_page(request, found)

    def _flows(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not _bearer_ok(request, self.token):
            return REFUSED
        if not self.flows:
            return Answer(204)
        return self._link_page(request, self.flows)

    def _flow(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not _bearer_ok(request, self.token):
            return REFUSED
        flow = next((f for f in self.flows if f["_id"] == match.group(1)), None)
        return Answer(200, flow) if flow else Answer(404, {"message": "Not found"})

    def _errors(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not _bearer_ok(request, self.token):
            return REFUSED
        found = self.errors.get((match.group(1), match.group(2)), [])
        if since := request.query.get("occurredAt_gte"):
            found = [e for e in found if _iso(e["occurredAt"]) >= _iso(since)]
        page = int(request.query.get("page", 1))
        body: dict[str, Any] = {"errors": found[(page - 1) * self.page_size : page * self.page_size]}
        if page * self.page_size < len(found):
            body["nextPageURL"] = f"{self.base_url}{request.path}?{urlencode({**request.query, 'page': page + 1})}"
        return Answer(200, body)

    def _retry(self, request: Recorded, match: re.Match[str]) -> Answer:
        """Retry flow errors: {"retryDataKeys": [...]}, each the key of an open error of that step."""
        if not _bearer_ok(request, self.token):
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


class MuleSoftStandIn(StandIn):
    """CloudHub API v2: applications list and one application, Bearer plus org/env headers."""

    def __init__(self, *, token: str, org_id: str, env_id: str, apps: list[dict[str, Any]]) -> None:
        super().__init__()
        self.token, self.org_id, self.env_id = token, org_id, env_id
        self.apps = apps
        self.route("GET", "/cloudhub/api/v2/applications", self._list)
        self.route("GET", r"/cloudhub/api/v2/applications/([\w-]+)", self._one)

    def _refusal(self, request: Recorded) -> Answer | None:
        if not _bearer_ok(request, self.token):
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
