"""Workato: the jobs of one recipe, read through the Developer API.

- Runs: GET {base}/api/recipes/{ref}/jobs, newest first. Older pages: offset_job_id=<id of the
  last job on the page> with prev=false ("jobs prior to the offset"). Reading stops at the page
  holding the cursor job, at an empty page (the list's end), or after MAX_PAGES pages.
- Auth: Authorization: Bearer <API client token> from the secret env var.
- Fields: id (a handle such as "j-AbC12-xyz", or a number on older accounts), status
  (succeeded | failed | pending) where the response carries it, otherwise derived from is_error
  and completed_at; started_at, completed_at, error (the failure message), title (what the trigger
  event was), master_job_id (on a repeat: the job it repeats).
- Workato reports no record counts per job, so records_* stay empty.
- The recipe's details (GET {base}/api/recipes/{ref}) are read every poll: "running": false is the
  platform's own switch, so the integration is down at once with "stopped on Workato: recipe <id> is
  not running".
- Cursor: the id of the newest job with no pending job below it (every job at and below it is stored,
  finished); the next poll returns the jobs above it. Offset paging is stable while new jobs arrive, so
  a read cut at MAX_PAGES before the cursor job goes on next poll from the oldest job it read (the
  cursor then holds {"floor", "resume", "top"} as JSON) until it reaches the cursor job, and only then
  moves the cursor: nothing between the cursor and the newest job is passed over. A first poll (no
  cursor) cut at MAX_PAGES starts the cursor at what it read and does not back-fill older history.
- Failed records: a Workato job carries one trigger event, so each failed job is one failed record:
  key is its title (else the job id), run the job id, external_id the job id, error its message, time
  its completion (else start). A job with is_poll_error true is the trigger failing to poll its app: a
  failed run ("the trigger could not poll: ..."), the integration failing, but no record to replay.
- Repeats: a job with master_job_id is a repeat of that job, with the same trigger event. Assumption:
  master_job_id names the original job also for a repeat of a repeat. A failed repeat is the original's
  record (external_id = master_job_id, so it is not stored twice); a repeat that succeeded closes the
  original's records (ResolvedObservation by that job id as run and as error id), noted "repeated as
  job <repeat id>". A pending repeat closes nothing until it ends.
- discover: GET {base}/api/recipes?page=N&per_page=100&running=true ({"items": [{id, name, running}]})
  until a short page; a recipe whose running is false (stopped, or a draft never started) is left out
  even if the list ignores the filter: discovery lists what runs.
- replay (repeat jobs): POST {base}/api/recipes/{ref}/repeat_jobs with {"job_ids": [...]}, the jobs of
  the records in original order, each job once (records without a job id are skipped). Workato
  documents at most 25 jobs per request and one request per second, so longer lists go in batches
  of 25 a second apart. Assumption: the body field is "job_ids" and any 2xx answer means the jobs
  were queued; the answer's body is not read (the repeats are found by master_job_id when polled).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
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
from monitoring.platforms.fields import as_list, as_object, optional_id, optional_str, optional_time, required_id

logger = logging.getLogger(__name__)

STATUSES: dict[str, RunStatus] = {"succeeded": "success", "failed": "failed", "pending": "running"}
RECIPES_PER_PAGE = 100
# A job whose trigger could not poll (is_poll_error) is a failed run with this reason, not a record to replay.
POLL_ERROR = "the trigger could not poll"
REPEAT_BATCH = 25  # Workato's limit of jobs per repeat_jobs request
REPEAT_PAUSE_SECONDS = 1.0  # and its rate limit: one repeat_jobs request per second


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    base, headers = _connection(target)
    sweep = _Sweep.read(target.cursor)
    jobs, reached = _read_jobs(client, base, headers, target.ref, sweep)
    runs = [job.run for job in jobs]
    failed = [
        FailedRecordObservation(
            key=job.title or job.run.external_id,
            error=job.run.message or "job failed",
            occurred_at=job.run.finished_at or job.run.started_at,
            run_external_id=job.run.external_id,
            # A repeat carries the trigger event of the job it repeats: the same record, under that job's id.
            external_id=job.master or job.run.external_id,
        )
        for job in reversed(jobs)  # oldest first: the order they failed in
        if job.run.status == "failed" and not job.poll_error
    ]
    resolved = [
        ResolvedObservation(
            external_id=job.master, run_external_id=job.master, how=f"repeated as job {job.run.external_id}"
        )
        for job in reversed(jobs)
        if job.master and job.run.status == "success"
    ]
    return PollResult(
        runs=runs,
        failed_records=failed,
        cursor=sweep.after(jobs, reached),
        resolved=resolved,
        stopped=_stopped(client, base, headers, target.ref),
    )


@dataclass(frozen=True)
class _Job:
    run: RunObservation
    title: str  # what the job's trigger event was about ("New invoice INV-7 in Chargebee"), "" when absent
    master: str  # the job this one repeats (master_job_id), "" for a job that is no repeat
    poll_error: bool  # the trigger could not poll: no record was handled


@dataclass(frozen=True)
class _Sweep:
    """Where reading the newest-first job list stands between polls.

    `floor` is the newest job at and below which every job was stored, finished (the plain cursor). A
    read from the top that stops at the page bound before the floor leaves a gap; it goes on next poll
    from `resume` (the oldest job read) down to the floor, and `top` says what the floor becomes once it
    gets there: the newest job read with no pending job below it ("" while that is the next job read).
    """

    floor: str | None
    resume: str = ""
    top: str = ""

    @classmethod
    def read(cls, cursor: str | None) -> _Sweep:
        if not cursor or not cursor.startswith("{"):
            return cls(floor=cursor or None)
        try:
            state = json.loads(cursor)
            floor, resume, top = state["floor"], state["resume"], state["top"]
            if not (isinstance(floor, str) and isinstance(resume, str) and isinstance(top, str) and floor and resume):
                raise ValueError("not a sweep")
        except (ValueError, KeyError, TypeError):
            logger.warning("Workato cursor %r is not one this adapter wrote; reading from the top", cursor[:80])
            return cls(floor=None)
        return cls(floor=floor, resume=resume, top=top)

    def after(self, newest_first: Sequence[_Job], reached: bool) -> str | None:
        """The cursor once these jobs are stored: the new floor when the read reached the old one (or the
        list's end), else this sweep's state to go on from. Without a floor (a first poll) a cut read starts
        the cursor at what it read: older history is not back-filled."""
        top = self.top if self.resume else ""
        for job in newest_first:
            top = top or job.run.external_id
            if job.run.status == "running":
                top = ""  # a pending job below the candidate: the floor stays under it until it finishes
        if reached or self.floor is None:
            return top or self.floor
        resume = newest_first[-1].run.external_id if newest_first else self.resume
        return json.dumps({"floor": self.floor, "resume": resume, "top": top})


def _read_jobs(
    client: httpx.Client, base: str, headers: dict[str, str], recipe_id: str, sweep: _Sweep
) -> tuple[list[_Job], bool]:
    """The jobs above the floor, newest first, from the top or from where a cut read stopped, at most
    MAX_PAGES pages; and whether the floor (or the end of the list) was reached."""
    what = f"Workato jobs of recipe {recipe_id}"
    url = f"{base}/api/recipes/{recipe_id}/jobs"
    jobs: list[_Job] = []
    params: dict[str, str | int] = {"offset_job_id": sweep.resume, "prev": "false"} if sweep.resume else {}
    for _ in range(outbound.MAX_PAGES):
        reply = outbound.send(client, "GET", url, what=what, headers=headers, params=params)
        items = as_list(as_object(reply.json(what), what).get("items"), f"{what}: items")
        page = [_job(item, f"{what}: job {len(jobs) + i + 1}") for i, item in enumerate(items)]
        ids = [job.run.external_id for job in page]
        if sweep.floor in ids:
            jobs.extend(page[: ids.index(sweep.floor)])
            return jobs, True
        if not page:
            return jobs, True  # the oldest job is behind us (or the floor job is no longer kept)
        if params.get("offset_job_id") == ids[-1]:
            logger.warning("%s: the page after job %s ends with it again (offset ignored?)", what, ids[-1])
            return jobs, False
        jobs.extend(page)
        params = {"offset_job_id": ids[-1], "prev": "false"}
    if sweep.floor:
        logger.warning("%s: stopped after %d pages before the cursor; the next poll goes on", what, outbound.MAX_PAGES)
    return jobs, False


def _stopped(client: httpx.Client, base: str, headers: dict[str, str], recipe_id: str) -> str:
    """Why the recipe is switched off on Workato ("running": false in its details), or ""."""
    what = f"Workato recipe {recipe_id}"
    recipe = as_object(
        outbound.send(client, "GET", f"{base}/api/recipes/{recipe_id}", what=what, headers=headers).json(what), what
    )
    return f"stopped on Workato: recipe {recipe_id} is not running" if recipe.get("running") is False else ""


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    base, headers = _connection(target)
    what = "Workato recipe list"
    found: list[DiscoveredProcess] = []
    for page in range(1, outbound.MAX_PAGES + 1):
        params: dict[str, str | int] = {"page": page, "per_page": RECIPES_PER_PAGE, "running": "true"}
        reply = outbound.send(client, "GET", f"{base}/api/recipes", what=what, headers=headers, params=params)
        items = as_list(as_object(reply.json(what), what).get("items"), f"{what}: items")
        for item in items:
            recipe = as_object(item, what)
            if recipe.get("running") is False:
                continue  # stopped, or a draft never started: it runs nothing, so it is no connection
            found.append(
                DiscoveredProcess(ref=required_id(recipe, "id", what), name=optional_str(recipe, "name", what))
            )
        if len(items) < RECIPES_PER_PAGE:
            break
    return found


def replay(target: PollTarget, client: httpx.Client, records: Sequence[ReplayRecord]) -> ReplayResult:
    base, headers = _connection(target)
    if not target.ref:
        raise PollError("Workato health source has no recipe id (ref)")
    positions: dict[str, list[int]] = {}  # job id -> its records, jobs in first-failure order
    skipped: dict[int, str] = {}
    for record in records:
        job_id = record.external_id or record.run_external_id
        if job_id:
            positions.setdefault(job_id, []).append(record.position)
        else:
            skipped[record.position] = "no Workato job id"
    job_ids = list(positions)
    url = f"{base}/api/recipes/{target.ref}/repeat_jobs"
    what = f"Workato repeat of jobs of recipe {target.ref}"
    accepted: list[int] = []
    for start in range(0, len(job_ids), REPEAT_BATCH):
        batch = job_ids[start : start + REPEAT_BATCH]
        if start:
            time.sleep(REPEAT_PAUSE_SECONDS)
        try:
            outbound.send(client, "POST", url, what=what, headers=headers, json_body={"job_ids": batch})
        except PollError as exc:
            if not accepted:
                raise
            return ReplayResult(accepted=accepted, skipped=skipped, error=str(exc))
        accepted += [position for job_id in batch for position in positions[job_id]]
    return ReplayResult(accepted=accepted, skipped=skipped)


def _connection(target: PollTarget) -> tuple[str, dict[str, str]]:
    if not target.base_url:
        raise PollError("Workato platform account has no base_url")
    token = outbound.read_secret(target.secret_env)
    return target.base_url.rstrip("/"), {"Accept": "application/json", "Authorization": f"Bearer {token}"}


def _job(item: Any, what: str) -> _Job:
    job = as_object(item, what)
    job_id = required_id(job, "id", what)
    what = f"Workato job {job_id[:80]}"
    completed = optional_time(job, "completed_at", what)
    status_name = job.get("status")
    if status_name is None:
        is_error = job.get("is_error")
        if not isinstance(is_error, bool):
            raise PollError(f"{what}: needs a status or an is_error flag")
        status: RunStatus = "failed" if is_error else ("success" if completed else "running")
    elif isinstance(status_name, str) and status_name in STATUSES:
        status = STATUSES[status_name]
    else:
        raise PollError(f"{what}: unknown status {str(status_name)[:40]!r}")
    message = _error_text(job.get("error"), what)
    poll_error = job.get("is_poll_error") is True
    if poll_error:
        # The trigger could not poll its source app: the recipe failed to run, no record failed in it.
        message = f"{POLL_ERROR}: {message}" if message else POLL_ERROR
    master = optional_id(job, "master_job_id", what)
    run = RunObservation(
        external_id=job_id,
        status=status,
        started_at=optional_time(job, "started_at", what),
        finished_at=completed,
        message=message,
    )
    return _Job(
        run=run,
        title=optional_str(job, "title", what),
        master="" if master == job_id else master,
        poll_error=poll_error,
    )


def _error_text(error: Any, what: str) -> str:
    """Workato's error is null, a string, or an object with a message."""
    if error is None or isinstance(error, str):
        return error or ""
    if isinstance(error, dict):
        return optional_str(error, "message", f"{what}: error")
    raise PollError(f"{what}: error must be a string or an object")
