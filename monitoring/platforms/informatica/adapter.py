"""Informatica IDMC (Intelligent Cloud Services): the completed runs of one task from the activity log.

- Auth: access.py; a REST API version 2 session (login with "user:password", then serverUrl and icSessionId).
- Runs: GET {serverUrl}/api/v2/activity/activityLog?taskId={ref}&offset=<n>&rowLimit=ROW_LIMIT, a JSON array of
  activityLogEntry objects, newest first (assumed: README "Departures"). Pages by offset until a page is shorter
  than rowLimit or holds an entry that ended at or before the cursor; at most outbound.MAX_PAGES pages.
- One run per entry: external_id = the entry's id (the log entry id; runId counts per task), started and
  finished at startTimeUtc / endTimeUtc (startTime and endTime are Eastern Time), records_in =
  successSourceRows + failedSourceRows, records_out = successTargetRows, records_failed = failedTargetRows,
  message = errorMsg (at most MESSAGE_CHARS).
- State: 1 success; 2 warning (completed with errors) failed, as Celigo's completed-with-errors and Boomi's
  COMPLETE_WARN are; 3 failed. Any other value stops the poll. The activity log holds completed jobs only, so
  no run is ever running here.
- Cursor: the newest endTimeUtc read; entries that ended at or before it are dropped. A read cut at the page
  bound keeps the previous cursor, so nothing unread is passed over.
- discover: GET {serverUrl}/api/v2/task?type=<T> for each Data Integration task type (TASK_TYPES): id and name.
- No replay: the activity log counts failed rows but names none.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import httpx

from monitoring.platforms import outbound
from monitoring.platforms.contract import (
    MAX_COUNT,
    DiscoveredProcess,
    PollError,
    PollResult,
    PollTarget,
    RunObservation,
    RunStatus,
)
from monitoring.platforms.cursors import cursor_time
from monitoring.platforms.fields import (
    as_list,
    as_object,
    format_time,
    optional_count,
    optional_id,
    optional_str,
    optional_time,
    parse_time,
    required_id,
)
from monitoring.platforms.informatica.access import connect

logger = logging.getLogger(__name__)

NO_REPLAY = "Informatica's activity log counts failed rows but names none, so there are no records to send again"
ACTIVITY_LOG = "/api/v2/activity/activityLog"
TASKS = "/api/v2/task"
ROW_LIMIT = 1000  # the largest rowLimit the activityLog takes
MESSAGE_CHARS = 1000
STATES: dict[int, RunStatus] = {1: "success", 2: "failed", 3: "failed"}
WARNING = 2
# The task types /api/v2/task lists for Data Integration: mapping, synchronization, replication, masking, PowerCenter.
TASK_TYPES = ("MTT", "DSS", "DRS", "DMASK", "PCS")
UNAVAILABLE = (403, 404)  # a task type not open to the organization


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    session = connect(target, client)
    if not target.ref:
        raise PollError("Informatica health source has no task id (ref)")
    previous = cursor_time(target.cursor, "Informatica")
    what = f"Informatica activity log of task {target.ref}"
    runs: list[RunObservation] = []
    seen: set[str] = set()
    newest = previous
    offset = 0
    complete = True
    for page_number in range(1, outbound.MAX_PAGES + 1):
        params: dict[str, str | int] = {"taskId": target.ref, "offset": offset, "rowLimit": ROW_LIMIT}
        page = as_list(session.get(ACTIVITY_LOG, what, params).json(what), what)
        reached_cursor = False
        for n, item in enumerate(page):
            where = f"{what}: entry {offset + n + 1}"
            entry = as_object(item, where)
            ended = parse_time(entry.get("endTimeUtc"), f"{where}: endTimeUtc")
            if previous is not None and ended <= previous:
                reached_cursor = True  # read by an earlier poll; newest first, so the rest were too
                continue
            run = _run(entry, target.ref, ended, where)
            if run.external_id in seen:
                continue  # a run finishing while pages are read shifts the offsets: an entry may come twice
            seen.add(run.external_id)
            runs.append(run)
            newest = ended if newest is None else max(newest, ended)
        offset += len(page)
        if reached_cursor or len(page) < ROW_LIMIT:
            break
        if page_number == outbound.MAX_PAGES:
            complete = False
            logger.warning("%s: stopped after %d pages of %d entries", what, page_number, ROW_LIMIT)
    # The cursor never moves past what was not read: after a cut read it stays where it was.
    cursor = newest if complete else previous
    return PollResult(runs=runs, cursor=format_time(cursor, millis=True) if cursor else target.cursor)


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    session = connect(target, client)
    found: dict[str, DiscoveredProcess] = {}
    refused: list[str] = []
    for task_type in TASK_TYPES:
        what = f"Informatica {task_type} task list"
        try:
            reply = session.get(TASKS, what, {"type": task_type})
        except outbound.StatusError as exc:
            if exc.what != what or exc.status_code not in UNAVAILABLE:
                raise
            refused.append(task_type)
            continue
        for item in as_list(reply.json(what), what):
            task = as_object(item, what)
            task_id = required_id(task, "id", what)
            found.setdefault(task_id, DiscoveredProcess(ref=task_id, name=optional_str(task, "name", what)))
    if len(refused) == len(TASK_TYPES):
        raise PollError("Informatica discovery: no task type is open to this organization")
    return list(found.values())


def _run(entry: dict[str, Any], task_id: str, ended: dt.datetime, where: str) -> RunObservation:
    entry_id = required_id(entry, "id", where)
    what = f"Informatica activity log entry {entry_id[:80]}"
    object_id = optional_id(entry, "objectId", what)
    if object_id and object_id != task_id:
        raise PollError(f"{what}: belongs to task {object_id[:80]}, not {task_id[:80]} (taskId filter not applied?)")
    state = entry.get("state")
    if isinstance(state, bool) or not isinstance(state, int) or state not in STATES:
        raise PollError(f"{what}: unknown state {str(state)[:40]!r}")
    succeeded_in = optional_count(entry, "successSourceRows", what)
    failed_in = optional_count(entry, "failedSourceRows", what)
    message = optional_str(entry, "errorMsg", what)
    if state == WARNING and not message:
        message = "completed with warnings"
    return RunObservation(
        external_id=entry_id,
        status=STATES[state],
        started_at=optional_time(entry, "startTimeUtc", what),
        finished_at=ended,
        records_in=None
        if succeeded_in is None and failed_in is None
        else min((succeeded_in or 0) + (failed_in or 0), MAX_COUNT),
        records_out=optional_count(entry, "successTargetRows", what),
        records_failed=optional_count(entry, "failedTargetRows", what),
        message=message[:MESSAGE_CHARS],
    )
