"""The daily estate snapshot: its figures for a known estate, one row a day however often it is
taken, two years kept, and a fixed number of queries whatever the estate's size."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import EstateSnapshot, Integration, Person, StoredFinding, Waiver
from catalog.rules.phase_two import DAYS_PER_MONTH
from catalog.trend.snapshot import estate_figures, take_snapshot
from monitoring.models import HealthSource

pytestmark = pytest.mark.django_db


def finding(code: str, severity: str, key: str) -> StoredFinding:
    now = timezone.now()
    return StoredFinding.objects.create(
        code=code,
        severity=severity,
        subject_type="integration",
        subject_key=key,
        message="m",
        remedy="r",
        first_seen_at=now,
        last_seen_at=now,
    )


def integration(key: str, **fields) -> Integration:
    return Integration.objects.create(key=key, **fields)


def monitored(item: Integration, state: str, open_failed: int = 0) -> HealthSource:
    return HealthSource.objects.create(integration=item, kind="heartbeat", state=state, open_failed_records=open_failed)


@pytest.fixture
def known_estate() -> dt.date:
    """Five integrations: two complete, one deferred to phase two 60 days ago at 10 h/month,
    health down (3 failed records open), failing (4), up and unmonitored; six findings, one waived."""
    today = timezone.localdate()
    owner = Person.objects.create(email="ana@example.com")
    a = integration("a", owner=owner, completeness_score=1.0, completeness_missing="")
    b = integration("b", owner=owner, completeness_score=1.0, completeness_missing="")
    c = integration(
        "c",
        lifecycle="building",
        phase="phase-two",
        deferred_since=today - dt.timedelta(days=60),
        workaround_hours_per_month=10.0,
        completeness_score=0.5,
        completeness_missing=",mappings,frequency,",
    )
    d = integration("d", lifecycle="planned", completeness_score=0.5, completeness_missing=",owner,")
    integration("e", lifecycle="retired", completeness_score=0.0, completeness_missing=",systems,")
    monitored(a, "down", 3)
    monitored(b, "failing", 4)
    monitored(c, "up")
    HealthSource.objects.create(integration=d, kind="none", state="unknown", open_failed_records=99)
    finding("HEALTH_DOWN", "critical", "a")
    finding("HEALTH_FAILING", "critical", "b")
    finding("DEFERRED_PHASE_TWO", "warning", "c")
    finding("SPEC_INCOMPLETE", "warning", "c")
    finding("SPEC_INCOMPLETE", "warning", "d")
    finding("STALE_SPEC", "info", "d")
    Waiver.objects.create(
        code="SPEC_INCOMPLETE",
        subject_type="integration",
        subject_key="d",
        reason="known",
        expires_on=today + dt.timedelta(days=1),
    )
    # An expired waiver waives nothing.
    Waiver.objects.create(
        code="STALE_SPEC", subject_type="integration", subject_key="d", reason="old", expires_on=today
    )
    return today


def test_snapshot_counts_the_known_estate(known_estate):
    figures = estate_figures(known_estate)
    assert figures["integrations"] == 5
    assert (figures["findings_critical"], figures["findings_warning"], figures["findings_info"]) == (2, 2, 1)
    assert (figures["health_down"], figures["health_failing"]) == (1, 1)
    assert figures["open_failed_records"] == 7  # the unmonitored row's 99 is not the board's
    assert figures["completeness_average"] == pytest.approx(3.0 / 5)
    assert figures["complete"] == 2
    assert figures["workaround_hours_per_month"] == 10.0
    assert figures["workaround_hours_to_date"] == pytest.approx(10.0 * 60 / DAYS_PER_MONTH)
    assert figures["breakdown"] == {
        "findings_by_code": {
            "DEFERRED_PHASE_TWO": 1,
            "HEALTH_DOWN": 1,
            "HEALTH_FAILING": 1,
            "SPEC_INCOMPLETE": 1,
            "STALE_SPEC": 1,
        },
        "findings_by_severity": {"critical": 2, "info": 1, "warning": 2},
        "health": {"down": 1, "failing": 1, "up": 1},
        "lifecycle": {"building": 1, "live": 2, "planned": 1, "retired": 1},
    }


def test_snapshot_is_stored_for_today_with_those_figures(known_estate):
    report = take_snapshot()
    snapshot = EstateSnapshot.objects.get()
    assert snapshot.taken_on == known_estate and report.taken_on == known_estate.isoformat()
    assert (snapshot.findings_critical, snapshot.health_down, snapshot.open_failed_records) == (2, 1, 7)
    assert snapshot.breakdown["lifecycle"]["live"] == 2


def test_a_second_snapshot_the_same_day_updates_that_days_row(known_estate):
    take_snapshot()
    first = EstateSnapshot.objects.get()
    StoredFinding.objects.filter(code="HEALTH_DOWN").delete()
    take_snapshot()
    assert EstateSnapshot.objects.count() == 1
    again = EstateSnapshot.objects.get()
    assert again.pk == first.pk
    assert again.findings_critical == 1
    assert again.taken_at >= first.taken_at


def test_the_next_day_adds_a_row(known_estate):
    now = timezone.now()
    take_snapshot(now=now - dt.timedelta(days=1))
    take_snapshot(now=now)
    assert list(EstateSnapshot.objects.values_list("taken_on", flat=True)) == [
        timezone.localdate(now) - dt.timedelta(days=1),
        timezone.localdate(now),
    ]


def stored_days_ago(*days: int) -> None:
    today = timezone.localdate()
    for n in days:
        EstateSnapshot.objects.create(taken_on=today - dt.timedelta(days=n), taken_at=timezone.now())


def test_snapshots_730_days_old_are_kept_and_731_pruned(db):
    stored_days_ago(729, 730, 731, 1000)
    report = take_snapshot()
    today = timezone.localdate()
    kept = {(today - day).days for day in EstateSnapshot.objects.values_list("taken_on", flat=True)}
    assert kept == {0, 729, 730}
    assert report.pruned == 2


def test_the_kept_days_follow_the_setting(db, settings):
    settings.PLUMBLINE_TREND_DAYS = 30
    stored_days_ago(30, 31)
    take_snapshot()
    today = timezone.localdate()
    assert {(today - day).days for day in EstateSnapshot.objects.values_list("taken_on", flat=True)} == {0, 30}


def test_the_command_takes_the_snapshot_and_says_so(known_estate):
    out = io.StringIO()
    call_command("snapshot_estate", stdout=out)
    call_command("snapshot_estate", stdout=out)
    assert EstateSnapshot.objects.count() == 1
    assert f"Estate snapshot for {known_estate.isoformat()} stored; 0 snapshots older than 730 days pruned." in (
        out.getvalue()
    )


def queries_for_snapshot() -> int:
    with CaptureQueriesContext(connection) as captured:
        take_snapshot()
    return len(captured)


def test_the_snapshot_costs_the_same_queries_for_ten_integrations_as_for_two(known_estate):
    few = queries_for_snapshot()
    for n in range(10):
        item = integration(f"more-{n}", completeness_score=0.25, completeness_missing=",owner,")
        monitored(item, "late", 1)
        finding("SPEC_INCOMPLETE", "warning", item.key)
    assert queries_for_snapshot() == few
    assert few <= 12
    assert EstateSnapshot.objects.get().open_failed_records == 17
