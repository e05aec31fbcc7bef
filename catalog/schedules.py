"""Schedules as finance keeps them: a cron expression in a time zone, the working days and holidays
of a business calendar, and close freezes during which an integration is expected not to run.

Pure: nothing here touches the database. A health source carries its integration's schedule as
plain data (`Schedule.to_data`, stored on the state row), so settling a thousand due sources reads
no calendar or system. monitoring/health/state.py asks `expected_after` when the run after a
success is due; catalog/rules/sync.py asks `typical_gap_minutes` what "every" the schedule means.

Time zones and daylight saving follow Debian cron, as cronsim (Healthchecks' parser) does: a
time the spring-forward change skips (02:30 in Europe/Berlin on the last Sunday of March) runs at
the first minute that exists after it (03:00); a time the fall-back change repeats (02:30 on the
last Sunday of October) runs once, at its first occurrence (summer time). Debian's cron(8) describes
the rule ("Daylight Saving Time and other time changes"); cronsim's source follows it for 5-field
expressions with a fixed minute and hour.
"""

from __future__ import annotations

import calendar as calendar_module
import datetime as dt
import itertools
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
DEFAULT_WORKING_DAYS = WEEKDAYS[:5]
DEFAULT_TIMEZONE = "UTC"
# How far ahead an expected run is looked for: past this, a schedule frozen or off for a year and
# more expects nothing (never late) rather than searching on.
HORIZON_DAYS = 400
# How many upcoming runs the typical gap between them is taken from.
TYPICAL_GAP_RUNS = 50


class ScheduleError(ValueError):
    """A cron expression or time zone that cannot be used; the message says why."""


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone of that name; ScheduleError when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin or UTC") from None


def check_cron(expression: str) -> str:
    """A 5-field cron expression (minute hour day-of-month month day-of-week), normalised to single
    spaces; ScheduleError when cronsim refuses it or it has another number of fields."""
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError(
            f"must be a cron expression of 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    normalised = " ".join(fields)
    try:
        CronSim(normalised, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    except CronSimError as error:
        raise ScheduleError(f"is not a valid cron expression: {error}") from None
    return normalised


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days are business days: working weekdays less holidays, judged in the calendar's zone."""

    key: str = ""
    timezone: str = DEFAULT_TIMEZONE
    working_days: frozenset[int] = frozenset(range(5))  # date.weekday(): Monday 0
    holidays: frozenset[dt.date] = frozenset()

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def business_days(self, year: int, month: int) -> list[dt.date]:
        last = calendar_module.monthrange(year, month)[1]
        return [d for n in range(1, last + 1) if self.is_business_day(d := dt.date(year, month, n))]

    def to_data(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "timezone": self.timezone,
            "working_days": [WEEKDAYS[n] for n in sorted(self.working_days)],
            "holidays": sorted(day.isoformat() for day in self.holidays),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        return cls(
            key=data.get("key", ""),
            timezone=data.get("timezone") or DEFAULT_TIMEZONE,
            working_days=frozenset(WEEKDAYS.index(day) for day in data.get("working_days", DEFAULT_WORKING_DAYS)),
            holidays=frozenset(dt.date.fromisoformat(day) for day in data.get("holidays", ())),
        )


WEEKDAY_CALENDAR = BusinessCalendar()


@dataclass(frozen=True)
class Freeze:
    """A period the integration is expected not to run: explicit dates (`start`..`end`, both
    included), or each month's first and/or last business days of `calendar` (then the days
    between the frozen business days, a weekend in the close, are frozen too)."""

    start: dt.date | None = None
    end: dt.date | None = None
    first_business_days: int = 0
    last_business_days: int = 0
    calendar: BusinessCalendar = WEEKDAY_CALENDAR
    reason: str = ""
    # Whose freeze it is, for the reason a verdict gives ("system netsuite").
    origin: str = ""

    def covers(self, day: dt.date) -> bool:
        if self.start is not None and self.end is not None:
            return self.start <= day <= self.end
        if self.first_business_days:
            days = self.calendar.business_days(day.year, day.month)
            if days and day <= days[min(self.first_business_days, len(days)) - 1]:
                return True
        if self.last_business_days:
            days = self.calendar.business_days(day.year, day.month)
            if days and day >= days[-min(self.last_business_days, len(days))]:
                return True
        return False

    def zone_name(self) -> str:
        """Business-day freezes are judged in their calendar's zone; explicit dates, and business days
        counted without a calendar, in the schedule's ("")."""
        return self.calendar.timezone if not self.start and self.calendar.key else ""

    def describe(self) -> str:
        if self.start is not None and self.end is not None:
            period = f"{self.start.isoformat()}..{self.end.isoformat()}"
        else:
            parts = []
            if self.first_business_days:
                parts.append(f"first {self.first_business_days}")
            if self.last_business_days:
                parts.append(f"last {self.last_business_days}")
            period = f"{' and '.join(parts)} business days of the month"
        whose = f" of {self.origin}" if self.origin else ""
        why = f" ({self.reason})" if self.reason else ""
        return f"the freeze{whose} {period}{why}"

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"origin": self.origin, "reason": self.reason}
        if self.start is not None and self.end is not None:
            data.update({"from": self.start.isoformat(), "to": self.end.isoformat()})
        else:
            data.update(
                {
                    "first_business_days": self.first_business_days,
                    "last_business_days": self.last_business_days,
                    "calendar": self.calendar.to_data(),
                }
            )
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Freeze:
        if data.get("from"):
            return cls(
                start=dt.date.fromisoformat(data["from"]),
                end=dt.date.fromisoformat(data["to"]),
                reason=data.get("reason", ""),
                origin=data.get("origin", ""),
            )
        return cls(
            first_business_days=data.get("first_business_days", 0),
            last_business_days=data.get("last_business_days", 0),
            calendar=BusinessCalendar.from_data(data.get("calendar") or {}),
            reason=data.get("reason", ""),
            origin=data.get("origin", ""),
        )


@dataclass(frozen=True)
class Schedule:
    """When an integration is expected to run: `cron` in `timezone` (empty: every interval, as
    before), on the business days of `calendar` (None: every day), outside every freeze."""

    cron: str = ""
    timezone: str = DEFAULT_TIMEZONE
    calendar: BusinessCalendar | None = None
    freezes: tuple[Freeze, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not self.cron and self.calendar is None and not self.freezes

    def describe(self) -> str:
        on = f" on {self.calendar.key or 'calendar'} business days" if self.calendar else ""
        return f"schedule {self.cron} {self.timezone}{on}"

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data (what a health source stores); {} for no schedule."""
        if self.is_empty:
            return {}
        return {
            "cron": self.cron,
            "timezone": self.timezone,
            "calendar": self.calendar.to_data() if self.calendar else None,
            "freezes": [freeze.to_data() for freeze in self.freezes],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Schedule | None:
        if not data:
            return None
        return cls(
            cron=data.get("cron", ""),
            timezone=data.get("timezone") or DEFAULT_TIMEZONE,
            calendar=BusinessCalendar.from_data(data["calendar"]) if data.get("calendar") else None,
            freezes=tuple(Freeze.from_data(item) for item in data.get("freezes", ())),
        )


@dataclass(frozen=True)
class ExpectedRun:
    """When the next run is due, and why it is later than the schedule alone says ("" if it is not)."""

    at: dt.datetime
    moved_by: str = ""


def freeze_at(schedule: Schedule, at: dt.datetime) -> str:
    """The freeze `at` falls in, described ("the freeze of netsuite ... (month-end close)"); "" when none."""
    for freeze in schedule.freezes:
        day = at.astimezone(zone(freeze.zone_name() or schedule.timezone)).date()
        if freeze.covers(day):
            return freeze.describe()
    return ""


def day_blocked(schedule: Schedule, at: dt.datetime) -> str:
    """Why no run is expected at `at`: a freeze, a holiday, or a day the calendar does not work;
    "" when a run may be expected then."""
    if frozen := freeze_at(schedule, at):
        return frozen
    if schedule.calendar is not None:
        calendar = schedule.calendar
        day = at.astimezone(zone(calendar.timezone)).date()
        if day in calendar.holidays:
            return f"the holiday {day.isoformat()} of calendar {calendar.key}".rstrip()
        if day.weekday() not in calendar.working_days:
            return "non-working day"
    return ""


def _next_day_start(at: dt.datetime, zone_name: str) -> dt.datetime:
    """The first instant of the day after `at`'s day in that zone, in UTC."""
    tz = zone(zone_name)
    local = at.astimezone(tz)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return midnight.astimezone(dt.UTC)


def _mention(reason: str) -> str:
    # A weekend the calendar does not work moves nothing worth telling; a freeze or holiday does.
    return "" if reason == "non-working day" else reason


def expected_after(schedule: Schedule, last_success: dt.datetime, interval_minutes: int | None) -> ExpectedRun | None:
    """When the run after `last_success` is expected: with a cron, its first time after the
    success on a day not blocked (freeze, holiday, non-working day); without one, the success plus
    the interval, or, when that falls on a blocked day, the first unblocked day's start plus the
    interval. None when nothing is expected within HORIZON_DAYS (or no interval is declared)."""
    horizon = last_success + dt.timedelta(days=HORIZON_DAYS)
    moved_by = ""
    if schedule.cron:
        tz = zone(schedule.timezone)
        runs = CronSim(schedule.cron, last_success.astimezone(tz))
        for candidate in runs:
            at = candidate.astimezone(dt.UTC)
            if at > horizon:
                return None
            if not (why := day_blocked(schedule, at)):
                return ExpectedRun(at, moved_by)
            moved_by = moved_by or _mention(why)
            # Skip the rest of a blocked day at once: an every-minute job over a long freeze stays cheap.
            next_day = _next_day_start(at, schedule.timezone).astimezone(tz)
            runs = CronSim(schedule.cron, next_day - dt.timedelta(seconds=1))
        return None
    if interval_minutes is None:
        return None
    step = dt.timedelta(minutes=interval_minutes)
    at = last_success + step
    while why := day_blocked(schedule, at):
        moved_by = moved_by or _mention(why)
        at = _next_day_start(at, schedule.timezone) + step
        if at > horizon:
            return None
    return ExpectedRun(at, moved_by)


def typical_gap_minutes(schedule: Schedule, start: dt.datetime, runs: int = TYPICAL_GAP_RUNS) -> float | None:
    """The median gap, in minutes, between the schedule's next `runs` expected runs from `start`
    (a weekday 06:00 job: 1,440, its weekends aside); None without a cron or with fewer than two runs."""
    if not schedule.cron:
        return None
    times: list[dt.datetime] = []
    at = start
    for _ in range(runs):
        found = expected_after(schedule, at, None)
        if found is None:
            break
        times.append(found.at)
        at = found.at
    gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(times)]
    return round(statistics.median(gaps), 1) if gaps else None


def weekday_numbers(names: Iterable[str]) -> frozenset[int]:
    return frozenset(WEEKDAYS.index(name) for name in names)
