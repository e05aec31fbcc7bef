"""Reading the snapshots back: the window the dashboard and /api/v1/trend/ show (one query)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from catalog.health import health_board_path
from catalog.models import EstateSnapshot
from catalog.models.findings import Severity
from catalog.trend.chart import HEIGHT, WIDTH, WINDOW_DAYS, Chart, charts


def window(today: dt.date, days: int) -> QuerySet[EstateSnapshot]:
    """The snapshots of the last `days` days, today included, oldest first."""
    first = today - dt.timedelta(days=days - 1)
    return EstateSnapshot.objects.filter(taken_on__gte=first, taken_on__lte=today).order_by("taken_on")


def chart_links() -> dict[str, str]:
    """Where each trend line links: the list of what it counts, as it is today."""
    findings = reverse("findings")
    return {
        "critical": f"{findings}?{urlencode({'severity': Severity.CRITICAL})}",
        "warning": f"{findings}?{urlencode({'severity': Severity.WARNING})}",
        "health": health_board_path() or "",
        "completeness": f"{reverse('integration-list')}?complete=false",
        "phase-two": reverse("phase-two"),
        "failed-records": health_board_path(ordering="-failed_records") or "",
    }


@dataclass(frozen=True)
class Trend:
    charts: list[Chart]
    snapshots: int  # how many snapshots the window holds
    days: int = WINDOW_DAYS
    view_box: str = f"0 0 {WIDTH:g} {HEIGHT:g}"


def dashboard_trend(today: dt.date) -> Trend:
    """The dashboard's small multiples over the last 90 days; one query."""
    snapshots = list(window(today, WINDOW_DAYS))
    return Trend(charts(snapshots, today, chart_links()), len(snapshots))
