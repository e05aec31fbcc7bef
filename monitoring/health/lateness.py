"""The lateness pass: re-evaluate only the sources whose next_check_due_at has come (an indexed
range query; run history is never scanned), a chunk of rows at a time: each chunk locked in one
query, settled, its flips inserted and its rows written in one statement, in a short transaction;
then the pass's alerts are planned together for roll-ups. Its cost is a few queries a chunk, not
a few a source: a thousand sources due at once (a platform outage) is a pass of milliseconds.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from monitoring.alerting.planning import plan_pending
from monitoring.health.pipeline import SETTLED_FIELDS, settle_rows
from monitoring.health.sources import LOCKED
from monitoring.health.store import save_state_rows
from monitoring.ingest.pending import apply_before_reading
from monitoring.models import Flip, HealthSource

BATCH = 5000
# Rows locked together: short enough that a ping or poll waiting on one of them waits milliseconds.
CHUNK = 200


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
    pks = sorted(due.values_list("pk", flat=True)[:limit])
    for start in range(0, len(pks), CHUNK):
        with transaction.atomic():
            # Locked in pk order (as every batch takes them, so none deadlock); a row deleted, or whose
            # next check a new run moved on meanwhile, is no longer due and left alone.
            locked = LOCKED.filter(pk__in=pks[start : start + CHUNK], next_check_due_at__lte=now).order_by("pk")
            sources = list(locked)
            # Alerts are planned for the whole pass below, so downs of one system roll up.
            report.flips += settle_rows(sources, now, evaluation=evaluation)
            stamp = timezone.now()
            for source in sources:
                source.updated_at = stamp
            save_state_rows(sources, SETTLED_FIELDS)
        report.evaluated += len(sources)
    if report.flips:
        report.alerts = plan_pending(now, evaluation=evaluation)
    return report
