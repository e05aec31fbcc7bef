"""Forgetting old history: a one-minute heartbeat adds half a million runs a year. Nightly, runs,
flips (with their alerts), resolved failed records and resolved re-sync requests older than
PLUMBLINE_HISTORY_DAYS are deleted, integration by integration (their indexes lead with the
integration) and in chunks, each in its own transaction, so a large first pass neither holds
locks long nor loads a table into memory, and an interrupted pass is simply continued next time.

Kept whatever their age: each source's latest finished run (its state depends on it) and the
runs open failed records belong to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from catalog.models import Integration
from monitoring import conf
from monitoring.models import Alert, FailedRecord, Flip, HealthSource, ResyncRequest, Run

CHUNK = 2000


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
    for integration_id in Integration.objects.order_by("pk").values_list("pk", flat=True):
        _prune_integration(integration_id, cutoff, report)
    return report


def _prune_integration(integration_id: int, cutoff: dt.datetime, report: PruneReport) -> None:
    resyncs = ResyncRequest.objects.filter(integration_id=integration_id, resolved_at__lt=cutoff)
    report.resyncs += _delete_in_chunks(resyncs, ResyncRequest)
    failed = FailedRecord.objects.filter(integration_id=integration_id, resolved_at__lt=cutoff)
    report.failed_records += _delete_in_chunks(failed, FailedRecord)
    flips = Flip.objects.filter(integration_id=integration_id, at__lt=cutoff)
    report.alerts += _count_alerts(flips)
    report.flips += _delete_in_chunks(flips, Flip)
    kept = {
        *HealthSource.objects.filter(integration_id=integration_id, last_run__isnull=False).values_list(
            "last_run_id", flat=True
        ),
        *FailedRecord.objects.filter(integration_id=integration_id, resolved_at=None, run__isnull=False).values_list(
            "run_id", flat=True
        ),
    }
    runs = Run.objects.filter(integration_id=integration_id, run_at__lt=cutoff).exclude(pk__in=kept)
    report.runs += _delete_in_chunks(runs, Run)


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
