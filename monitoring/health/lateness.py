"""The lateness pass: re-evaluate only the sources whose next_check_due_at has come (an indexed
range query; run history is never scanned), then plan the pass's alerts together for roll-ups."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from monitoring.alerting.planning import plan_pending
from monitoring.health.pipeline import resettle
from monitoring.health.sources import LOCKED
from monitoring.ingest.pending import apply_before_reading
from monitoring.models import Flip, HealthSource

BATCH = 5000


@dataclass
class LatenessReport:
    evaluated: int = 0
    flips: list[Flip] = field(default_factory=list)
    alerts: int = 0


def evaluate_due(now: dt.datetime | None = None, limit: int = BATCH) -> LatenessReport:
    # A pending ping may be the success that keeps a source from being late.
    apply_before_reading()
    now = now or timezone.now()
    evaluation = uuid.uuid4()
    report = LatenessReport()
    due = HealthSource.objects.filter(next_check_due_at__lte=now).order_by("next_check_due_at")
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            source = LOCKED.filter(pk=pk, next_check_due_at__lte=now).first()
            if source is None:
                continue  # deleted, or a new run moved its next check on meanwhile
            # Alerts are planned for the whole pass below, so downs of one system roll up.
            flip = resettle(source, now, [], evaluation=evaluation, plan=False)
        report.evaluated += 1
        if flip:
            report.flips.append(flip)
    if report.flips:
        report.alerts = plan_pending(now, evaluation=evaluation)
    return report
