"""The timeline draws at most one bar per bar's width: a week of a five-minute heartbeat is a few
hundred bars, and a failure among the runs sharing a bar is the one shown."""

from __future__ import annotations

import datetime as dt

from monitoring.health import timeline
from monitoring.health.timeline import COLOURS, RunPoint

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def every_five_minutes(days: int = 7, failed_at: int | None = None) -> list[RunPoint]:
    runs = []
    for k in range(days * 288):
        at = NOW - dt.timedelta(minutes=5 * k)
        status = "failed" if k == failed_at else "success"
        runs.append(RunPoint(at=at, status=status, label=f"run-{k} {status}"))
    return runs


def test_a_week_of_five_minute_runs_is_a_few_hundred_bars():
    chart = timeline.build(every_five_minutes(), now=NOW, declared_minutes=5, median_minutes=5.0)
    assert 300 <= len(chart.bars) <= timeline.WIDTH / chart.bar_width
    assert chart.runs == 7 * 288
    xs = [bar.x for bar in chart.bars]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    # The gap chart still has every success.
    assert len(chart.gap_points.split()) == 7 * 288 - 1


def test_the_worst_run_of_a_shared_bar_is_the_one_drawn():
    chart = timeline.build(every_five_minutes(failed_at=1000), now=NOW, declared_minutes=5, median_minutes=5.0)
    failed = [bar for bar in chart.bars if bar.colour == COLOURS["failed"]]
    assert len(failed) == 1
    assert failed[0].label.startswith("run-1000 failed (the worst of ")
    assert failed[0].height == timeline.BAR_BAND
    svg = str(chart.bars_svg)
    assert svg.count("<rect ") == len(chart.bars)
    assert f'fill="{COLOURS["failed"]}"><title>run-1000 failed (the worst of ' in svg


def test_labels_are_escaped_in_the_drawing():
    run = RunPoint(at=NOW - dt.timedelta(hours=1), status="success", label='<script>"x"</script>')
    svg = str(timeline.build([run], now=NOW, declared_minutes=None, median_minutes=None).bars_svg)
    assert "<script>" not in svg and "&lt;script&gt;&quot;x&quot;" in svg


def test_runs_far_apart_keep_a_bar_each_and_their_own_label():
    runs = [RunPoint(at=NOW - dt.timedelta(hours=h), status="success", label=f"run-{h}") for h in range(0, 48, 6)]
    chart = timeline.build(runs, now=NOW, declared_minutes=360, median_minutes=None)
    assert [bar.label for bar in chart.bars] == [f"run-{h}" for h in range(42, -1, -6)]
