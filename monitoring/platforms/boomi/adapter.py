"""Boomi AtomSphere: the execution records of one process, read through the Platform API.

- Runs: POST {base}/api/rest/v1/{accountId}/ExecutionRecord/query with a QueryFilter on
  processId EQUALS ref (and executionTime GREATER_THAN the cursor once there is one), then
  POST …/ExecutionRecord/queryMore with the queryToken as a text/plain body while the result
  carries one (Boomi pages at 100 records).
- Auth: HTTP Basic. The secret env var holds "user:token" exactly as Boomi's API token login
  expects it, e.g. "BOOMI_TOKEN.ana@example.com:7f3c…". JSON is asked for with Accept.
- Test executions (executionType test_manual, test_sub_process) are not runs of the integration:
  returned as test runs (RunObservation.test), stored and shown apart, never changing its health.
- Fields: executionId, executionTime (the start, yyyy-MM-ddTHH:mm:ssZ), status,
  inboundDocumentCount (in), outboundDocumentCount (out), inboundErrorDocumentCount (failed),
  executionDuration (ms; gives finished_at), message. Counts come as plain numbers or as
  ["Long", n]; both are read.
- Status: COMPLETE is success unless inboundErrorDocumentCount > 0; COMPLETE_WARN, ERROR, ABORTED
  and DISCARDED are failed; STARTED, INPROCESS, ENQUEUED and ABORTED_RECOVERING are running. Any
  other status stops the poll rather than being guessed at.
- Cursor: the latest executionTime seen, held one second before the earliest execution still
  running so its outcome is read next time. The query order is not documented, so if a poll
  stops at the page bound the cursor still advances to the latest time seen (logged: executions
  between two polls beyond 50 x 100 may be skipped).
- Not read: document-level failed records (they live in ExecutionConnector and
  GenericConnectorRecord, one query per execution); runs carry the failed-document counts.
- discover: POST …/Process/query with name LIKE "%", same paging; each result's id and name.
- No replay: Boomi's rerun call needs document ids, which are not read (above); a re-sync is manual.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import httpx

from monitoring.platforms import outbound
from monitoring.platforms.contract import (
    DiscoveredProcess,
    PollError,
    PollResult,
    PollTarget,
    RunObservation,
    RunStatus,
)
from monitoring.platforms.cursors import cursor_time, held_back_time
from monitoring.platforms.fields import as_list, as_object, count, optional_str, parse_time, required_str

logger = logging.getLogger(__name__)

NO_REPLAY = "Plumbline does not read Boomi's failed documents, so it cannot ask Boomi to rerun them"

# executionType of the executions that are tests, not runs of the integration: test_manual (a test-mode
# run) and test_sub_process (a subprocess a test-mode run called).
TEST_TYPES = frozenset({"test_manual", "test_sub_process"})

STATUSES: dict[str, RunStatus] = {
    "COMPLETE": "success",
    "COMPLETE_WARN": "failed",
    "ERROR": "failed",
    "ABORTED": "failed",
    "DISCARDED": "failed",
    "STARTED": "running",
    "INPROCESS": "running",
    "ENQUEUED": "running",
    "ABORTED_RECOVERING": "running",
}


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    previous = cursor_time(target.cursor, "Boomi")
    expression: dict[str, Any] = {"argument": [target.ref], "operator": "EQUALS", "property": "processId"}
    if previous is not None:
        since = {"argument": [_boomi_time(previous)], "operator": "GREATER_THAN", "property": "executionTime"}
        expression = {"operator": "and", "nestedExpression": [expression, since]}
    what = f"Boomi executions of process {target.ref}"
    runs: list[RunObservation] = []
    for n, item in enumerate(
        _query(target, client, "ExecutionRecord", {"QueryFilter": {"expression": expression}}, what)
    ):
        runs.append(_run(item, f"{what}: record {n}"))
    seen = [(run.started_at, run.status) for run in runs if run.started_at is not None]
    cursor = held_back_time(seen, previous, dt.timedelta(seconds=1))
    return PollResult(runs=runs, cursor=_boomi_time(cursor) if cursor else target.cursor)


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    what = "Boomi process list"
    query = {"QueryFilter": {"expression": {"argument": ["%"], "operator": "LIKE", "property": "name"}}}
    found = []
    for item in _query(target, client, "Process", query, what):
        process = as_object(item, what)
        found.append(DiscoveredProcess(ref=required_str(process, "id", what), name=optional_str(process, "name", what)))
    return found


def _query(target: PollTarget, client: httpx.Client, obj: str, query: dict[str, Any], what: str) -> Iterator[Any]:
    """Every result of a Boomi query, following queryToken for at most MAX_PAGES pages."""
    if not target.base_url or not target.account_id:
        raise PollError("Boomi platform account needs a base_url and an account_id")
    url = f"{target.base_url.rstrip('/')}/api/rest/v1/{target.account_id}/{obj}"
    headers = {"Accept": "application/json", "Authorization": _basic_auth(target.secret_env)}
    reply = outbound.send(client, "POST", f"{url}/query", what=what, headers=headers, json_body=query)
    for page in range(1, outbound.MAX_PAGES + 1):
        body = as_object(reply.json(what), what)
        yield from as_list(body.get("result", []), f"{what}: result")
        token = body.get("queryToken")
        if not token:
            return
        if not isinstance(token, str):
            raise PollError(f"{what}: queryToken must be a string")
        if page == outbound.MAX_PAGES:
            logger.warning("%s: stopped after %d pages; later results are read next poll", what, page)
            return
        more_headers = {**headers, "Content-Type": "text/plain"}
        reply = outbound.send(
            client, "POST", f"{url}/queryMore", what=what, headers=more_headers, content=token.encode()
        )


def _basic_auth(secret_env: str) -> str:
    user, sep, token = outbound.read_secret(secret_env).partition(":")
    if not sep or not user or not token:
        raise PollError(f"environment variable {secret_env} must hold 'user:token' for Boomi")
    return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode("ascii")


def _run(item: Any, what: str) -> RunObservation:
    record = as_object(item, what)
    execution_id = required_str(record, "executionId", what)
    what = f"Boomi execution {execution_id[:80]}"
    status_name = required_str(record, "status", what)
    if status_name not in STATUSES:
        raise PollError(f"{what}: unknown status {status_name[:40]!r}")
    started = parse_time(record.get("executionTime"), f"{what}: executionTime")
    duration = _long(record, "executionDuration", what)
    failed_docs = _long(record, "inboundErrorDocumentCount", what)
    status = STATUSES[status_name]
    if status_name == "COMPLETE" and failed_docs:
        status = "failed"
    # A test-mode run (started from the process builder) is someone trying the process, not the
    # integration running: stored as a test run, which never changes the integration's health.
    return RunObservation(
        external_id=execution_id,
        status=status,
        started_at=started,
        finished_at=started + dt.timedelta(milliseconds=duration)
        if duration is not None and status != "running"
        else None,
        records_in=_long(record, "inboundDocumentCount", what),
        records_out=_long(record, "outboundDocumentCount", what),
        records_failed=failed_docs,
        message=optional_str(record, "message", what),
        test=record.get("executionType") in TEST_TYPES,
    )


def _long(record: dict[str, Any], key: str, what: str) -> int | None:
    """A Boomi count: a number, or ["Long", n] as the JSON API writes Java longs."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, list) and len(value) == 2 and value[0] == "Long":
        value = value[1]
    return count(value, f"{what}: {key}")


def _boomi_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
