"""HTTP pull: GET the integration's own status URL (no auth) and read the shape in DESIGN.md.

    {"runs": [{"id": "r-42", "started_at": "…", "finished_at": "…", "status": "success|failed|running",
               "records_in": 10, "records_out": 10, "records_failed": 0, "message": "…",
               "source_count": 10, "target_count": 10, "period_start": "…", "period_end": "…"}],
     "failed_records": [{"key": "…", "error": "…", "occurred_at": "…", "run_id": "r-42"}]}

The four reconciliation keys are optional: what the source and the target system each counted
for the period (period_start..period_end; without them, the run's own time).
Runs come newest first. "runs" is required, "failed_records" may be left out; unknown keys are
ignored, but a known key with the wrong type stops the poll. Timestamps must carry a timezone.
Cursor: the id of the newest run with nothing running below it. The next poll returns only runs
above it (and failed records not tied to a run already returned); if that id has rolled off the
page, every run on the page is returned again, which the core's upsert absorbs.
No replay: a status URL is read-only, so a re-sync is manual.
"""

from __future__ import annotations

from typing import Any

import httpx

from monitoring.platforms import outbound
from monitoring.platforms.contract import (
    DiscoveredProcess,
    FailedRecordObservation,
    PollError,
    PollResult,
    PollTarget,
    RunObservation,
    RunStatus,
)
from monitoring.platforms.cursors import newest_finished_id
from monitoring.platforms.fields import (
    as_list,
    as_object,
    optional_count,
    optional_str,
    optional_time,
    required_id,
    required_str,
)

WHAT = "status URL"
NO_REPLAY = "a status URL is read-only: Plumbline cannot ask the integration to send records again"
STATUSES: dict[str, RunStatus] = {"success": "success", "failed": "failed", "running": "running"}


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    if not target.url:
        raise PollError("http health source has no url")
    reply = outbound.send(client, "GET", target.url, what=WHAT, headers={"Accept": "application/json"})
    body = as_object(reply.json(WHAT), WHAT)
    runs = [_run(item, f"{WHAT}: runs[{i}]") for i, item in enumerate(as_list(body.get("runs"), f"{WHAT}: runs"))]
    records = [
        _failed_record(item, f"{WHAT}: failed_records[{i}]")
        for i, item in enumerate(as_list(body.get("failed_records", []), f"{WHAT}: failed_records"))
    ]
    ids = [run.external_id for run in runs]
    if len(set(ids)) != len(ids):
        raise PollError(f"{WHAT}: runs repeat an id")

    fresh, returned_before = runs, set[str]()
    if target.cursor in ids:
        cut = ids.index(target.cursor)
        fresh, returned_before = runs[:cut], set(ids[cut:])
    return PollResult(
        runs=fresh,
        failed_records=[r for r in records if r.run_external_id not in returned_before],
        cursor=newest_finished_id(runs, target.cursor),
    )


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    return []  # a status URL describes one integration; there is nothing to discover


def _run(item: Any, what: str) -> RunObservation:
    run = as_object(item, what)
    status = required_str(run, "status", what)
    if status not in STATUSES:
        raise PollError(f"{what}: status must be success, failed or running, got {status[:40]!r}")
    return RunObservation(
        external_id=required_id(run, "id", what),
        status=STATUSES[status],
        started_at=optional_time(run, "started_at", what),
        finished_at=optional_time(run, "finished_at", what),
        records_in=optional_count(run, "records_in", what),
        records_out=optional_count(run, "records_out", what),
        records_failed=optional_count(run, "records_failed", what),
        message=optional_str(run, "message", what),
        source_count=optional_count(run, "source_count", what),
        target_count=optional_count(run, "target_count", what),
        period_start=optional_time(run, "period_start", what),
        period_end=optional_time(run, "period_end", what),
    )


def _failed_record(item: Any, what: str) -> FailedRecordObservation:
    record = as_object(item, what)
    run_id = record.get("run_id")
    return FailedRecordObservation(
        key=required_id(record, "key", what),
        error=required_str(record, "error", what),
        occurred_at=optional_time(record, "occurred_at", what),
        run_external_id=required_id(record, "run_id", what) if run_id is not None else None,
    )
