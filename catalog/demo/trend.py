"""The demo's 90 days of estate snapshots: an estate getting better, ending at today's real
figures, so the dashboard's trend lines have something to draw. Deterministic, and only days
with no snapshot are written, so seeding again changes nothing (and a real snapshot is kept)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils import timezone

from catalog.models import EstateSnapshot
from catalog.trend.chart import WINDOW_DAYS
from catalog.trend.snapshot import estate_figures

# Counts that were this many times today's, 90 days ago (fewer problems since: an improving estate).
WORSE_BEFORE = 1.8
# Completeness was this share of today's, 90 days ago.
LESS_COMPLETE_BEFORE = 0.7
# And this many more, 90 days ago, whatever today's count (a demo estate with no outage today had some then).
EXTRA_BEFORE = {"findings_critical": 4, "health_down": 3, "health_failing": 2}
COUNTS = ("findings_critical", "findings_warning", "findings_info", "health_down", "health_failing")


def figures_on(today: dict[str, Any], days_ago: int) -> dict[str, Any]:
    """Plausible figures `days_ago` days before `today`'s: worse the further back, with a weekly wobble."""
    back = days_ago / (WINDOW_DAYS - 1)  # 0 today .. 1 ninety days ago
    wobble = 1 + 0.08 * math.sin(days_ago * 0.9) if days_ago else 1.0
    worse = (1 + (WORSE_BEFORE - 1) * back) * wobble
    figures = dict(today, breakdown={})
    for name in COUNTS:
        figures[name] = round(today[name] * worse + EXTRA_BEFORE.get(name, 0) * back * wobble)
    figures["open_failed_records"] = round(today["open_failed_records"] * worse + 40 * back * wobble)
    figures["workaround_hours_per_month"] = round(today["workaround_hours_per_month"] * (1 + 0.5 * back), 1)
    figures["workaround_hours_to_date"] = max(0.0, round(today["workaround_hours_to_date"] - 1.5 * days_ago, 1))
    share = LESS_COMPLETE_BEFORE + (1 - LESS_COMPLETE_BEFORE) * (1 - back)
    figures["completeness_average"] = min(1.0, today["completeness_average"] * share)
    figures["complete"] = round(today["complete"] * share)
    return figures


def seed_trend(today: dt.date) -> int:
    """Write the demo's snapshots for the 90 days up to `today` where none is stored; how many were written."""
    now = timezone.now()
    current = estate_figures(today)
    rows = [
        EstateSnapshot(
            taken_on=today - dt.timedelta(days=days_ago),
            taken_at=now - dt.timedelta(days=days_ago),
            **(current if days_ago == 0 else figures_on(current, days_ago)),
        )
        for days_ago in range(WINDOW_DAYS)
    ]
    taken = set(
        EstateSnapshot.objects.filter(taken_on__in=[row.taken_on for row in rows]).values_list("taken_on", flat=True)
    )
    EstateSnapshot.objects.bulk_create([row for row in rows if row.taken_on not in taken])
    return len(rows) - len(taken)
