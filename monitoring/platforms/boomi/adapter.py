"""Boomi AtomSphere: the execution records of one process, read through the Platform API
(sources and the status mapping in README.md).

- Runs: POST {base}/api/rest/v1/{accountId}/ExecutionRecord/query, processId EQUALS ref and, once
  there is a cursor, executionTime GREATER_THAN its time, sorted by executionTime ascending
  (QuerySort); POST …/ExecutionRecord/queryMore with the queryToken as a text/plain body while
  the result carries one (Boomi pages at 100 records), at most MAX_PAGES pages.
- Executions to look at again: those still running when read, and failed ones whose documents
  were not all read (below), are kept in the cursor by id (at most OPEN_MAX) and queried again by
  executionId next poll, however many executions have started since.
- Cursor: JSON {"after": <executionTime>, "open": [<executionId>, ...]}. "after" is the latest
  executionTime read; when the query stopped at the page bound, one second before the last time
  read (executions sharing that second are read again, not skipped: runs are upserted by id).
  A cursor that is a bare time (as earlier versions wrote) is read as {"after": it}.
- Auth: HTTP Basic. The secret env var holds "user:token" exactly as Boomi's API token login
  expects it, e.g. "BOOMI_TOKEN.ana@example.com:7f3c…". JSON is asked for with Accept.
- Fields: executionId, executionTime (the start), status, executionType, originalExecutionId,
  inboundDocumentCount (in), outboundDocumentCount (out), inboundErrorDocumentCount (failed),
  executionDuration (ms; gives finished_at), message. Counts come as plain numbers or as
  ["Long", n]; both are read.
- Status: COMPLETE is success unless inboundErrorDocumentCount > 0; COMPLETE_WARN, ERROR, ABORTED
  and DISCARDED are failed; STARTED, INPROCESS, ENQUEUED and ABORTED_RECOVERING are running. Any
  other status stops the poll rather than being guessed at.
- Test executions (executionType test_manual, test_sub_process) are returned as test runs
  (RunObservation.test): stored and shown apart, never changing the integration's health.
- Retries: a retry_manual / retry_sched execution that succeeded resolves the failed records of its
  originalExecutionId ("retried by execution <id>").
- Failed records: the errored documents of each failed execution that is not a test (documents.py:
  ExecutionConnector, then GenericConnectorRecord with status ERROR), oldest execution first, in at
  most MAX_PAGES requests a poll; an execution whose documents did not fit waits in "open" for the
  next poll, unless it alone needs more than the whole budget (then its first documents are kept).
- discover: the processes actively deployed: POST …/DeployedPackage/query with componentType
  EQUALS process and active EQUALS true; names from POST …/Process/query (name LIKE "%").
- No replay: see NO_REPLAY.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from monitoring.platforms import outbound
from monitoring.platforms.boomi.api import equals, grouped, long, query
from monitoring.platforms.boomi.documents import failed_documents
from monitoring.platforms.contract import (
    DiscoveredProcess,
    FailedRecordObservation,
    PollError,
    PollResult,
    PollTarget,
    ResolvedObservation,
    RunObservation,
    RunStatus,
)
from monitoring.platforms.fields import as_object, optional_str, parse_time, required_str

logger = logging.getLogger(__name__)

NO_REPLAY = (
    "Plumbline reads Boomi's failed documents but does not ask Boomi to rerun them (Rerun Document is not "
    "implemented); re-run them in Process Reporting"
)

# executionType of the executions that are tests, not runs of the integration: test_manual (a test-mode
# run) and test_sub_process (a subprocess a test-mode run called).
TEST_TYPES = frozenset({"test_manual", "test_sub_process"})
RETRY_PREFIX = "retry_"  # retry_manual, retry_sched: they carry the originalExecutionId they retried
OPEN_MAX = 100  # executions looked at again by id: one query page
SECOND = dt.timedelta(seconds=1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

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


@dataclass(frozen=True)
class Execution:
    run: RunObservation
    retried: str  # the originalExecutionId of a retry, else ""


@dataclass
class Cursor:
    after: dt.datetime | None = None
    open: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, text: str | None) -> Cursor:
        """The stored cursor; a bare time is an earlier version's; anything unreadable reads from the start."""
        if not text:
            return cls()
        try:
            if not text.lstrip().startswith("{"):
                return cls(after=parse_time(text, "stored cursor"))
            stored = as_object(json.loads(text), "stored cursor")
            after = stored.get("after")
            opened = stored.get("open", [])
            if not isinstance(opened, list) or not all(isinstance(i, str) and i for i in opened):
                raise PollError("stored cursor: open must be a list of execution ids")
            return cls(after=parse_time(after, "stored cursor") if after else None, open=opened[:OPEN_MAX])
        except (PollError, ValueError):
            logger.warning("Boomi cursor %r is unreadable; reading from the start", text[:80])
            return cls()

    def text(self) -> str:
        return json.dumps({"after": _boomi_time(self.after) if self.after else None, "open": self.open})


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    previous = Cursor.read(target.cursor)
    what = f"Boomi executions of process {target.ref}"
    since = _executions_since(target, client, previous.after, what)
    again = _executions_by_id(target, client, previous.open, what)
    # One execution read twice (again and since): the later reading wins.
    by_id = {e.run.external_id: e for e in (*again, *since.executions)}
    executions = sorted(by_id.values(), key=lambda e: e.run.started_at or EPOCH)  # oldest first
    records, unread = _failed_records(target, client, executions)
    resolved = [
        ResolvedObservation(run_external_id=e.retried, how=f"retried by execution {e.run.external_id}")
        for e in executions
        if e.retried and e.run.status == "success"
    ]
    waiting = [e for e in executions if e.run.status == "running" or e.run.external_id in unread]
    cursor = Cursor(after=since.after, open=[e.run.external_id for e in waiting])
    if len(cursor.open) > OPEN_MAX:
        # Too many to look at again by id: the time cursor stays before the first one left out.
        left_out = waiting[OPEN_MAX]
        logger.warning(
            "%s: more than %d executions to look at again; reading on from %s", what, OPEN_MAX, left_out.run.external_id
        )
        cursor.open = cursor.open[:OPEN_MAX]
        started = left_out.run.started_at
        if started is not None and (cursor.after is None or started - SECOND < cursor.after):
            cursor.after = max(started - SECOND, previous.after) if previous.after else started - SECOND
    return PollResult(runs=[e.run for e in executions], failed_records=records, cursor=cursor.text(), resolved=resolved)


@dataclass
class Since:
    executions: list[Execution]
    after: dt.datetime | None  # what the cursor's time may move to


def _executions_since(target: PollTarget, client: httpx.Client, after: dt.datetime | None, what: str) -> Since:
    """Every execution started after `after`, oldest first, up to the page bound; and where to go on from."""
    expression = equals("processId", target.ref)
    if after is not None:
        since = {"argument": [_boomi_time(after)], "operator": "GREATER_THAN", "property": "executionTime"}
        expression = grouped("and", expression, since)
    body = {
        "QueryFilter": {"expression": expression},
        "QuerySort": {"sortField": [{"fieldName": "executionTime", "sortOrder": "ASC"}]},
    }
    read = query(target, client, "ExecutionRecord", body, what, outbound.MAX_PAGES)
    executions = [_execution(item, f"{what}: record {n}") for n, item in enumerate(read.results)]
    times = [e.run.started_at for e in executions if e.run.started_at is not None]
    if not times:
        return Since(executions, after)
    if read.complete:
        return Since(executions, max(times))
    # Stopped at the page bound: what is left starts at the last time read or later, since the
    # query is sorted; that second may hold executions not read yet, so it is read again.
    if any(b < a for a, b in itertools.pairwise(times)):
        raise PollError(f"{what}: more than {read.pages} pages, not sorted by executionTime; the rest cannot be found")
    logger.warning("%s: stopped after %d pages; the rest is read next poll", what, read.pages)
    last = times[-1]
    if after is None or last - SECOND > after:
        return Since(executions, last - SECOND)
    logger.error("%s: more than %d executions started in the second %s; the rest are skipped", what, len(times), last)
    return Since(executions, last)


def _executions_by_id(target: PollTarget, client: httpx.Client, ids: list[str], what: str) -> list[Execution]:
    """The executions kept open by the previous poll, as they are now (one request)."""
    if not ids:
        return []
    expression = grouped(
        "and", equals("processId", target.ref), grouped("or", *(equals("executionId", i) for i in ids))
    )
    read = query(target, client, "ExecutionRecord", {"QueryFilter": {"expression": expression}}, what, 1)
    executions = [_execution(item, f"{what}: record {n}") for n, item in enumerate(read.results)]
    gone = set(ids) - {e.run.external_id for e in executions}
    if gone:
        logger.warning("%s: %d executions looked at again are no longer listed", what, len(gone))
    return executions


def _failed_records(
    target: PollTarget, client: httpx.Client, executions: list[Execution]
) -> tuple[list[FailedRecordObservation], set[str]]:
    """The errored documents of the failed executions (not tests), oldest first, within the page budget;
    and the executions whose documents were not all read."""
    records: list[FailedRecordObservation] = []
    unread: set[str] = set()
    budget = outbound.MAX_PAGES
    for execution in executions:
        run = execution.run
        if run.status != "failed" or run.test:
            continue
        if budget < 1:
            unread.add(run.external_id)
            continue
        whole = budget == outbound.MAX_PAGES
        found = failed_documents(target, client, run.external_id, budget)
        budget -= found.pages
        records.extend(found.records)
        if found.complete:
            continue
        if whole:
            # It alone needs more than a poll's budget: keep what was read rather than never moving on.
            logger.warning(
                "Boomi execution %s: more failed documents than one poll reads; the first %d kept",
                run.external_id,
                len(found.records),
            )
        else:
            unread.add(run.external_id)
    return records, unread


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    """The processes actively deployed to an environment (a draft never deployed does not run)."""
    what = "Boomi deployed processes"
    deployed = grouped("and", equals("componentType", "process"), equals("active", "true"))
    read = query(target, client, "DeployedPackage", {"QueryFilter": {"expression": deployed}}, what, outbound.MAX_PAGES)
    _complete(read.complete, what)
    ids: list[str] = []
    for n, item in enumerate(read.results):
        package = as_object(item, f"{what}: package {n}")
        component = required_str(package, "componentId", f"{what}: package {n}")
        if component not in ids:  # one process deployed to several environments
            ids.append(component)
    names = _process_names(target, client)
    return [DiscoveredProcess(ref=ref, name=names.get(ref, "")) for ref in ids]


def _process_names(target: PollTarget, client: httpx.Client) -> dict[str, str]:
    what = "Boomi process list"
    body = {"QueryFilter": {"expression": {"argument": ["%"], "operator": "LIKE", "property": "name"}}}
    read = query(target, client, "Process", body, what, outbound.MAX_PAGES)
    _complete(read.complete, what)
    names: dict[str, str] = {}
    for item in read.results:
        process = as_object(item, what)
        names[required_str(process, "id", what)] = optional_str(process, "name", what)
    return names


def _complete(complete: bool, what: str) -> None:
    if not complete:
        logger.warning("%s: stopped after %d pages; the list is incomplete", what, outbound.MAX_PAGES)


def _execution(item: Any, what: str) -> Execution:
    record = as_object(item, what)
    run = _run(record, what)
    retried = ""
    execution_type = optional_str(record, "executionType", f"Boomi execution {run.external_id[:80]}")
    if execution_type.startswith(RETRY_PREFIX):
        retried = optional_str(record, "originalExecutionId", f"Boomi execution {run.external_id[:80]}")
    return Execution(run=run, retried=retried)


def _run(record: dict[str, Any], what: str) -> RunObservation:
    execution_id = required_str(record, "executionId", what)
    what = f"Boomi execution {execution_id[:80]}"
    status_name = required_str(record, "status", what)
    if status_name not in STATUSES:
        raise PollError(f"{what}: unknown status {status_name[:40]!r}")
    started = parse_time(record.get("executionTime"), f"{what}: executionTime")
    duration = long(record, "executionDuration", what)
    failed_docs = long(record, "inboundErrorDocumentCount", what)
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
        records_in=long(record, "inboundDocumentCount", what),
        records_out=long(record, "outboundDocumentCount", what),
        records_failed=failed_docs,
        message=optional_str(record, "message", what),
        test=record.get("executionType") in TEST_TYPES,
    )


def _boomi_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
