"""The lateness pass on the database with cron schedules, calendars and freezes: the state row
carries the schedule, so a due source is settled with no other read, and the pass's queries do not
grow with the number of scheduled sources."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Calendar, System
from monitoring.health.lateness import evaluate_due
from monitoring.health.pipeline import record_poll
from monitoring.health.specs import on_specs_changed
from monitoring.health.state import TICK
from monitoring.models import Alert, Flip, HealthSource
from monitoring.platforms.contract import PollResult, RunObservation
from tests.monitoring.conftest import make_integration, source_of

pytestmark = pytest.mark.django_db

FRIDAY = dt.datetime(2026, 12, 4, 6, 0, 5, tzinfo=dt.UTC)
MONDAY_6AM = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)
WEEKDAYS: dict[str, Any] = {"sync_schedule": "0 6 * * 1-5", "interval": None}


def succeed(integration, at=FRIDAY) -> None:
    record_poll(integration, PollResult(runs=[RunObservation(f"r-{at:%d%H%M}", "success", finished_at=at)]), now=at)


def test_a_weekday_job_is_not_evaluated_over_the_weekend_and_is_down_monday_after_grace():
    integration = make_integration("weekday-feed", **WEEKDAYS)
    succeed(integration)
    assert source_of(integration).next_check_due_at == MONDAY_6AM + TICK
    assert evaluate_due(dt.datetime(2026, 12, 6, 23, 0, tzinfo=dt.UTC)).evaluated == 0
    late = evaluate_due(MONDAY_6AM + dt.timedelta(minutes=1))
    down = evaluate_due(MONDAY_6AM + dt.timedelta(minutes=31))
    assert [f.to_state for f in late.flips] == ["late"]
    assert [f.to_state for f in down.flips] == ["down"]
    assert "schedule 0 6 * * 1-5 UTC, expected 2026-12-07 06:00 UTC + grace 30 min" in down.flips[0].reason


def test_a_system_freeze_reaches_its_integrations_and_says_so_in_the_flip():
    system = System.objects.create(key="erp", freeze=[{"from": "2026-12-07", "to": "2026-12-08", "reason": "close"}])
    integration = make_integration("weekday-feed", target=system.key, **WEEKDAYS)
    succeed(integration)
    assert source_of(integration).next_check_due_at == MONDAY_6AM + dt.timedelta(days=2) + TICK
    report = evaluate_due(MONDAY_6AM + dt.timedelta(days=2, minutes=31))
    assert "the freeze of system erp 2026-12-07..2026-12-08 (close) moved the expected run" in report.flips[0].reason


def test_a_failure_during_a_close_freeze_alerts_marked_with_the_freeze_and_one_after_it_unmarked():
    system = System.objects.create(key="erp", freeze=[{"from": "2026-12-07", "to": "2026-12-08", "reason": "close"}])
    integration = make_integration("weekday-feed", target=system.key, **WEEKDAYS)
    succeed(integration)
    for run, at in (("r-in", MONDAY_6AM), ("r-ok", MONDAY_6AM + dt.timedelta(hours=1))):
        status = "failed" if run == "r-in" else "success"
        record_poll(integration, PollResult(runs=[RunObservation(run, status, finished_at=at)]), now=at)
    after = MONDAY_6AM + dt.timedelta(days=2)
    record_poll(integration, PollResult(runs=[RunObservation("r-after", "failed", finished_at=after)]), now=after)
    during, recovered, later = Alert.objects.filter(recipient="ana@example.com").order_by("id")
    marked = "During the freeze of system erp 2026-12-07..2026-12-08 (close): no run is expected then"
    assert marked in during.body
    assert during.details["integrations"][0]["freeze"].startswith("the freeze of system erp")
    assert "During the freeze" not in later.body and later.details["integrations"][0]["freeze"] == ""
    assert "failing" in during.subject.lower() and "recovered" in recovered.subject.lower()


def test_a_calendar_holiday_added_later_moves_the_next_check(django_capture_on_commit_callbacks):
    calendar = Calendar.objects.create(key="finance", working_days=["mon", "tue", "wed", "thu", "fri"])
    integration = make_integration("weekday-feed", sync_calendar=calendar, **WEEKDAYS)
    succeed(integration)
    assert source_of(integration).next_check_due_at == MONDAY_6AM + TICK
    calendar.holidays = ["2026-12-07"]
    calendar.save()
    on_specs_changed(sender=None, report=None)
    assert source_of(integration).next_check_due_at == MONDAY_6AM + dt.timedelta(days=1) + TICK
    assert source_of(integration).schedule["calendar"]["holidays"] == ["2026-12-07"]


def test_a_manual_trigger_expects_nothing_whatever_its_schedule():
    integration = make_integration("by-hand", trigger="manual", **WEEKDAYS)
    succeed(integration)
    assert source_of(integration).schedule == {}
    assert source_of(integration).next_check_due_at is None


def many_feeds(first: int, count: int) -> None:
    calendar, _ = Calendar.objects.get_or_create(key="finance", defaults={"holidays": ["2026-12-25"]})
    for n in range(first, first + count):
        succeed(make_integration(f"feed-{n}", sync_calendar=calendar, sync_timezone="Europe/Berlin", **WEEKDAYS))


def test_a_pass_over_cron_sources_takes_as_many_queries_for_many_as_for_few():
    berlin_six = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC)  # 06:00 CET
    many_feeds(0, 3)
    with CaptureQueriesContext(connection) as few:
        report = evaluate_due(berlin_six + dt.timedelta(minutes=1))
    assert [f.to_state for f in report.flips] == ["late"] * 3
    many_feeds(3, 12)
    HealthSource.objects.update(state="up", next_check_due_at=berlin_six)
    Flip.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        assert evaluate_due(berlin_six + dt.timedelta(minutes=1)).evaluated == 15
    due = [q for q in many.captured_queries if 'ORDER BY "monitoring_healthsource"."next_check_due_at"' in q["sql"]]
    assert len(due) == 1
    assert not [q for q in many.captured_queries if "catalog_calendar" in q["sql"]]  # the row carries its schedule
    if connection.vendor == "postgresql":  # elsewhere the rows are written one by one
        assert len(many.captured_queries) == len(few.captured_queries)
    else:
        assert len(many.captured_queries) - len(few.captured_queries) == 12


def test_the_health_page_shows_the_schedule_instead_of_an_interval():
    from tests.monitoring.test_pages import client_as

    calendar = Calendar.objects.create(key="finance")
    make_integration("weekday-feed", sync_calendar=calendar, sync_timezone="Europe/Berlin", **WEEKDAYS)
    body = client_as("ana@example.com").get("/integrations/weekday-feed/health/").content.decode()
    assert "<code>0 6 * * 1-5</code>" in body
    assert "schedule, Europe/Berlin, business days of finance (grace 30 min)" in body
    assert "declared interval (grace" not in body
