"""The dashboard's trend lines: drawn from the last 90 days of snapshots as inline SVG, each with
its latest value and change in words and a link to the list it counts; plainly absent with fewer
than two snapshots."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from catalog.models import EstateSnapshot
from catalog.trend.chart import HEIGHT, PAD, WIDTH, change_words, charts, draw

pytestmark = pytest.mark.django_db


def snapshot(days_ago: int, **figures) -> EstateSnapshot:
    return EstateSnapshot.objects.create(
        taken_on=timezone.localdate() - dt.timedelta(days=days_ago), taken_at=timezone.now(), **figures
    )


def test_points_run_across_the_window_and_up_the_range():
    start = dt.date(2026, 1, 1)
    points, low, high = draw([(start, 10.0), (start + dt.timedelta(days=89), 0.0)], start)
    assert points == [(PAD, PAD), (WIDTH - PAD, HEIGHT - PAD)]
    assert (low, high) == (0.0, 10.0)


def test_a_flat_line_sits_in_the_middle():
    start = dt.date(2026, 1, 1)
    points, _, _ = draw([(start, 4.0), (start + dt.timedelta(days=1), 4.0)], start)
    assert {y for _, y in points} == {HEIGHT / 2}


def test_change_is_said_in_words():
    day = dt.date(2026, 9, 4)
    assert change_words(14, 5, "", day) == "down 9 since 4 Sep 2026"
    assert change_words(63, 90, "%", day) == "up 27 points since 4 Sep 2026"
    assert change_words(3, 3, "", day) == "no change since 4 Sep 2026"


def test_fewer_than_two_snapshots_draw_nothing():
    assert charts([], dt.date(2026, 1, 1), {}) == []


def test_dashboard_draws_six_trend_lines_from_the_snapshots(viewer):
    snapshot(89, findings_critical=12, findings_warning=40, completeness_average=0.5, health_down=2)
    snapshot(30, findings_critical=8, findings_warning=44, completeness_average=0.7, health_down=1)
    snapshot(0, findings_critical=3, findings_warning=44, completeness_average=0.9, open_failed_records=5)
    page = viewer.get("/").content.decode()
    assert page.count('<svg class="sparkline"') == 6
    critical = re.search(r'<li class="trend-chart" id="trend-critical">.*?</li>', page, re.S).group(0)
    assert '<a href="/findings/?severity=critical">Critical findings</a>' in critical
    assert '<span class="trend-latest">3</span>' in critical
    assert "down 9 since" in critical and "trend-change better" in critical
    points = re.search(r'<polyline points="([^"]+)"', critical).group(1).split()
    assert len(points) == 3
    assert points[0].startswith("3.0,") and points[-1] == f"{WIDTH - PAD},{HEIGHT - PAD}"
    assert '<desc id="trend-critical-desc">Critical findings: 3 now, down 9 since' in critical
    completeness = re.search(r'id="trend-completeness">.*?</li>', page, re.S).group(0)
    assert '<span class="trend-latest">90%</span>' in completeness and "up 40 points" in completeness
    failed = re.search(r'id="trend-failed-records">.*?</li>', page, re.S).group(0)
    assert "up 5 since" in failed and "trend-change worse" in failed
    assert "From 3 daily snapshots" in page


def test_snapshots_older_than_90_days_are_not_drawn(viewer):
    snapshot(90, findings_critical=100)
    snapshot(1, findings_critical=2)
    snapshot(0, findings_critical=1)
    page = viewer.get("/").content.decode()
    assert "From 2 daily snapshots" in page and "down 1 since" in page


def test_one_snapshot_says_the_lines_need_two(viewer):
    snapshot(0)
    page = viewer.get("/").content.decode()
    assert "Only one daily snapshot so far: the trend lines need two." in page
    assert "sparkline" not in page


def test_no_snapshot_says_so(viewer):
    page = viewer.get("/").content.decode()
    assert "No daily snapshots yet: the trend lines need two." in page
