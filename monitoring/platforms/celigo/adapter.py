"""Celigo integrator.io: the flow jobs of one flow, the open errors of its steps and those resolved since.

- Runs: GET {base}/v1/jobs?_flowId={ref}&type=flow (plus createdAt_gte=<cursor> once there is
  one), newest createdAt first. Celigo documents two kinds of paging, and both are read: a Link header's
  rel="next" is followed; a last page of JOBS_PER_LIST jobs without one is the capped newest-first list,
  so the next window is asked for with createdAt_lte=<the oldest createdAt read> (inclusive: jobs sharing
  that millisecond come twice and are kept once), until a window is short or brings nothing new.
- Auth: Authorization: Bearer <API token> from the secret env var.
- Fields: _id, status, numSuccess, numError, numIgnore, startedAt, endedAt, createdAt.
  records_in = numSuccess + numError + numIgnore, records_out = numSuccess,
  records_failed = numError.
- Status: completed is success unless numError > 0 (then failed); failed, canceled and cancelled
  are failed; queued, running and retrying are running. Any other status stops the poll.
- The flow (GET {base}/v1/flows/{ref}) is read every poll: "disabled": true is the platform's own
  switch, so the integration is down at once with "stopped on Celigo: flow <id> is disabled".
- Cursor: the newest createdAt seen, held 1 ms before the earliest job still running. Because the
  filter is "greater or equal", jobs at or before the cursor are dropped here. When a read stops at the
  page bound (Link pages, windows, or a step's resolved errors) before its end, the cursor stays where it
  was: it never moves past what was not read.
- Failed records (simplification): read only when a new job reports numError > 0. The flow
  (GET {base}/v1/flows/{ref}) names its steps (pageGenerators[]._exportId,
  pageProcessors[]._importId/_exportId, routers[].branches[].pageProcessors[]); each step's open
  errors come from GET {base}/v1/flows/{ref}/{stepId}/errors?occurredAt_gte=<earliest new failing
  job's createdAt>, paged by the body's nextPageURL. key = traceKey (else retryDataKey, errorId),
  error = "code: message", run = _flowJobId, external_id = retryDataKey (what /retry takes),
  else errorId.
- Resolved on Celigo: every poll that has a cursor reads each step's
  GET {base}/v1/flows/{ref}/{stepId}/resolved?resolvedAt_gte=<the previous cursor> ({"resolved": [...],
  "nextPageURL": ...}). A record Plumbline stored was read as open after the jobs up to that cursor were
  created, so it was resolved later than the cursor if at all: the window misses none and stays bounded.
  Each resolved error closes the record stored under its retryDataKey or its errorId (both are sent, so a
  record stored before its error had a retry key closes too), noted "resolved on Celigo". Errors resolved
  twice or never stored close nothing. The adapter cannot know which records are open, so this is read
  every poll, not only when some are.
- discover: GET {base}/v1/flows (Link paging; 204 when there are none): _id and name of the flows that
  are not "disabled" (a disabled flow, e.g. a draft or one switched off, runs nothing).
- replay (retry of flow errors): a failed record's external_id is the retryDataKey of its error, but
  not the step it belongs to, so the flow's steps and all their open errors are read first to find
  each key's step (no time filter: a stored record's time may be when Plumbline saw it). Records
  with no open retryable error (already retried or resolved at Celigo, or an error without a
  retryDataKey) are skipped.
  Then POST {base}/v1/flows/{ref}/{stepId}/retry with {"retryDataKeys": [...]}, one call per run of
  consecutive records on the same step (at most RETRY_BATCH keys), in original order. Assumption:
  the answer may carry the retry job's id as _jobId (or _id); it is kept as the reference when
  present and not required. Celigo runs each call as its own job: the calls go in order, but
  integrator.io does not promise one retry job finishes before the next begins.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from monitoring.platforms import outbound
from monitoring.platforms.contract import (
    DiscoveredProcess,
    FailedRecordObservation,
    PollError,
    PollResult,
    PollTarget,
    ReplayRecord,
    ReplayResult,
    ResolvedObservation,
    RunObservation,
    RunStatus,
)
from monitoring.platforms.cursors import cursor_time, held_back_time
from monitoring.platforms.fields import (
    as_list,
    as_object,
    format_time,
    optional_count,
    optional_id,
    optional_str,
    optional_time,
    parse_time,
    required_str,
)

logger = logging.getLogger(__name__)

STATUSES: dict[str, RunStatus] = {
    "completed": "success",
    "failed": "failed",
    "canceled": "failed",
    "cancelled": "failed",
    "queued": "running",
    "running": "running",
    "retrying": "running",
}
RESOLVED_HOW = "resolved on Celigo"  # noted on a failed record an error resolved on Celigo closes
RETRY_BATCH = 100  # retryDataKeys per retry call (our bound; the API takes a list)
# The jobs API lists at most this many jobs, newest first, when it gives no Link header (its reference
# page says up to 1,001; a list this long or longer is taken as cut).
JOBS_PER_LIST = 1000


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    base, headers = _connection(target)
    previous = cursor_time(target.cursor, "Celigo")
    what = f"Celigo jobs of flow {target.ref}"
    params: dict[str, str | int] = {"_flowId": target.ref, "type": "flow"}
    if previous is not None:
        params["createdAt_gte"] = format_time(previous, millis=True)
    runs: list[RunObservation] = []
    created: list[tuple[dt.datetime, RunStatus]] = []
    seen: set[str] = set()
    erring_since: dt.datetime | None = None
    complete = True
    for window in range(1, outbound.MAX_PAGES + 1):
        oldest: dt.datetime | None = None
        last_page = 0
        new = 0
        pages = _LinkPages(client, base, f"{base}/v1/jobs", params, headers, what)
        for page in pages:
            items = as_list(page, what)
            last_page = len(items)
            for n, item in enumerate(items):
                where = f"{what}: job {len(seen) + n + 1}"
                job = as_object(item, where)
                created_at = parse_time(job.get("createdAt"), f"{where}: createdAt")
                oldest = created_at if oldest is None else min(oldest, created_at)
                if previous is not None and created_at <= previous:
                    continue
                run = _run(job, where)
                if run.external_id in seen:
                    continue  # the window boundary is inclusive: a job on it comes twice
                seen.add(run.external_id)
                new += 1
                runs.append(run)
                created.append((created_at, run.status))
                if run.records_failed:
                    erring_since = min(created_at, erring_since or created_at)
        if pages.cut:  # Link pages left unread: older jobs wait for the next poll, from the same cursor
            complete = False
            break
        # A last page as long as the documented newest-first list (JOBS_PER_LIST) may be cut: older jobs
        # are read in the window ending at the oldest one listed (inclusive, so jobs sharing its
        # millisecond are not lost), until a window is short or brings nothing new.
        if last_page < JOBS_PER_LIST or oldest is None or not new:
            break
        if window == outbound.MAX_PAGES:
            complete = False
            logger.warning("%s: stopped after %d windows of %d jobs", what, window, JOBS_PER_LIST)
            break
        params = {**params, "createdAt_lte": format_time(oldest, millis=True)}
    # The flow says whether someone switched it off on Celigo (and names the steps errors are read from).
    flow = _flow(client, base, headers, target.ref)
    stopped = f"stopped on Celigo: flow {target.ref} is disabled" if flow.get("disabled") is True else ""
    records = _failed_records(client, base, headers, target.ref, erring_since, flow) if erring_since else []
    # Errors resolved on Celigo since the previous poll began close the records stored for them. Every record
    # stored was read as open after the previous cursor's jobs were created, so it can only be resolved later
    # than that cursor: resolvedAt_gte=<previous cursor> misses none. No cursor, no stored records to close.
    resolved: list[ResolvedObservation] = []
    if previous is not None:
        resolved, all_read = _resolved_errors(client, base, headers, target.ref, previous, flow)
        complete = complete and all_read
    # The cursor never moves past what was not read: after an incomplete read it stays where it was.
    cursor = held_back_time(created, previous, dt.timedelta(milliseconds=1)) if complete else previous
    return PollResult(
        runs=runs,
        failed_records=records,
        cursor=format_time(cursor, millis=True) if cursor else target.cursor,
        resolved=resolved,
        stopped=stopped,
    )


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    base, headers = _connection(target)
    what = "Celigo flow list"
    found: list[DiscoveredProcess] = []
    for page in _LinkPages(client, base, f"{base}/v1/flows", {}, headers, what):
        for item in as_list(page, what):
            flow = as_object(item, what)
            if flow.get("disabled") is True:
                continue  # switched off (a draft, or stopped): it moves no data, so it is no connection
            found.append(DiscoveredProcess(ref=required_str(flow, "_id", what), name=optional_str(flow, "name", what)))
    return found


def _connection(target: PollTarget) -> tuple[str, dict[str, str]]:
    if not target.base_url:
        raise PollError("Celigo platform account has no base_url")
    token = outbound.read_secret(target.secret_env)
    return target.base_url.rstrip("/"), {"Accept": "application/json", "Authorization": f"Bearer {token}"}


class _LinkPages:
    """Each page's JSON body, following Link rel="next" on the platform's own origin, at most MAX_PAGES;
    `cut` tells afterwards whether a next page was left unread."""

    def __init__(
        self,
        client: httpx.Client,
        base: str,
        url: str,
        params: dict[str, str | int],
        headers: dict[str, str],
        what: str,
    ) -> None:
        self.client, self.base, self.url, self.params, self.headers, self.what = (
            client,
            base,
            url,
            params,
            headers,
            what,
        )
        self.cut = False

    def __iter__(self) -> Iterator[Any]:
        what = self.what
        reply = outbound.send(self.client, "GET", self.url, what=what, headers=self.headers, params=self.params)
        for page in range(1, outbound.MAX_PAGES + 1):
            yield [] if reply.status_code == 204 else reply.json(what)
            following = reply.links.get("next")
            if not following:
                return
            if page == outbound.MAX_PAGES:
                self.cut = True
                logger.warning("%s: stopped after %d pages", what, page)
                return
            next_url = outbound.require_same_origin(following, self.base, what)
            reply = outbound.send(self.client, "GET", next_url, what=what, headers=self.headers)


def _run(job: dict[str, Any], what: str) -> RunObservation:
    job_id = required_str(job, "_id", what)
    what = f"Celigo job {job_id[:80]}"
    status_name = required_str(job, "status", what)
    if status_name not in STATUSES:
        raise PollError(f"{what}: unknown status {status_name[:40]!r}")
    succeeded = optional_count(job, "numSuccess", what)
    errors = optional_count(job, "numError", what)
    ignored = optional_count(job, "numIgnore", what)
    status = STATUSES[status_name]
    if status_name == "completed" and errors:
        status = "failed"
    counts = [succeeded, errors, ignored]
    return RunObservation(
        external_id=job_id,
        status=status,
        started_at=optional_time(job, "startedAt", what),
        finished_at=optional_time(job, "endedAt", what),
        records_in=sum(c or 0 for c in counts) if any(c is not None for c in counts) else None,
        records_out=succeeded,
        records_failed=errors,
    )


def replay(target: PollTarget, client: httpx.Client, records: Sequence[ReplayRecord]) -> ReplayResult:
    base, headers = _connection(target)
    if not target.ref:
        raise PollError("Celigo health source has no flow id (ref)")
    flow_id = target.ref
    step_of: dict[str, str] = {}
    for step_id, item in _open_errors(client, base, headers, flow_id, None):
        retry_key = optional_id(as_object(item, f"Celigo errors of flow {flow_id}"), "retryDataKey", "Celigo error")
        if retry_key:
            step_of.setdefault(retry_key, step_id)
    batches: list[tuple[str, list[ReplayRecord]]] = []
    skipped: dict[int, str] = {}
    for record in records:
        step = step_of.get(record.external_id) if record.external_id else None
        if step is None:
            skipped[record.position] = "no open retryable error at Celigo"
        elif batches and batches[-1][0] == step and len(batches[-1][1]) < RETRY_BATCH:
            batches[-1][1].append(record)
        else:
            batches.append((step, [record]))
    accepted: list[int] = []
    jobs: list[str] = []
    for step_id, batch in batches:
        what = f"Celigo retry of flow {flow_id} step {step_id}"
        body = {"retryDataKeys": [r.external_id for r in batch]}
        try:
            reply = outbound.send(
                client, "POST", f"{base}/v1/flows/{flow_id}/{step_id}/retry", what=what, headers=headers, json_body=body
            )
        except PollError as exc:
            if not accepted:
                raise
            return ReplayResult(accepted=accepted, skipped=skipped, reference=", ".join(jobs), error=str(exc))
        accepted += [r.position for r in batch]
        if job_id := _retry_job_id(reply, what):
            jobs.append(job_id)
    return ReplayResult(accepted=accepted, skipped=skipped, reference=", ".join(jobs))


def _retry_job_id(reply: outbound.Reply, what: str) -> str:
    """The retry job's id if the answer names one; the retry was accepted either way."""
    try:
        body = reply.json(what) if reply.content else None
    except PollError:
        return ""
    if isinstance(body, dict):
        job_id = body.get("_jobId") or body.get("_id")
        if isinstance(job_id, str):
            return job_id[:200]
    return ""


def _failed_records(
    client: httpx.Client, base: str, headers: dict[str, str], flow_id: str, since: dt.datetime, flow: dict[str, Any]
) -> list[FailedRecordObservation]:
    return [
        _failed_record(item, f"Celigo errors of flow {flow_id} step {step_id}")
        for step_id, item in _open_errors(client, base, headers, flow_id, since, flow)
    ]


def _flow(client: httpx.Client, base: str, headers: dict[str, str], flow_id: str) -> dict[str, Any]:
    what = f"Celigo flow {flow_id}"
    return as_object(
        outbound.send(client, "GET", f"{base}/v1/flows/{flow_id}", what=what, headers=headers).json(what), what
    )


def _open_errors(
    client: httpx.Client,
    base: str,
    headers: dict[str, str],
    flow_id: str,
    since: dt.datetime | None,
    flow: dict[str, Any] | None = None,
) -> Iterator[tuple[str, Any]]:
    """(step id, raw error) for the open errors of every step of the flow, in flow order."""
    flow = flow if flow is not None else _flow(client, base, headers, flow_id)
    params: dict[str, str | int] = {"occurredAt_gte": format_time(since, millis=True)} if since else {}
    for step_id in _step_ids(flow, f"Celigo flow {flow_id}"):
        url = f"{base}/v1/flows/{flow_id}/{step_id}/errors"
        errors, _ = _step_list(
            client, base, headers, url, params, "errors", f"Celigo errors of flow {flow_id} step {step_id}"
        )
        for item in errors:
            yield step_id, item


def _resolved_errors(
    client: httpx.Client, base: str, headers: dict[str, str], flow_id: str, since: dt.datetime, flow: dict[str, Any]
) -> tuple[list[ResolvedObservation], bool]:
    """The errors of every step resolved since `since`, each under the id its failed record was stored with
    (retryDataKey, else errorId; errorId too, in case the record was stored before it had a retry key), and
    whether every page was read."""
    params: dict[str, str | int] = {"resolvedAt_gte": format_time(since, millis=True)}
    closed: list[ResolvedObservation] = []
    complete = True
    for step_id in _step_ids(flow, f"Celigo flow {flow_id}"):
        what = f"Celigo resolved errors of flow {flow_id} step {step_id}"
        url = f"{base}/v1/flows/{flow_id}/{step_id}/resolved"
        items, all_read = _step_list(client, base, headers, url, params, "resolved", what)
        complete = complete and all_read
        for item in items:
            error = as_object(item, f"{what}: error")
            retry_key = optional_id(error, "retryDataKey", what)
            error_id = optional_id(error, "errorId", what)
            if not (retry_key or error_id):
                raise PollError(f"{what}: a resolved error has no retryDataKey or errorId")
            closed += [ResolvedObservation(external_id=k, how=RESOLVED_HOW) for k in (retry_key, error_id) if k]
    return closed, complete


def _step_list(
    client: httpx.Client,
    base: str,
    headers: dict[str, str],
    url: str,
    params: dict[str, str | int],
    key: str,
    what: str,
) -> tuple[list[Any], bool]:
    """The items under `key` across a step's pages (body nextPageURL, same origin only), and whether the
    last page was reached within the page bound."""
    items: list[Any] = []
    reply = outbound.send(client, "GET", url, what=what, headers=headers, params=params)
    for page in range(1, outbound.MAX_PAGES + 1):
        body = as_object(reply.json(what), what)
        items += as_list(body.get(key, []), f"{what}: {key}")
        following = body.get("nextPageURL")
        if not following:
            return items, True
        if not isinstance(following, str):
            raise PollError(f"{what}: nextPageURL must be a string")
        if page == outbound.MAX_PAGES:
            break
        reply = outbound.send(
            client, "GET", outbound.require_same_origin(following, base, what), what=what, headers=headers
        )
    logger.warning("%s: stopped after %d pages", what, outbound.MAX_PAGES)
    return items, False


def _step_ids(flow: dict[str, Any], what: str) -> list[str]:
    """The exports and imports of a flow, in flow order, each once."""
    steps: list[Any] = list(as_list(flow.get("pageGenerators", []), f"{what}: pageGenerators"))
    steps += as_list(flow.get("pageProcessors", []), f"{what}: pageProcessors")
    for router in as_list(flow.get("routers", []), f"{what}: routers"):
        for branch in as_list(as_object(router, f"{what}: router").get("branches", []), f"{what}: branches"):
            steps += as_list(as_object(branch, f"{what}: branch").get("pageProcessors", []), f"{what}: pageProcessors")
    ids: list[str] = []
    for step in steps:
        step = as_object(step, f"{what}: step")
        step_id = optional_str(step, "_exportId", what) or optional_str(step, "_importId", what)
        if step_id and step_id not in ids:
            ids.append(step_id)
    return ids


def _failed_record(item: Any, what: str) -> FailedRecordObservation:
    error = as_object(item, f"{what}: error")
    retry_key = optional_id(error, "retryDataKey", what)
    error_id = optional_id(error, "errorId", what)
    key = optional_id(error, "traceKey", what) or retry_key or error_id
    if not key:
        raise PollError(f"{what}: an error has no traceKey, retryDataKey or errorId")
    message = required_str(error, "message", what)
    code = optional_str(error, "code", what)
    return FailedRecordObservation(
        key=key,
        error=f"{code}: {message}" if code else message,
        occurred_at=optional_time(error, "occurredAt", what),
        run_external_id=optional_str(error, "_flowJobId", what) or None,
        external_id=retry_key or error_id or None,
    )
