"""When a workaround's runs are due (`workaround.every`), pure: nothing here touches the database.

`every` is a 5-field cron expression read in the integration's sync.timezone (as sync.schedule is),
or one of two words:
  weekly   the Monday of each week, due at 09:00 in sync.timezone;
  monthly  the first business day of each month (the working days and holidays of sync.calendar,
           Monday to Friday without one), due at 09:00 in sync.timezone.
A run's due day is its date in that zone. A run counts as missed once its due day has passed, so
a run due today is never missed yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from cronsim import CronSim

from catalog.schedules import WEEKDAY_CALENDAR, BusinessCalendar, ScheduleError, check_cron, zone

WEEKLY = "weekly"
MONTHLY = "monthly"
WORDS = (WEEKLY, MONTHLY)
DUE_TIME = dt.time(9, 0)  # when a weekly or monthly run is due, local time
# How many due runs are counted at most (a cron firing every minute would otherwise count forever).
COUNT_MAX = 1000


def check_every(value: str) -> str:
    """`weekly`, `monthly` (any case) or a 5-field cron expression; ScheduleError otherwise."""
    word = value.strip().lower()
    if word in WORDS:
        return word
    if len(value.split()) == 1:
        raise ScheduleError(f"must be weekly, monthly or a cron expression of 5 fields, not {value!r}")
    return check_cron(value)


@dataclass(frozen=True)
class Cadence:
    """`every` in a time zone, with the calendar monthly counts business days by."""

    every: str
    timezone: str = "UTC"
    calendar: BusinessCalendar | None = None

    def describe(self) -> str:
        if self.every == WEEKLY:
            return f"weekly (Mondays at 09:00 {self.timezone})"
        if self.every == MONTHLY:
            return f"monthly (first business day at 09:00 {self.timezone})"
        return f"on the cron schedule {self.every} ({self.timezone})"

    def local_day(self, at: dt.datetime) -> dt.date:
        return at.astimezone(zone(self.timezone)).date()

    def day_start(self, day: dt.date) -> dt.datetime:
        """The first instant of `day` in the cadence's zone, in UTC."""
        return dt.datetime.combine(day, dt.time(), tzinfo=zone(self.timezone)).astimezone(dt.UTC)

    def _at(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, DUE_TIME, tzinfo=zone(self.timezone)).astimezone(dt.UTC)

    def _first_business_day(self, year: int, month: int) -> dt.date | None:
        days = (self.calendar or WEEKDAY_CALENDAR).business_days(year, month)
        return days[0] if days else None

    def _backwards(self, before: dt.datetime) -> Iterator[dt.datetime]:
        """Due times strictly before `before`, newest first."""
        if self.every == WEEKLY:
            day = self.local_day(before)
            day -= dt.timedelta(days=day.weekday())
            while True:
                if (at := self._at(day)) < before:
                    yield at
                day -= dt.timedelta(days=7)
        elif self.every == MONTHLY:
            local = self.local_day(before)
            year, month = local.year, local.month
            while year > 1:
                first = self._first_business_day(year, month)
                if first is not None and (at := self._at(first)) < before:
                    yield at
                year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        else:
            for at in CronSim(self.every, before.astimezone(zone(self.timezone)), reverse=True):
                if at.astimezone(dt.UTC) < before:
                    yield at.astimezone(dt.UTC)

    def previous(self, before: dt.datetime, count: int) -> list[dt.datetime]:
        """The last `count` due times strictly before `before`, newest first."""
        found: list[dt.datetime] = []
        for at in self._backwards(before):
            if len(found) == count:
                break
            found.append(at)
        return found

    def between(self, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
        """Due times from `start` (included) to `end` (excluded), newest first, at most COUNT_MAX."""
        found: list[dt.datetime] = []
        for at in self._backwards(end):
            if at < start or len(found) == COUNT_MAX:
                break
            found.append(at)
        return found

    def current(self, now: dt.datetime) -> dt.datetime | None:
        """The run a confirmation made `now` is for: the latest due by the end of today (local), so a
        run may be confirmed from the start of its due day; None if no run was ever due."""
        tomorrow = self.day_start(self.local_day(now) + dt.timedelta(days=1))
        found = self.previous(tomorrow, 1)
        return found[0] if found else None


def cadence_of(every: str, timezone: str, calendar: BusinessCalendar | None = None) -> Cadence | None:
    """The cadence an integration declares, or None when it declares none."""
    return Cadence(every, timezone or "UTC", calendar) if every else None
