"""Storing observations: runs upserted by external id, failed records in the order reported, and
the facts they change on the (locked) state row: last run, last success, observed interval, open
failed records; test runs are stored but change none of them. A batch of sources is stored in a few
queries whatever its size: what caps polls per second is database round trips, not the polls
themselves. Deciding the state is not done here (health/state.py); monitoring/health/pipeline.py
calls these in order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone

from monitoring.health.state import OBSERVATION_WINDOW, OBSERVED_REFRESH, ObservedInterval, observed_interval
from monitoring.models import FailedRecord, Flip, HealthSource, Run
from monitoring.models.choices import RunStatus
from monitoring.platforms.contract import FailedRecordObservation, ResolvedObservation, RunObservation
from plumbline.storable import stored_as_text

FINISHED = (RunStatus.SUCCESS, RunStatus.FAILED)
# What storing observations may change on the state row (besides the settled fields).
STORED_FIELDS = [
    "last_run",
    "last_run_at",
    "last_success_at",
    "observed_median_minutes",
    "observed_p95_minutes",
    "observed_refreshed_at",
    "open_failed_records",
    "oldest_open_failed_at",
    "failed_record_seq",
]
# ... and what a poll changes besides.
POLLED_FIELDS = [*STORED_FIELDS, "cursor", "last_polled_at", "last_poll_error", "platform_stopped"]


@dataclass
class RecordOutcome:
    new_runs: int = 0
    updated_runs: int = 0
    new_failed_records: int = 0
    resolved_failed_records: int = 0
    flip: Flip | None = None
    # The latest finished run's counts do not add up, or did not before it was replaced: the
    # reconciliation findings (catalog/rules/reconciliation.py) may change without a flip.
    recounted: bool = False


# A locked source with the runs and failed records observed for it.
Observed = tuple[HealthSource, Sequence[RunObservation], Sequence[FailedRecordObservation]]


def store_observations(
    batch: Sequence[Observed],
    now: dt.datetime,
    known: dict[tuple[int, str], Run | None] | None = None,
    resolved: Sequence[Sequence[ResolvedObservation]] | None = None,
) -> list[RecordOutcome]:
    """Upsert the runs and failed records of each (locked) source and bring the facts on its state
    row up to date: last run, last success, observed interval, open failed records (the row is not
    saved; its state is not settled); one outcome per source. `known`: as for _upsert_runs;
    `resolved`: per source, the failed records its platform has closed (after the new ones are stored,
    so a retry seen in the same poll as its failure closes it)."""
    outcomes = [RecordOutcome() for _ in batch]
    touched_per_source = _upsert_runs([(source, runs) for source, runs, _ in batch], now, outcomes, known)
    succeeded = []
    for (source, _, _), touched, outcome in zip(batch, touched_per_source, outcomes, strict=True):
        counted = [r for r in touched if not r.test]  # a test run never changes the integration's health
        finished = [r for r in counted if r.status in FINISHED]
        if finished:
            latest = max(finished, key=lambda r: (r.run_at, r.pk))
            if source.last_run_at is None or latest.run_at >= source.last_run_at or latest.pk == source.last_run_id:
                before = source.last_run if HealthSource.last_run.is_cached(source) else None
                outcome.recounted = _run_disagrees(latest) or (before is not None and _run_disagrees(before))
                source.last_run = latest
                source.last_run_at = latest.run_at
        successes = [r.run_at for r in counted if r.status == RunStatus.SUCCESS]
        if successes:
            if source.last_success_at is None or max(successes) > source.last_success_at:
                source.last_success_at = max(successes)
            succeeded.append(source)
    _refresh_observed_intervals([source for source in succeeded if observation_due(source, now)], now)
    closed_per_source = resolved or [()] * len(batch)
    for (source, _, failed_records), closed, outcome in zip(batch, closed_per_source, outcomes, strict=True):
        outcome.new_failed_records = _store_failed_records(source, failed_records, now)
        outcome.resolved_failed_records = _resolve_failed_records(source, closed, now)
        if outcome.new_failed_records or outcome.resolved_failed_records:
            refresh_failed_counts(source)
    return outcomes


def counts_disagree(
    records_in: int | None,
    records_out: int | None,
    records_failed: int | None,
    source_count: int | None = None,
    target_count: int | None = None,
) -> bool:
    """A run's records out + failed short of its records in, or a target count other than its source
    count: what the reconciliation findings judge (against the spec's tolerance, in catalog)."""
    if records_in is not None and records_out is not None and records_out + (records_failed or 0) < records_in:
        return True
    return source_count is not None and target_count is not None and source_count != target_count


def _run_disagrees(run: Run) -> bool:
    return counts_disagree(run.records_in, run.records_out, run.records_failed, run.source_count, run.target_count)


def save_state_rows(sources: Sequence[HealthSource], fields: Sequence[str]) -> None:
    """Write `fields` of each state row: on PostgreSQL a batch in one UPDATE … FROM (VALUES …)
    (bulk_update's CASE expressions cost more CPU than the polls themselves), else row by row."""
    if len(sources) == 1 or connection.vendor != "postgresql":
        for source in sources:
            source.save(update_fields=fields)
        return
    meta = HealthSource._meta
    assert meta.pk is not None
    columns = [meta.pk, *(field for field in meta.concrete_fields if field.name in fields)]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(f"%s::{column.cast_db_type(connection)}" for column in columns) + ")"
    table, pk = quote(meta.db_table), quote(str(meta.pk.column))
    assignments = ", ".join(f"{quote(str(column.column))} = v.column{n + 1}" for n, column in enumerate(columns) if n)
    for start in range(0, len(sources), 500):
        chunk = sources[start : start + 500]
        params = [
            column.get_db_prep_save(getattr(source, column.attname), connection)
            for source in chunk
            for column in columns
        ]
        values = ", ".join([row] * len(chunk))
        # Only quoted model names and %s placeholders are formatted in; every value is a parameter.
        sql = f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v WHERE {table}.{pk} = v.column1"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _run_values(obs: RunObservation, now: dt.datetime) -> dict[str, object]:
    return {
        "status": obs.status,
        "started_at": obs.started_at,
        "finished_at": obs.finished_at,
        "run_at": obs.finished_at or obs.started_at or now,
        "records_in": obs.records_in,
        "records_out": obs.records_out,
        "records_failed": obs.records_failed,
        "source_count": obs.source_count,
        "target_count": obs.target_count,
        "period_start": obs.period_start,
        "period_end": obs.period_end,
        "message": stored_as_text(obs.message),
        "test": obs.test,
    }


def _upsert_runs(
    batch: Sequence[tuple[HealthSource, Sequence[RunObservation]]],
    now: dt.datetime,
    outcomes: Sequence[RecordOutcome],
    known: dict[tuple[int, str], Run | None] | None = None,
) -> list[list[Run]]:
    """Insert new runs, update changed ones (one query of each kind for the whole batch); returns the
    runs inserted or changed, per source. `known`: runs the caller already holds or knows are new,
    by (integration id, external id), so they are not looked up again."""
    wanted = [{obs.external_id: obs for obs in runs} for _, runs in batch]  # a repeated id: the last one wins
    existing = dict(known or {})
    unknown = {
        (source.integration_id, external_id)
        for (source, _), by_id in zip(batch, wanted, strict=True)
        for external_id in by_id
        if (source.integration_id, external_id) not in existing
    }
    if unknown:
        # Integration ids x external ids may match a few runs more than asked for; those are ignored.
        query = Run.objects.filter(integration_id__in={i for i, _ in unknown}, external_id__in={e for _, e in unknown})
        existing |= {(run.integration_id, run.external_id): run for run in query}
    touched: list[list[Run]] = [[] for _ in batch]
    new: list[tuple[int, Run]] = []
    updated: list[Run] = []
    updated_fields: set[str] = set()
    stamp = timezone.now()
    for n, ((source, _), by_id) in enumerate(zip(batch, wanted, strict=True)):
        for external_id, obs in by_id.items():
            values = _run_values(obs, now)
            run = existing.get((source.integration_id, external_id))
            if run is None:
                new.append(
                    (
                        n,
                        Run(
                            integration_id=source.integration_id,
                            external_id=external_id,
                            source_kind=source.kind,
                            **values,
                        ),
                    )
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
                run.updated_at = stamp
                updated.append(run)
                updated_fields.update(changed)
                touched[n].append(run)
                outcomes[n].updated_runs += 1
    if updated:
        # Fields another run of the batch changed are written back unchanged on this one.
        Run.objects.bulk_update(updated, [*sorted(updated_fields), "updated_at"])
    if new:
        Run.objects.bulk_create([run for _, run in new])  # SQLite and PostgreSQL both return the new ids
        for n, run in new:
            touched[n].append(run)
            outcomes[n].new_runs += 1
    return touched


def observation_due(source: HealthSource, now: dt.datetime) -> bool:
    """Whether a new success should recompute the source's observed interval: when it has none yet
    (fewer than two successes: a cheap query), or its last recomputation is OBSERVED_REFRESH old.
    A week of a one-minute heartbeat is 10,080 successes to read; a median over a week moves
    little in ten minutes, and reading them for every run would cost each run ten times more."""
    return observation_due_after(source.observed_refreshed_at, source.observed_median_minutes, now)


def observation_due_after(refreshed: dt.datetime | None, median_minutes: float | None, now: dt.datetime) -> bool:
    """observation_due from the row's two fields (for callers that hold no HealthSource)."""
    if refreshed is None or median_minutes is None:
        return True
    return not refreshed <= now < refreshed + OBSERVED_REFRESH


def _refresh_observed_intervals(sources: Sequence[HealthSource], now: dt.datetime) -> None:
    """Recompute the observed interval of each source from its successes in the window (one query)."""
    if not sources:
        return
    observed = observed_intervals([source.integration_id for source in sources], now)
    for source in sources:
        source.observed_median_minutes = observed[source.integration_id].median_minutes
        source.observed_p95_minutes = observed[source.integration_id].p95_minutes
        source.observed_refreshed_at = now


def observed_intervals(integration_ids: Sequence[int], now: dt.datetime) -> dict[int, ObservedInterval]:
    """The observed interval of each integration from its successes in the window (one query)."""
    times: dict[int, list[dt.datetime]] = {integration_id: [] for integration_id in integration_ids}
    query = Run.objects.filter(
        integration_id__in=integration_ids, status=RunStatus.SUCCESS, test=False, run_at__gte=now - OBSERVATION_WINDOW
    )
    for integration_id, run_at in query.values_list("integration_id", "run_at").order_by():
        times[integration_id].append(run_at)
    return {integration_id: observed_interval(found) for integration_id, found in times.items()}


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
                key=stored_as_text(obs.key[:500]),
                error=stored_as_text(obs.error),
                occurred_at=obs.occurred_at or now,
                external_id=(obs.external_id or "")[:200],
                dedupe_key=key,
                recorded_at=now,
            )
        )
    FailedRecord.objects.bulk_create(new)
    return len(new)


def _resolve_failed_records(source: HealthSource, closed: Sequence[ResolvedObservation], now: dt.datetime) -> int:
    """Close the open failed records the platform says are closed, noting how; one UPDATE per way."""
    by_how: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for obs in closed:
        ids, runs = by_how[obs.how[:300]]
        if obs.external_id:
            ids.add(obs.external_id[:200])
        if obs.run_external_id:
            runs.add(obs.run_external_id)
    done = 0
    for how, (ids, runs) in by_how.items():
        if not ids and not runs:
            continue
        done += FailedRecord.objects.filter(
            Q(external_id__in=ids) | Q(run__external_id__in=runs),
            integration_id=source.integration_id,
            resolved_at=None,
        ).update(resolved_at=now, resolution=stored_as_text(how))
    return done


def refresh_failed_counts(source: HealthSource) -> None:
    """Recount open (unresolved) failed records onto the state row; an indexed aggregate."""
    counts = FailedRecord.objects.filter(integration_id=source.integration_id, resolved_at=None).aggregate(
        n=Count("id"), oldest=Min("occurred_at")
    )
    source.open_failed_records = counts["n"]
    source.oldest_open_failed_at = counts["oldest"]
