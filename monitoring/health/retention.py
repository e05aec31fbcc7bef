"""Forgetting old history: a one-minute heartbeat adds half a million runs a year, and a large
estate tens of millions. Nightly, runs, flips (with their alerts), resolved failed records and
resolved re-sync requests older than PLUMBLINE_HISTORY_DAYS are deleted, INTEGRATIONS integrations
at a time (through their indexes, which lead with the integration and then the time, so only the
old end of each is read) and in chunks of CHUNK rows, each in its own short transaction, so a large
first pass neither holds locks long nor loads a table into memory, and an interrupted pass is simply
continued next time. Nothing here locks a state row: pings and polls go on while it runs.

Kept whatever their age: each source's latest finished run (its state depends on it) and the
runs open failed records belong to.

Runs are deleted in the database, not through Django's collector (which would load every run
before deleting it, a day of a large estate being half a million model instances): on PostgreSQL
a chunk is one statement, its resolved failed records unlinked from its runs (SET_NULL, as
on_delete says) as they are deleted. bench/history_bench.py measures it: a day of 2,000
five-minute integrations (576,000 runs) in 10 to 28 s among 20 million, pings accepted meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from catalog.models import Integration
from monitoring import conf
from monitoring.models import Alert, FailedRecord, Flip, HealthSource, ResyncRequest, Run

CHUNK = 5000
INTEGRATIONS = 50

# Runs kept whatever their age: the latest finished run of a source, the run of an open failed record.
KEPT_RUNS = Q(Exists(HealthSource.objects.filter(last_run=OuterRef("pk")))) | Q(
    Exists(FailedRecord.objects.filter(run=OuterRef("pk"), resolved_at=None))
)


@dataclass
class PruneReport:
    runs: int = 0
    flips: int = 0
    alerts: int = 0
    failed_records: int = 0
    resyncs: int = 0

    def __str__(self) -> str:
        return (
            f"{self.runs} runs, {self.flips} flips, {self.alerts} alerts, "
            f"{self.failed_records} failed records, {self.resyncs} re-sync requests"
        )


def prune_history(now: dt.datetime | None = None, *, days: int | None = None) -> PruneReport:
    report = PruneReport()
    days = conf.history_days() if days is None else days
    if days <= 0:
        return report
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    ids = list(Integration.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), INTEGRATIONS):
        _prune_integrations(ids[start : start + INTEGRATIONS], cutoff, report)
    return report


def _prune_integrations(integration_ids: Sequence[int], cutoff: dt.datetime, report: PruneReport) -> None:
    resyncs = ResyncRequest.objects.filter(integration_id__in=integration_ids, resolved_at__lt=cutoff)
    report.resyncs += _delete_in_chunks(resyncs, ResyncRequest)
    failed = FailedRecord.objects.filter(integration_id__in=integration_ids, resolved_at__lt=cutoff)
    report.failed_records += _delete_in_chunks(failed, FailedRecord)
    flips = Flip.objects.filter(integration_id__in=integration_ids, at__lt=cutoff)
    report.alerts += _count_alerts(flips)
    report.flips += _delete_in_chunks(flips, Flip)
    report.runs += _delete_runs(Run.objects.filter(integration_id__in=integration_ids, run_at__lt=cutoff))


def _count_alerts(flips: QuerySet[Flip]) -> int:
    return Alert.objects.filter(flip__in=flips).count()


def _delete_in_chunks(query: QuerySet[Model], model: type[Model]) -> int:
    """Delete what `query` matches, CHUNK rows per transaction (Django cascades and nulls references)."""
    deleted = 0
    while ids := list(query.order_by("pk").values_list("pk", flat=True)[:CHUNK]):
        with transaction.atomic():
            model._default_manager.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < CHUNK:
            break
    return deleted


def _delete_runs(old: QuerySet[Run]) -> int:
    """Delete the runs `old` matches but the kept ones, CHUNK per transaction; the resolved failed
    records of each chunk's runs are unlinked from them in the same statement (PostgreSQL) or just
    before (elsewhere), and the kept condition is checked as they are deleted."""
    doomed = old.exclude(KEPT_RUNS).order_by().values("pk")
    delete_chunk = _delete_chunk_in_one_statement if connection.vendor == "postgresql" else _delete_chunk
    deleted = 0
    while True:
        with transaction.atomic():
            done = delete_chunk(doomed[:CHUNK])
        deleted += done
        if done < CHUNK:
            return deleted


def _delete_chunk(chunk: QuerySet[Run, Any]) -> int:
    ids = [row["pk"] for row in chunk]
    if not ids:
        return 0
    # Only resolved records can point at these runs (an open one keeps its run).
    FailedRecord.objects.filter(run_id__in=ids).exclude(resolved_at=None).update(run=None)
    return Run.objects.filter(pk__in=ids)._raw_delete(chunk.db)


def _delete_chunk_in_one_statement(chunk: QuerySet[Run, Any]) -> int:
    """One statement, no run ids through Python: the chunk chosen once (a materialised CTE), its
    resolved failed records unlinked and its runs deleted from that same set."""
    select, params = chunk.query.sql_with_params()
    quote = connection.ops.quote_name
    run, failed = quote(Run._meta.db_table), quote(FailedRecord._meta.db_table)
    # Only quoted model names and the ORM's own SQL (its values parameters) are formatted in.
    sql = f"""
        WITH doomed (id) AS MATERIALIZED ({select}),
        unlinked AS (UPDATE {failed} SET run_id = NULL WHERE run_id IN (SELECT id FROM doomed))
        DELETE FROM {run} WHERE id IN (SELECT id FROM doomed)
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
