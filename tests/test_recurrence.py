"""Recurring windows expanded on the clock of their time zone: the same local hours across both
daylight-saving changes, rules refused when they cannot be expanded sensibly, and the words shown."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from dateutil.rrule import rrulestr

from plumbline.recurrence import RecurrenceError, recurrence


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


SUNDAYS_BERLIN = recurrence("FREQ=WEEKLY;BYDAY=SU", dt.time(2, 0), 120, "Europe/Berlin")


def test_a_summer_sunday_window_is_02_to_04_berlin_time_which_is_00_to_02_utc():
    assert SUNDAYS_BERLIN.covering(utc("2026-07-05T00:00")) == (utc("2026-07-05T00:00"), utc("2026-07-05T02:00"))
    assert SUNDAYS_BERLIN.covering(utc("2026-07-04T23:59")) is None
    assert SUNDAYS_BERLIN.covering(utc("2026-07-05T02:00")) is None  # the end is not inside


def test_a_winter_sunday_window_is_02_to_04_berlin_time_which_is_01_to_03_utc():
    assert SUNDAYS_BERLIN.covering(utc("2026-12-06T01:00")) == (utc("2026-12-06T01:00"), utc("2026-12-06T03:00"))
    assert SUNDAYS_BERLIN.covering(utc("2026-12-06T00:59")) is None


def test_on_the_spring_forward_sunday_the_window_is_the_one_real_hour_from_03_to_04():
    # 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:00-03:00 does not exist on the clock.
    span = (utc("2026-03-29T01:00"), utc("2026-03-29T02:00"))
    assert SUNDAYS_BERLIN.covering(utc("2026-03-29T01:00")) == span
    assert SUNDAYS_BERLIN.covering(utc("2026-03-29T01:59")) == span
    assert SUNDAYS_BERLIN.covering(utc("2026-03-29T00:59")) is None
    assert SUNDAYS_BERLIN.covering(utc("2026-03-29T02:00")) is None  # 04:00 CEST


def test_on_the_fall_back_sunday_the_window_runs_from_the_first_02_to_04_three_real_hours():
    # 2026-10-25: 03:00 CEST becomes 02:00 CET; the window opens at the first 02:00 (CEST).
    span = (utc("2026-10-25T00:00"), utc("2026-10-25T03:00"))
    assert SUNDAYS_BERLIN.covering(utc("2026-10-25T00:00")) == span
    assert SUNDAYS_BERLIN.covering(utc("2026-10-25T02:59")) == span
    assert SUNDAYS_BERLIN.covering(utc("2026-10-25T03:00")) is None  # 04:00 CET
    assert SUNDAYS_BERLIN.covering(utc("2026-10-24T23:59")) is None


def test_the_next_occurrence_is_the_one_under_way_then_the_following_one():
    assert SUNDAYS_BERLIN.next_occurrence(utc("2026-07-05T01:00")) == (
        utc("2026-07-05T00:00"),
        utc("2026-07-05T02:00"),
    )
    assert SUNDAYS_BERLIN.next_occurrence(utc("2026-07-05T02:00"))[0] == utc("2026-07-12T00:00")


@pytest.mark.parametrize(
    ("rule", "start"),
    [
        ("FREQ=DAILY;INTERVAL=3", dt.datetime(2001, 5, 17, 23, 30)),
        ("FREQ=WEEKLY;INTERVAL=2", dt.datetime(2000, 1, 3, 2, 0)),
        ("FREQ=WEEKLY;INTERVAL=3;BYDAY=SA,SU", dt.datetime(2003, 2, 1, 1, 0)),
        ("FREQ=MONTHLY;INTERVAL=5", dt.datetime(2000, 1, 31, 22, 0)),
        ("FREQ=MONTHLY;BYDAY=-1FR", dt.datetime(2000, 1, 3, 22, 0)),
        ("FREQ=YEARLY;INTERVAL=2", dt.datetime(2004, 3, 1, 3, 0)),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", dt.datetime(2004, 2, 29, 3, 0)),
    ],
)
def test_an_old_rule_expanded_from_near_the_instant_matches_its_expansion_from_its_first_day(rule, start):
    """Occurrences are expanded from a whole number of periods after the start; here is the check
    that this shortcut finds exactly the occurrences walking from the first day finds."""
    repeats = recurrence(rule, start, 90, "Europe/Berlin")
    walked = rrulestr(rule, dtstart=start).between(dt.datetime(2026, 1, 1), dt.datetime(2029, 1, 1))
    found = []
    after = utc("2026-01-01T00:00")
    for occurrence_start, _ in repeats.occurrences(after):
        if occurrence_start >= utc("2029-01-01T00:00"):
            break
        found.append(occurrence_start.astimezone(repeats.zone).replace(tzinfo=None))
    assert found == [moment for moment in walked if moment.replace(tzinfo=repeats.zone) >= after]
    assert found  # the rule does happen in those years


def test_a_rule_with_until_in_the_past_is_kept_and_covers_nothing_now():
    repeats = recurrence("FREQ=DAILY;UNTIL=20200101T000000Z", dt.time(2, 0), 60, "UTC")
    assert repeats.last_end() == utc("2019-12-31T03:00")
    assert repeats.covering(utc("2026-07-05T02:30")) is None
    assert repeats.next_occurrence(utc("2026-07-05T00:00")) is None


def test_count_counts_from_the_dated_start():
    repeats = recurrence("FREQ=WEEKLY;BYDAY=SU;COUNT=2", dt.datetime(2027, 1, 3, 2, 0), 60, "Europe/Berlin")
    assert repeats.covering(utc("2027-01-10T01:30")) is not None
    assert repeats.covering(utc("2027-01-17T01:30")) is None
    assert repeats.last_end() == utc("2027-01-10T02:00")


@pytest.mark.parametrize(
    ("rule", "minutes", "zone", "message"),
    [
        ("FREQ=MINUTELY", 60, "UTC", "FREQ=MINUTELY is not allowed: a maintenance window repeats at most daily"),
        ("FREQ=SECONDLY", 60, "UTC", "FREQ=SECONDLY is not allowed"),
        ("FREQ=HOURLY", 30, "UTC", "FREQ=HOURLY is not allowed"),
        ("BYDAY=SU", 60, "UTC", "FREQ is required"),
        ("FREQ=WEEKLY;BYHOUR=2", 60, "UTC", "BYHOUR is not allowed: the start time and date come from start"),
        ("FREQ=WEEKLY;BYDAY=XX", 60, "UTC", "cannot be read"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", 60, "UTC", "never happens"),
        ("FREQ=DAILY", 25 * 60, "UTC", "occurrences 24 hours apart cannot each last 25 hours"),
        ("FREQ=DAILY;COUNT=3", 60, "UTC", "COUNT needs a start with a date"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20300101", 60, "UTC", "give COUNT or UNTIL, not both"),
        ("FREQ=DAILY;INTERVAL=0", 60, "UTC", "INTERVAL must be a whole number from 1 to 1000"),
        ("FREQ=DAILY;X-NAME=1", 60, "UTC", "unknown rule part X-NAME"),
        ("not a rule", 60, "UTC", "'not a rule' is not NAME=VALUE"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", 60, "UTC", "with INTERVAL, FREQ=DAILY takes only these BY parts: none"),
        ("FREQ=DAILY;UNTIL=2027", 60, "UTC", "UNTIL must be a date (20271231) or a time"),
        ("FREQ=DAILY;UNTIL=99991231T235959Z", 60, "UTC", "UNTIL must be in the years 1970 to 2199"),
        ("FREQ=DAILY", 60, "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("FREQ=DAILY", 60, "../../etc/passwd", "unknown time zone"),
        ("FREQ=WEEKLY", 0, "UTC", "duration must be 1 minute to 14 days"),
        ("FREQ=WEEKLY", 14 * 24 * 60 + 1, "UTC", "duration must be 1 minute to 14 days"),
    ],
)
def test_a_rule_that_cannot_be_expanded_sensibly_is_refused_saying_why(rule, minutes, zone, message):
    with pytest.raises(RecurrenceError) as refused:
        recurrence(rule, dt.time(2, 0), minutes, zone)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=SU", "every Sunday, 02:00–04:00 Europe/Berlin"),
        ("FREQ=WEEKLY;BYDAY=SA,SU", "every Saturday and Sunday, 02:00–04:00 Europe/Berlin"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", "every 2 weeks on Sunday, 02:00–04:00 Europe/Berlin"),
        ("FREQ=DAILY", "every day, 02:00–04:00 Europe/Berlin"),
        ("FREQ=MONTHLY;BYMONTHDAY=1", "on day 1 of every month, 02:00–04:00 Europe/Berlin"),
        ("FREQ=MONTHLY;BYDAY=1SU", "on the first Sunday of every month, 02:00–04:00 Europe/Berlin"),
        (
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231",
            "on the last Friday of every month, until 2027-12-31, 02:00–04:00 Europe/Berlin",
        ),
        ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31, 02:00–04:00 Europe/Berlin"),
    ],
)
def test_a_rule_reads_in_words_where_it_is_a_common_one(rule, words):
    assert recurrence(rule, dt.time(2, 0), 120, "Europe/Berlin").describe() == words


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYDAY=1SU;BYMONTHDAY=30",
    ],
)
def test_a_rule_matching_no_date_is_refused_without_walking_to_the_year_9999(rule):
    started = time.monotonic()
    with pytest.raises(RecurrenceError, match="never happens"):
        recurrence(rule, dt.time(2, 0), 60, "UTC")
    assert time.monotonic() - started < 1  # walking day by day to 9999 takes over ten seconds


def test_a_dated_start_far_outside_the_calendar_we_keep_is_refused():
    with pytest.raises(RecurrenceError, match="start must be in the years 1970 to 2199"):
        recurrence("FREQ=DAILY", dt.datetime(9999, 12, 31, 23, 0), 60, "UTC")
