"""WORKAROUND_MISSED at its boundaries, and when a workaround's runs are due (workaround.every)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Calendar
from catalog.rules.engine import evaluate_estate
from catalog.schedules import BusinessCalendar, ScheduleError
from catalog.workarounds.cadence import Cadence, check_every
from catalog.workarounds.runs import cadence_for, confirm
from tests.catalog.test_rules_phase_two import deferred
from tests.catalog.test_rules_support import NOW, facts, integration, only
from tests.catalog.workaround_support import deferred_integration

# NOW is Thursday 2026-11-26 12:00 UTC; a daily 09:00 run was due yesterday and the day before.
DAILY = "0 9 * * *"
YESTERDAY = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)
DAY_BEFORE = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
TODAY_RUN = dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)


def missed(item, *confirmed: dt.datetime):
    return only("WORKAROUND_MISSED", item, facts(confirmed_runs=frozenset(confirmed)))


def test_a_run_due_yesterday_and_not_confirmed_is_a_warning():
    finding = missed(deferred(10, workaround_every=DAILY), DAY_BEFORE)
    assert finding is not None and finding.severity == "warning"
    assert "run due Wed 2026-11-25 was not confirmed" in finding.message
    assert "performed by Sam Ortiz" in finding.message
    assert "Done button" in finding.remedy and "reminder" in finding.remedy


def test_two_missed_runs_in_a_row_are_critical():
    finding = missed(deferred(10, workaround_every=DAILY))
    assert finding is not None and finding.severity == "critical"
    assert "due Tue 2026-11-24 and Wed 2026-11-25, were not confirmed" in finding.message


def test_a_run_due_today_is_not_missed_yet():
    # Thursdays at 09:00: today's run is past its time but not its day; last Thursday's was confirmed.
    item = deferred(30, workaround_every="0 9 * * 4")
    assert missed(item, dt.datetime(2026, 11, 19, 9, tzinfo=dt.UTC)) is None


def test_confirmed_runs_raise_nothing():
    assert missed(deferred(10, workaround_every=DAILY), YESTERDAY, DAY_BEFORE) is None


def test_only_the_last_run_counts_once_it_is_confirmed():
    # The day before was missed, but yesterday's confirmation puts it back on track.
    assert missed(deferred(10, workaround_every=DAILY), YESTERDAY) is None


def test_runs_due_before_the_deferral_are_not_counted():
    # Deferred yesterday: only yesterday's run was due since; one miss is a warning, not two.
    finding = missed(deferred(1, workaround_every=DAILY))
    assert finding is not None and finding.severity == "warning"


def test_only_phase_two_integrations_with_a_cadence_are_judged():
    assert missed(deferred(10)) is None  # no workaround.every
    assert missed(integration(workaround_every=DAILY)) is None  # go-live, not deferred


def test_the_due_day_is_the_day_in_the_sync_time_zone():
    # 23:30 in New York on the 25th is 04:30 UTC on the 26th: due "yesterday" in New York.
    item = deferred(10, workaround_every="30 23 * * *", sync_timezone="America/New_York")
    finding = missed(item, dt.datetime(2026, 11, 25, 4, 30, tzinfo=dt.UTC))
    assert finding is not None and "due Wed 2026-11-25" in finding.message


def test_weekly_runs_are_due_on_mondays_at_nine():
    cadence = Cadence("weekly", "Europe/Berlin")
    assert cadence.previous(NOW, 2) == [
        dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 16, 8, tzinfo=dt.UTC),
    ]


def test_monthly_runs_are_due_on_the_first_business_day_of_the_calendar():
    calendar = BusinessCalendar(key="finance", holidays=frozenset({dt.date(2027, 1, 1)}))
    cadence = Cadence("monthly", "UTC", calendar)
    after_new_year = dt.datetime(2027, 1, 10, tzinfo=dt.UTC)
    # 2027-01-01 is a Friday and a holiday: Monday the 4th. 2026-12-01 is a Tuesday.
    assert cadence.previous(after_new_year, 2) == [
        dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC),
    ]


def test_monthly_reads_the_integrations_sync_calendar():
    item = deferred(
        10, workaround_every="monthly", sync_calendar=Calendar(pk=1, key="x", working_days=["sat"], holidays=[])
    )
    cadence = cadence_for(item)
    assert cadence is not None and cadence.previous(NOW, 1) == [dt.datetime(2026, 11, 7, 9, tzinfo=dt.UTC)]


def test_a_run_may_be_confirmed_from_the_start_of_its_due_day():
    cadence = Cadence("0 17 * * *", "UTC")
    assert cadence.current(NOW) == dt.datetime(2026, 11, 26, 17, tzinfo=dt.UTC)  # due later today


@pytest.mark.parametrize("value", ["weekly", "Monthly", "0 9 * * 2", "*/30 8-17 * * mon-fri"])
def test_every_takes_weekly_monthly_or_cron(value):
    assert check_every(value) in ("weekly", "monthly", " ".join(value.split()))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fortnightly", "must be weekly, monthly or a cron expression of 5 fields"),
        ("0 9 * *", "5 fields"),
        ("0 25 * * *", "not a valid cron expression"),
    ],
)
def test_every_refuses_anything_else(value, message):
    with pytest.raises(ScheduleError, match=message):
        check_every(value)


def test_a_cron_firing_every_minute_is_counted_up_to_a_cap():
    cadence = Cadence("* * * * *", "UTC")
    assert len(cadence.between(NOW - dt.timedelta(days=90), NOW)) == 1000


@pytest.mark.django_db
def test_the_engine_reads_workaround_runs_with_one_query_whatever_their_number():
    def count(prefix: str, items: int) -> int:
        for n in range(items):
            integration = deferred_integration(key=f"{prefix}-{n}")
            cadence = cadence_for(integration)
            assert cadence is not None
            # Runs due before today (today's is not missed yet, whatever the hour): the odd ones skip the last.
            today_start = cadence.day_start(cadence.local_day(timezone.now()))
            for at in cadence.previous(today_start, 20)[n % 2 :]:
                confirm(integration, via="page", due_at=at, now=at)
        with CaptureQueriesContext(connection) as captured:
            findings = evaluate_estate()
        assert {f.subject_key for f in findings if f.code == "WORKAROUND_MISSED"}  # the odd ones miss
        return len(captured)

    small = count("a", 2)
    assert count("b", 10) == small
