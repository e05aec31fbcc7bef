"""The dashboard's trend lines: small multiples drawn from the snapshots as inline SVG, decided
here (pure: numbers in, coordinates and sentences out) and drawn by templates/includes/trend_charts.html.

Each chart says its latest value and its change over the window in words too, so it reads without
the drawing (and a screen reader gets the same in the SVG's title and desc)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from catalog.rules.finding import number

# The dashboard shows the last 90 days.
WINDOW_DAYS = 90
# The drawing's box, in SVG user units: about a chart's width on a wide screen (the CSS scales it).
WIDTH, HEIGHT, PAD = 360.0, 48.0, 3.0


@dataclass(frozen=True)
class Metric:
    """One trend line: what it counts, how to read it from a snapshot, which way is better."""

    slug: str
    title: str
    value: Callable[[Any], float]
    unit: str = ""  # shown after the number: "%", " h/month"
    lower_is_better: bool = True


METRICS: tuple[Metric, ...] = (
    Metric("critical", "Critical findings", lambda s: s.findings_critical),
    Metric("warning", "Warning findings", lambda s: s.findings_warning),
    Metric("health", "Down or failing", lambda s: s.health_down + s.health_failing),
    Metric(
        "completeness", "Spec completeness", lambda s: round(s.completeness_average * 100), "%", lower_is_better=False
    ),
    Metric("phase-two", "Phase-two workarounds", lambda s: round(s.workaround_hours_per_month), " h/month"),
    Metric("failed-records", "Open failed records", lambda s: s.open_failed_records),
)


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    link: str
    latest: str  # "12", "84%"
    change: str  # "down 8 since 3 Sep 2026", "no change since ..."
    better: bool | None  # the change is an improvement (True), a worsening (False), or none (None)
    points: str  # SVG polyline points "x,y x,y ..."
    last_x: float
    last_y: float
    low: str  # the smallest and largest value drawn, for the axis labels
    high: str

    @property
    def description(self) -> str:
        return f"{self.title}: {self.latest} now, {self.change}."


def shown(value: float, unit: str) -> str:
    return f"{number(value)}{unit}"


def change_words(first: float, last: float, unit: str, since: dt.date) -> str:
    day = f"{since.day} {since:%b %Y}"
    if last == first:
        return f"no change since {day}"
    direction = "up" if last > first else "down"
    # A change of a percentage is in points: 60% to 90% is "up 30 points", not "up 30%".
    amount = f"{number(abs(last - first))} points" if unit == "%" else shown(abs(last - first), unit)
    return f"{direction} {amount} since {day}"


def draw(values: Sequence[tuple[dt.date, float]], start: dt.date) -> tuple[list[tuple[float, float]], float, float]:
    """(x, y) per value, x by the day within the window from `start`, y scaled between the
    smallest and largest value (a flat line in the middle when they are equal); and the two."""
    low = min(value for _, value in values)
    high = max(value for _, value in values)
    span = high - low
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    points = []
    for day, value in values:
        x = PAD + inner_w * (day - start).days / (WINDOW_DAYS - 1)
        y = PAD + inner_h * (0.5 if not span else 1 - (value - low) / span)
        points.append((round(x, 1), round(y, 1)))
    return points, low, high


def charts(snapshots: Sequence[Any], today: dt.date, links: dict[str, str]) -> list[Chart]:
    """One chart per metric from the snapshots of the window (oldest first); none with fewer than two."""
    if len(snapshots) < 2:
        return []
    start = today - dt.timedelta(days=WINDOW_DAYS - 1)
    result = []
    for metric in METRICS:
        values = [(snapshot.taken_on, float(metric.value(snapshot))) for snapshot in snapshots]
        points, low, high = draw(values, start)
        first, last = values[0][1], values[-1][1]
        better = None if first == last else (last < first) == metric.lower_is_better
        result.append(
            Chart(
                slug=metric.slug,
                title=metric.title,
                link=links.get(metric.slug, ""),
                latest=shown(last, metric.unit),
                change=change_words(first, last, metric.unit, values[0][0]),
                better=better,
                points=" ".join(f"{x},{y}" for x, y in points),
                last_x=points[-1][0],
                last_y=points[-1][1],
                low=shown(low, metric.unit),
                high=shown(high, metric.unit),
            )
        )
    return result
