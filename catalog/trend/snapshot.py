"""One snapshot of the estate a day: counted in the database (a fixed dozen aggregate queries
whatever the estate's size) and stored with one INSERT ... ON CONFLICT (taken_on) DO UPDATE, so
a second run the same day, or two workers at once, leave one row holding the latest figures.
Rows older than PLUMBLINE_TREND_DAYS are pruned by the same call."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from catalog.choices import HealthState
from catalog.health import read_health_totals
from catalog.models import EstateSnapshot, Integration, StoredFinding
from catalog.models.findings import Severity
from catalog.rules.phase_two import register_totals
from catalog.rules.store import waived_findings

# The snapshot's columns besides the date, the time taken and the breakdown.
FIGURES = (
    "integrations",
    "findings_critical",
    "findings_warning",
    "findings_info",
    "health_down",
    "health_failing",
    "completeness_average",
    "complete",
    "workaround_hours_per_month",
    "workaround_hours_to_date",
    "open_failed_records",
)


def trend_days() -> int:
    """How many days of snapshots are kept (PLUMBLINE_TREND_DAYS, two years by default)."""
    return int(settings.PLUMBLINE_TREND_DAYS)


def open_findings(today: dt.date) -> Counter[tuple[str, str]]:
    """Open findings (no waiver in force) by (code, severity): every finding counted from the
    table, less the waived ones found from the waivers' side; two grouped queries."""
    every = StoredFinding.objects.order_by().values_list("code", "severity").annotate(n=Count("id"))
    waived = waived_findings(today).order_by().values_list("code", "severity").annotate(n=Count("id"))
    counts: Counter[tuple[str, str]] = Counter({(code, severity): n for code, severity, n in every})
    counts.subtract({(code, severity): n for code, severity, n in waived})
    return +counts


def estate_figures(today: dt.date) -> dict[str, Any]:
    """The estate's figures today, as EstateSnapshot's fields (FIGURES and `breakdown`)."""
    findings = open_findings(today)
    by_severity: Counter[str] = Counter()
    by_code: Counter[str] = Counter()
    for (code, severity), n in findings.items():
        by_severity[severity] += n
        by_code[code] += n
    specs = Integration.objects.order_by().aggregate(
        n=Count("id"), average=Avg("completeness_score"), complete=Count("id", filter=Q(completeness_missing=""))
    )
    lifecycle = dict(Integration.objects.order_by().values_list("lifecycle").annotate(n=Count("id")))
    health = read_health_totals()
    deferred = register_totals(today)
    return {
        "integrations": specs["n"],
        "findings_critical": by_severity[Severity.CRITICAL],
        "findings_warning": by_severity[Severity.WARNING],
        "findings_info": by_severity[Severity.INFO],
        "health_down": health.by_state.get(HealthState.DOWN, 0),
        "health_failing": health.by_state.get(HealthState.FAILING, 0),
        "completeness_average": specs["average"] or 0.0,
        "complete": specs["complete"],
        "workaround_hours_per_month": deferred["hours_per_month"],
        "workaround_hours_to_date": deferred["hours_to_date"],
        "open_failed_records": health.open_failed_records,
        "breakdown": {
            "findings_by_code": dict(sorted(by_code.items())),
            "findings_by_severity": dict(sorted(by_severity.items())),
            "health": dict(sorted(health.by_state.items())),
            "lifecycle": dict(sorted(lifecycle.items())),
        },
    }


@dataclass(frozen=True)
class SnapshotReport:
    taken_on: str
    pruned: int

    def as_dict(self) -> dict[str, object]:
        return {"taken_on": self.taken_on, "pruned": self.pruned}


def take_snapshot(*, now: dt.datetime | None = None) -> SnapshotReport:
    """Store today's figures (replacing today's row if there is one) and prune the old rows."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    figures = estate_figures(today)
    with transaction.atomic():
        store_snapshot(today, now, figures)
        pruned = prune(today)
    return SnapshotReport(today.isoformat(), pruned)


def store_snapshot(day: dt.date, taken_at: dt.datetime, figures: dict[str, Any]) -> None:
    """Upsert one day's row in one statement: racing writers of the same day leave one row."""
    EstateSnapshot.objects.bulk_create(
        [EstateSnapshot(taken_on=day, taken_at=taken_at, **figures)],
        update_conflicts=True,
        unique_fields=["taken_on"],
        update_fields=["taken_at", *FIGURES, "breakdown"],
    )


def prune(today: dt.date) -> int:
    """Delete the snapshots older than PLUMBLINE_TREND_DAYS: one taken exactly that many days ago stays."""
    deleted, _ = EstateSnapshot.objects.filter(taken_on__lt=today - dt.timedelta(days=trend_days())).delete()
    return deleted
