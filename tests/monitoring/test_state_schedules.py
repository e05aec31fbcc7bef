"""Lateness that follows a schedule: cron times in a time zone, a calendar's business days, close
freezes (catalog.schedules and monitoring.health.state, pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from catalog.schedules import BusinessCalendar, Freeze, Schedule, expected_after, typical_gap_minutes
from monitoring.health.state import TICK, RunFacts, evaluate, next_check_at

OK = RunFacts(external_id="r-1", status="success", records_out=10, records_failed=0)
UTC = dt.UTC
WEEKDAYS_6AM = Schedule(cron="0 6 * * 1-5", timezone="UTC")
FRIDAY = dt.datetime(2026, 12, 4, 6, 0, 5, tzinfo=UTC)
MONDAY_6AM = dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
FINANCE = BusinessCalendar(key="finance", holidays=frozenset({dt.date(2026, 12, 25)}))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def verdict(now: dt.datetime, schedule: Schedule, last_success: dt.datetime, **kwargs: Any) -> Any:
    arguments: dict[str, Any] = {
        "declared_interval_minutes": None,
        "grace_minutes": 30,
        "last_success_at": last_success,
        "last_run": OK,
        "schedule": schedule,
    }
    arguments.update(kwargs)
    return evaluate(now, **arguments)


def state(now: dt.datetime, schedule: Schedule, last_success: dt.datetime, **kwargs: Any) -> str:
    return verdict(now, schedule, last_success, **kwargs).state


# A weekday job: 06:00 Monday to Friday.


def test_weekday_job_that_succeeded_friday_is_not_late_on_saturday():
    assert state(at(2026, 12, 5, 12, 0), WEEKDAYS_6AM, FRIDAY) == "up"


def test_weekday_job_that_succeeded_friday_is_not_late_on_sunday():
    assert state(at(2026, 12, 6, 23, 59), WEEKDAYS_6AM, FRIDAY) == "up"


def test_weekday_job_is_up_at_monday_six_and_late_one_tick_after():
    assert state(MONDAY_6AM, WEEKDAYS_6AM, FRIDAY) == "up"
    assert state(MONDAY_6AM + TICK, WEEKDAYS_6AM, FRIDAY) == "late"


def test_weekday_job_is_down_on_monday_one_tick_after_six_plus_grace():
    assert state(MONDAY_6AM + dt.timedelta(minutes=30), WEEKDAYS_6AM, FRIDAY) == "late"
    assert state(MONDAY_6AM + dt.timedelta(minutes=30) + TICK, WEEKDAYS_6AM, FRIDAY) == "down"


def test_weekday_job_next_check_from_friday_is_monday_six_then_the_end_of_grace():
    first = next_check_at(at(2026, 12, 4, 7, 0), "up", None, 30, FRIDAY, WEEKDAYS_6AM)
    second = next_check_at(MONDAY_6AM + TICK, "late", None, 30, FRIDAY, WEEKDAYS_6AM)
    assert first == MONDAY_6AM + TICK
    assert second == MONDAY_6AM + dt.timedelta(minutes=30) + TICK


def test_down_reason_names_the_schedule_and_the_expected_run():
    reason = verdict(MONDAY_6AM + dt.timedelta(hours=1), WEEKDAYS_6AM, FRIDAY).reason
    assert "schedule 0 6 * * 1-5 UTC" in reason
    assert "expected 2026-12-07 06:00 UTC" in reason
    assert "grace 30 min" in reason


def test_a_schedule_needs_no_interval_and_ignores_one_given():
    assert state(at(2026, 12, 5, 12, 0), WEEKDAYS_6AM, FRIDAY, declared_interval_minutes=15) == "up"


# Europe/Berlin 02:30 daily across both daylight-saving changes.

BERLIN_0230 = Schedule(cron="30 2 * * *", timezone="Europe/Berlin")


def test_spring_forward_day_expects_the_skipped_0230_run_at_0300_summer_time():
    # 2027-03-28: clocks go from 02:00 CET to 03:00 CEST; 02:30 does not exist that night.
    saturday = at(2027, 3, 27, 1, 30, 5)  # 02:30 CET
    expected = expected_after(BERLIN_0230, saturday, None)
    assert expected is not None and expected.at == at(2027, 3, 28, 1, 0)  # 03:00 CEST
    assert state(at(2027, 3, 28, 1, 0), BERLIN_0230, saturday) == "up"
    assert state(at(2027, 3, 28, 1, 0) + TICK, BERLIN_0230, saturday) == "late"


def test_the_day_after_spring_forward_expects_0230_summer_time():
    sunday = at(2027, 3, 28, 1, 0, 5)
    expected = expected_after(BERLIN_0230, sunday, None)
    assert expected is not None and expected.at == at(2027, 3, 29, 0, 30)  # 02:30 CEST


def test_fall_back_day_expects_the_first_of_the_two_0230s():
    # 2026-10-25: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET); one run, the first.
    saturday = at(2026, 10, 24, 0, 30, 5)
    assert state(at(2026, 10, 25, 0, 30), BERLIN_0230, saturday) == "up"
    assert state(at(2026, 10, 25, 0, 30) + TICK, BERLIN_0230, saturday) == "late"
    assert state(at(2026, 10, 25, 1, 0) + TICK, BERLIN_0230, saturday) == "down"


def test_fall_back_day_does_not_expect_the_repeated_0230_again():
    after_first = at(2026, 10, 25, 0, 35)
    assert state(at(2026, 10, 25, 2, 1), BERLIN_0230, after_first) == "up"
    expected = expected_after(BERLIN_0230, after_first, None)
    assert expected is not None and expected.at == at(2026, 10, 26, 1, 30)  # 02:30 CET


# Business calendars: holidays and working days.


def test_holiday_moves_the_expected_run_to_the_next_working_day():
    schedule = Schedule(cron="0 6 * * 1-5", calendar=FINANCE)
    thursday = at(2026, 12, 24, 6, 0, 5)
    assert state(at(2026, 12, 25, 12, 0), schedule, thursday) == "up"  # Christmas, a Friday
    assert state(at(2026, 12, 28, 6, 0), schedule, thursday) == "up"
    assert state(at(2026, 12, 28, 6, 0) + TICK, schedule, thursday) == "late"


def test_the_reason_says_the_holiday_moved_the_expected_run():
    schedule = Schedule(cron="0 6 * * 1-5", calendar=FINANCE)
    reason = verdict(at(2026, 12, 28, 7, 0), schedule, at(2026, 12, 24, 6, 0, 5)).reason
    assert "the holiday 2026-12-25 of calendar finance moved the expected run" in reason


def test_a_daily_cron_on_a_weekday_calendar_skips_the_weekend_without_saying_so():
    schedule = Schedule(cron="0 6 * * *", calendar=BusinessCalendar(key="weekdays"))
    expected = expected_after(schedule, FRIDAY, None)
    assert expected is not None and expected.at == MONDAY_6AM
    assert expected.moved_by == ""


def test_calendar_days_are_judged_in_the_calendar_time_zone():
    # 23:30 UTC on Friday is already Saturday in Berlin: a Berlin weekday calendar skips it.
    berlin = BusinessCalendar(key="de", timezone="Europe/Berlin")
    schedule = Schedule(cron="30 23 * * *", calendar=berlin)
    expected = expected_after(schedule, at(2026, 12, 3, 23, 30, 5), None)
    assert expected is not None and expected.at == at(2026, 12, 6, 23, 30)  # Sunday UTC is Monday in Berlin


# Close freezes.

CLOSE = Freeze(last_business_days=2, first_business_days=3, calendar=FINANCE, reason="month-end close")


def test_the_last_business_day_of_the_month_is_inside_a_last_two_business_days_freeze():
    assert CLOSE.covers(dt.date(2026, 12, 31))  # Thursday, the last business day
    assert CLOSE.covers(dt.date(2026, 12, 30))
    assert not CLOSE.covers(dt.date(2026, 12, 29))


def test_a_month_ending_on_a_weekend_freezes_through_the_weekend():
    last_two = Freeze(last_business_days=2, calendar=FINANCE)
    assert [last_two.covers(dt.date(2026, 10, day)) for day in (28, 29, 30, 31)] == [False, True, True, True]


def test_first_business_days_skip_holidays_and_weekends():
    first_three = Freeze(first_business_days=3, calendar=BusinessCalendar(holidays=frozenset({dt.date(2027, 1, 1)})))
    # Friday 1 January is a holiday: the first three business days are 4, 5 and 6 January.
    assert first_three.covers(dt.date(2027, 1, 6))
    assert not first_three.covers(dt.date(2027, 1, 7))


def test_no_lateness_accrues_during_the_month_end_freeze():
    schedule = Schedule(cron="0 6 * * *", calendar=FINANCE, freezes=(CLOSE,))
    tuesday = at(2026, 12, 29, 6, 0, 5)
    # Frozen: 30 and 31 December, then 1 (a Friday), 4 and 5 January; expected Wednesday 6 January.
    assert state(at(2027, 1, 5, 23, 59), schedule, tuesday) == "up"
    assert state(at(2027, 1, 6, 6, 0) + TICK, schedule, tuesday) == "late"


def test_the_reason_says_the_freeze_moved_the_expected_run():
    schedule = Schedule(cron="0 6 * * *", calendar=FINANCE, freezes=(CLOSE,))
    reason = verdict(at(2027, 1, 6, 8, 0), schedule, at(2026, 12, 29, 6, 0, 5)).reason
    assert "the freeze first 3 and last 2 business days of the month (month-end close) moved" in reason


def test_explicit_date_freeze_holds_the_expected_run_until_the_day_after_it():
    year_end = Freeze(start=dt.date(2027, 1, 1), end=dt.date(2027, 1, 4), origin="system netsuite")
    schedule = Schedule(cron="0 6 * * *", freezes=(year_end,))
    thursday = at(2026, 12, 31, 6, 0, 5)
    assert state(at(2027, 1, 4, 23, 59), schedule, thursday) == "up"
    assert state(at(2027, 1, 5, 6, 0) + TICK, schedule, thursday) == "late"
    reason = verdict(at(2027, 1, 5, 7, 0), schedule, thursday).reason
    assert "the freeze of system netsuite 2027-01-01..2027-01-04 moved the expected run" in reason


def test_an_interval_that_ends_inside_a_freeze_restarts_after_it():
    year_end = Freeze(start=dt.date(2027, 1, 1), end=dt.date(2027, 1, 4))
    schedule = Schedule(freezes=(year_end,))
    last = at(2026, 12, 31, 23, 30)
    assert state(at(2027, 1, 3, 12, 0), schedule, last, declared_interval_minutes=60) == "up"
    assert state(at(2027, 1, 5, 1, 0), schedule, last, declared_interval_minutes=60) == "up"
    assert state(at(2027, 1, 5, 1, 0) + TICK, schedule, last, declared_interval_minutes=60) == "late"


def test_a_schedule_frozen_for_good_expects_nothing():
    forever = Freeze(start=dt.date(2026, 1, 1), end=dt.date(2099, 12, 31))
    schedule = Schedule(cron="0 6 * * *", freezes=(forever,))
    assert state(at(2030, 1, 1), schedule, FRIDAY) == "up"
    assert next_check_at(at(2026, 12, 5), "up", None, 30, FRIDAY, schedule) is None


def test_an_every_minute_job_over_a_long_freeze_is_found_quickly():
    freeze = Freeze(start=dt.date(2027, 1, 1), end=dt.date(2027, 3, 31))
    expected = expected_after(Schedule(cron="* * * * *", freezes=(freeze,)), at(2026, 12, 31, 23, 59, 30), None)
    assert expected is not None and expected.at == at(2027, 4, 1, 0, 0)


# The schedule's typical gap (what observed-vs-declared compares against).


def test_a_weekday_schedule_typically_runs_every_day():
    assert typical_gap_minutes(WEEKDAYS_6AM, at(2026, 12, 1)) == 1440


def test_an_hourly_schedule_typically_runs_every_sixty_minutes():
    assert typical_gap_minutes(Schedule(cron="0 * * * *"), at(2026, 12, 1)) == 60


def test_schedule_data_round_trips():
    schedule = Schedule(cron="0 6 * * 1-5", timezone="Europe/Berlin", calendar=FINANCE, freezes=(CLOSE,))
    assert Schedule.from_data(schedule.to_data()) == schedule
    assert Schedule.from_data({}) is None


def test_business_days_counted_without_a_calendar_are_judged_in_the_schedule_zone():
    # 00:30 in Berlin on Thursday 31 December (the last business day) is 23:30 UTC on the 30th: frozen.
    last_day = Freeze(last_business_days=1)
    schedule = Schedule(cron="30 0 * * *", timezone="Europe/Berlin", freezes=(last_day,))
    expected = expected_after(schedule, at(2026, 12, 29, 23, 30, 5), None)
    assert expected is not None and expected.at == at(2026, 12, 31, 23, 30)  # 00:30 on 1 January in Berlin
