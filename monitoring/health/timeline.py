"""Geometry of the run timeline on the health page: an inline SVG built on the server (no JavaScript).

Top band: one bar per run over the window, coloured by outcome; runs closer than a bar's width
(a week of a five-minute heartbeat is 2,016 runs over 800 pixels) share one bar, coloured by the
worst of them, so the drawing is a few hundred elements whatever the cadence. Middle band: the gap
between consecutive successful runs, against the declared interval and the observed median. Bottom
band: records in (light) behind records out (dark) on the same bars, summed over the runs sharing a
bar, so what a run took in but did not move (dropped or failed) shows as light above the dark.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import format_html_join
from django.utils.safestring import SafeString

WIDTH = 800
BAR_BAND = 60  # px, the run bars
GAP_TOP = 80  # px, where the gap chart starts
GAP_BAND = 90  # px, its height
RECORDS_TOP = GAP_TOP + GAP_BAND + 10  # px, where the records chart starts
RECORDS_BAND = 70  # px, its height
RECORDS_HEADROOM = 16  # px kept free above the tallest bar for the band's legend
HEIGHT = RECORDS_TOP + RECORDS_BAND + 20
RECORDS_IN_COLOUR = "#9ec5ee"  # records in: light, drawn first
RECORDS_OUT_COLOUR = "#0b5cad"  # records out: --accent, drawn over it
# Palette of static/css/plumbline.css (--ok, --bad, --grey, --accent, --warn).
COLOURS = {"success": "#1a7f37", "failed": "#b42318", "running": "#6b7280", "suspect": "#9a6700"}
# Which run of a shared bar it shows: the worst.
WORST = {"failed": 0, "suspect": 1, "running": 2, "success": 3}


@dataclass(frozen=True)
class RunPoint:
    at: dt.datetime
    status: str
    label: str
    suspect: bool = False  # succeeded but with failed records / too few records
    records_in: int | None = None
    records_out: int | None = None


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    colour: str
    label: str


@dataclass(frozen=True)
class RecordBar:
    """Records in and out of the runs sharing one bar: two rectangles rising from the band's floor."""

    x: float
    in_y: float
    in_height: float
    out_y: float
    out_height: float
    label: str


@dataclass(frozen=True)
class Line:
    y: float
    label: str

    @property
    def text_y(self) -> float:
        return self.y - 3


@dataclass
class Timeline:
    start: dt.datetime
    end: dt.datetime
    width: int = WIDTH
    height: int = HEIGHT
    bar_width: float = 2.0
    bars: list[Bar] = field(default_factory=list)
    runs: int = 0  # in the window (more than bars when runs share one)
    gap_points: str = ""  # SVG polyline points
    declared: Line | None = None
    median: Line | None = None
    gap_max_minutes: float = 0.0
    gap_top: int = GAP_TOP
    gap_bottom: int = GAP_TOP + GAP_BAND
    record_bars: list[RecordBar] = field(default_factory=list)
    records_max: int = 0  # the top of the records axis
    records_top: int = RECORDS_TOP
    records_band: int = RECORDS_BAND

    @property
    def bars_svg(self) -> SafeString:
        """The bars as SVG elements (each value escaped), built here: faster than a template loop."""
        return format_html_join(
            "\n  ",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
            ((bar.x, bar.y, self.bar_width, bar.height, bar.colour, bar.label) for bar in self.bars),
        )

    @property
    def record_bars_svg(self) -> SafeString:
        """Records in, then records out over them, one pair per bar (each value escaped)."""
        return format_html_join(
            "\n  ",
            '<g><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/></g>',
            (
                (
                    *(bar.label, bar.x, bar.in_y, self.bar_width, bar.in_height, RECORDS_IN_COLOUR),
                    *(bar.x, bar.out_y, self.bar_width, bar.out_height, RECORDS_OUT_COLOUR),
                )
                for bar in self.record_bars
            ),
        )


def build(
    runs: Sequence[RunPoint],
    *,
    now: dt.datetime,
    declared_minutes: int | None,
    median_minutes: float | None,
    days: int = 7,
) -> Timeline:
    start = now - dt.timedelta(days=days)
    span = (now - start).total_seconds()
    timeline = Timeline(start=start, end=now)
    shown = sorted((r for r in runs if start <= r.at <= now), key=lambda r: r.at)
    timeline.runs = len(shown)

    def x(at: dt.datetime) -> float:
        return round((at - start).total_seconds() / span * (WIDTH - 4) + 2, 1)

    counted: list[tuple[float, int, int, str]] = []  # x, records in, records out, label per bar
    for _, group in itertools.groupby(shown, key=lambda run: int(x(run.at) // timeline.bar_width)):
        runs = list(group)
        run = min(runs, key=lambda r: WORST.get(_outcome(r), len(WORST)))
        colour = COLOURS.get(_outcome(run), "#6b7280")
        height = BAR_BAND if run.status == "failed" else BAR_BAND * 0.7
        label = run.label if len(runs) == 1 else f"{run.label} (the worst of {len(runs)} runs here)"
        timeline.bars.append(Bar(x=x(runs[0].at), y=BAR_BAND - height + 4, height=height, colour=colour, label=label))
        if reported := [r for r in runs if r.records_in is not None or r.records_out is not None]:
            records_in = sum(r.records_in or 0 for r in reported)
            records_out = sum(r.records_out or 0 for r in reported)
            what = reported[0].label.split(" ", 1)[0] if len(reported) == 1 else f"{len(reported)} runs here"
            shown_in = f"{records_in:,}" if any(r.records_in is not None for r in reported) else "not reported"
            shown_out = f"{records_out:,}" if any(r.records_out is not None for r in reported) else "not reported"
            counted.append((x(runs[0].at), records_in, records_out, f"{what}: {shown_in} in, {shown_out} out"))
    _chart_records(timeline, counted)

    successes = [r.at for r in shown if r.status == "success"]
    gaps = [(b, (b - a).total_seconds() / 60) for a, b in itertools.pairwise(successes)]
    top = max([g for _, g in gaps] + [declared_minutes or 0, median_minutes or 0, 1.0]) * 1.1
    timeline.gap_max_minutes = round(top, 1)

    def y(minutes: float) -> float:
        return round(GAP_TOP + GAP_BAND - minutes / top * GAP_BAND, 1)

    timeline.gap_points = " ".join(f"{x(at)},{y(minutes)}" for at, minutes in gaps)
    if declared_minutes:
        timeline.declared = Line(y(declared_minutes), f"declared {declared_minutes} min")
    if median_minutes is not None:
        timeline.median = Line(y(median_minutes), f"observed median {median_minutes} min")
    return timeline


def _chart_records(timeline: Timeline, counted: Sequence[tuple[float, int, int, str]]) -> None:
    top = max([max(records_in, records_out) for _, records_in, records_out, _ in counted] + [1])
    timeline.records_max = top
    floor = RECORDS_TOP + RECORDS_BAND

    def height(records: int) -> float:
        return round(records / top * (RECORDS_BAND - RECORDS_HEADROOM), 1)

    for at, records_in, records_out, label in counted:
        in_height, out_height = height(records_in), height(records_out)
        timeline.record_bars.append(
            RecordBar(at, round(floor - in_height, 1), in_height, round(floor - out_height, 1), out_height, label)
        )


def _outcome(run: RunPoint) -> str:
    return "suspect" if run.suspect and run.status == "success" else run.status
