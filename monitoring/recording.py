"""Storing what was observed: runs upserted by external id, failed records in order, the state row
updated and any flip made, all in one transaction holding the state row.

Both pulls (`record_poll`, from adapters' PollResults) and heartbeats (`record_ping`) end here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from catalog.choices import HealthKind
from catalog.models import Integration
from monitoring import conf
from monitoring.models import FailedRecord, Flip, HealthSource, Run
from monitoring.models.choices import RunStatus
from monitoring.observations import FailedRecordObservation, PollResult, RunObservation
from monitoring.pings import PingBody
from monitoring.sources import ensure_source
from monitoring.state import OBSERVATION_WINDOW, observed_interval
from monitoring.transitions import settle_and_save

FINISHED = (RunStatus.SUCCESS, RunStatus.FAILED)
RUN_FIELDS = ("status", "started_at", "finished_at", "run_at", "records_in", "records_out", "records_failed", "message")


class NotMonitored(Exception):
    """The integration has no health source (health kind none, or retired)."""


class WrongKind(Exception):
    """A heartbeat for an integration whose health is observed another way."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"health kind is {kind}, not heartbeat")
        self.kind = kind


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many pings; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass
class RecordOutcome:
    new_runs: int = 0
    updated_runs: int = 0
    new_failed_records: int = 0
    flip: Flip | None = None


def record_poll(integration: Integration, result: PollResult, *, now: dt.datetime | None = None) -> RecordOutcome:
    """Store one poll's result; polling the same result again adds nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        source = _locked_source(integration)
        outcome = _store(source, result.runs, result.failed_records, now)
        if result.cursor is not None:
            source.cursor = result.cursor
        source.last_polled_at = now
        source.last_poll_error = ""
        _finish(source, outcome, now)
    return outcome


def record_poll_error(integration_id: int, error: str, now: dt.datetime | None = None) -> None:
    """A failed poll changes no state (lateness will, if it lasts); it is shown on the health page."""
    now = now or timezone.now()
    HealthSource.objects.filter(integration_id=integration_id).update(
        last_polled_at=now, last_poll_error=error[:2000], updated_at=now
    )


def record_ping(
    integration: Integration, signal: str, body: PingBody, *, now: dt.datetime | None = None
) -> RecordOutcome:
    """A heartbeat: `signal` is "start", "success" or "fail". Raises WrongKind, NotMonitored or
    RateLimited having written nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        source = _locked_source(integration)
        if source.kind != HealthKind.HEARTBEAT:
            raise WrongKind(source.kind)
        _count_ping(source, now)
        source.last_ping_at = now
        run = _ping_run(integration, signal, body, now)
        failed = [
            FailedRecordObservation(
                key=item.key, error=item.error, occurred_at=item.occurred_at, run_external_id=run.external_id
            )
            for item in body.failed_records
        ]
        outcome = _store(source, [run], failed, now)
        _finish(source, outcome, now)
    return outcome


def _locked_source(integration: Integration) -> HealthSource:
    query = HealthSource.objects.select_for_update(of=("self",)).select_related("last_run")
    source = query.filter(integration=integration).first()
    if source is None:
        if ensure_source(integration) is None:
            raise NotMonitored(integration.key)
        source = query.get(integration=integration)
    return source


def _count_ping(source: HealthSource, now: dt.datetime) -> None:
    """At most N pings per URL per one-minute window, counted on the (locked) state row."""
    window = now.replace(second=0, microsecond=0)
    if source.ping_window_start == window:
        if source.ping_window_count >= conf.ping_rate_per_minute():
            raise RateLimited(retry_after=60 - now.second)
        source.ping_window_count += 1
    else:
        source.ping_window_start = window
        source.ping_window_count = 1


def _ping_run(integration: Integration, signal: str, body: PingBody, now: dt.datetime) -> RunObservation:
    """The run a ping reports. Without a run_id, an end ping closes the latest run a start ping opened."""
    external_id = body.run_id
    started_at = now if signal == "start" else None
    if external_id is None and signal != "start":
        open_run = (
            Run.objects.filter(integration=integration, source_kind=HealthKind.HEARTBEAT, status=RunStatus.RUNNING)
            .order_by("-run_at", "-id")
            .only("external_id", "started_at")
            .first()
        )
        if open_run:
            external_id, started_at = open_run.external_id, open_run.started_at
    if external_id is None:
        external_id = f"ping-{uuid.uuid4().hex}"
    if signal == "start":
        return RunObservation(external_id=external_id, status="running", started_at=started_at, message=body.message)
    records_failed = body.records_failed
    if records_failed is None and body.failed_records:
        records_failed = len(body.failed_records)
    return RunObservation(
        external_id=external_id,
        status="success" if signal == "success" else "failed",
        started_at=started_at,
        finished_at=now,
        records_in=body.records_in,
        records_out=body.records_out,
        records_failed=records_failed,
        message=body.message,
    )


def _store(
    source: HealthSource,
    runs: Sequence[RunObservation],
    failed_records: Sequence[FailedRecordObservation],
    now: dt.datetime,
) -> RecordOutcome:
    outcome = RecordOutcome()
    touched = _upsert_runs(source, runs, now, outcome)
    finished = [r for r in touched if r.status in FINISHED]
    if finished:
        latest = max(finished, key=lambda r: (r.run_at, r.pk))
        if source.last_run_at is None or latest.run_at >= source.last_run_at or latest.pk == source.last_run_id:
            source.last_run = latest
            source.last_run_at = latest.run_at
    successes = [r.run_at for r in touched if r.status == RunStatus.SUCCESS]
    if successes:
        if source.last_success_at is None or max(successes) > source.last_success_at:
            source.last_success_at = max(successes)
        _refresh_observed_interval(source, now)
    outcome.new_failed_records = _store_failed_records(source, failed_records, now)
    if outcome.new_failed_records:
        refresh_failed_counts(source)
    return outcome


def _finish(source: HealthSource, outcome: RecordOutcome, now: dt.datetime) -> None:
    outcome.flip = settle_and_save(source, now)


def _run_values(obs: RunObservation, now: dt.datetime) -> dict[str, object]:
    return {
        "status": obs.status,
        "started_at": obs.started_at,
        "finished_at": obs.finished_at,
        "run_at": obs.finished_at or obs.started_at or now,
        "records_in": obs.records_in,
        "records_out": obs.records_out,
        "records_failed": obs.records_failed,
        "message": obs.message,
    }


def _upsert_runs(
    source: HealthSource, runs: Sequence[RunObservation], now: dt.datetime, outcome: RecordOutcome
) -> list[Run]:
    """Insert new runs, update changed ones; returns the runs inserted or changed."""
    by_id = {obs.external_id: obs for obs in runs}  # a repeated id within one poll: the last one wins
    if not by_id:
        return []
    existing = {
        run.external_id: run for run in Run.objects.filter(integration_id=source.integration_id, external_id__in=by_id)
    }
    touched: list[Run] = []
    new: list[Run] = []
    for external_id, obs in by_id.items():
        values = _run_values(obs, now)
        run = existing.get(external_id)
        if run is None:
            new.append(
                Run(integration_id=source.integration_id, external_id=external_id, source_kind=source.kind, **values)
            )
            continue
        if run.status in FINISHED and obs.status == RunStatus.RUNNING:
            continue  # a stale "running" never reopens a finished run
        if obs.started_at is None:
            values["started_at"] = run.started_at  # an end ping does not know when the run started
            values["run_at"] = obs.finished_at or run.run_at
        changed = [name for name, value in values.items() if getattr(run, name) != value]
        if changed:
            for name in changed:
                setattr(run, name, values[name])
            run.save(update_fields=[*changed, "updated_at"])
            touched.append(run)
            outcome.updated_runs += 1
    if new:
        Run.objects.bulk_create(new)  # SQLite and PostgreSQL both return the new ids
        touched += new
        outcome.new_runs = len(new)
    return touched


def _refresh_observed_interval(source: HealthSource, now: dt.datetime) -> None:
    times = (
        Run.objects.filter(
            integration_id=source.integration_id, status=RunStatus.SUCCESS, run_at__gte=now - OBSERVATION_WINDOW
        )
        .values_list("run_at", flat=True)
        .order_by()
    )
    observed = observed_interval(list(times))
    source.observed_median_minutes = observed.median_minutes
    source.observed_p95_minutes = observed.p95_minutes


def dedupe_key(obs: FailedRecordObservation) -> str:
    """The platform's error id when it has one, else a digest of what the failure says."""
    if obs.external_id:
        return f"id:{obs.external_id}"[:200]
    when = obs.occurred_at.isoformat() if obs.occurred_at else ""
    text = json.dumps([obs.run_external_id or "", obs.key, obs.error, when])
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _store_failed_records(source: HealthSource, observed: Sequence[FailedRecordObservation], now: dt.datetime) -> int:
    """Store failed records not seen before, numbered in the order they were reported."""
    if not observed:
        return 0
    keys = [dedupe_key(obs) for obs in observed]
    seen = set(
        FailedRecord.objects.filter(integration_id=source.integration_id, dedupe_key__in=keys).values_list(
            "dedupe_key", flat=True
        )
    )
    run_ids = {obs.run_external_id for obs in observed if obs.run_external_id}
    runs = dict(
        Run.objects.filter(integration_id=source.integration_id, external_id__in=run_ids).values_list(
            "external_id", "pk"
        )
    )
    new = []
    for key, obs in zip(keys, observed, strict=True):
        if key in seen:
            continue
        seen.add(key)
        source.failed_record_seq += 1
        new.append(
            FailedRecord(
                integration_id=source.integration_id,
                run_id=runs.get(obs.run_external_id or ""),
                position=source.failed_record_seq,
                key=obs.key[:500],
                error=obs.error,
                occurred_at=obs.occurred_at or now,
                external_id=(obs.external_id or "")[:200],
                dedupe_key=key,
                recorded_at=now,
            )
        )
    FailedRecord.objects.bulk_create(new)
    return len(new)


def refresh_failed_counts(source: HealthSource) -> None:
    """Recount open (unresolved) failed records onto the state row; an indexed aggregate."""
    counts = FailedRecord.objects.filter(integration_id=source.integration_id, resolved_at=None).aggregate(
        n=Count("id"), oldest=Min("occurred_at")
    )
    source.open_failed_records = counts["n"]
    source.oldest_open_failed_at = counts["oldest"]
