"""Recurring windows ("every Sunday 02:00-04:00 Europe/Berlin"): an RFC 5545 RRULE, a local start time,
a duration and an IANA time zone. Occurrences are expanded in local wall time, so a window stays
02:00-04:00 on the clock across daylight-saving changes (an hour shorter or longer in real time on those
days). Pure: no database; the maintenance checks of monitoring ask it "which occurrence covers T?"."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

# Where a rule counts from when its start names a time but no date: a Monday, so
# "FREQ=WEEKLY;INTERVAL=2" has a fixed parity everybody can work out.
EPOCH = dt.date(2000, 1, 3)
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# The start time and date come from `start`; these would move or multiply it within a day.
REFUSED_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND", "DTSTART", "BYEASTER"}
KNOWN_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY", "BYMONTH"}
KNOWN_PARTS |= {"BYYEARDAY", "BYWEEKNO", "BYSETPOS"}
COUNT_MAX = 1000
UNTIL_RE = re.compile(r"\d{8}(T\d{6}Z?)?")
# Dated starts stay far from the ends of datetime's range, where working out an occurrence overflows.
FIRST_YEAR, LAST_YEAR = 1970, 2199
PROBE_YEARS = 7
# With INTERVAL above 1, the parts that always leave a date in each period: a rule such as
# FREQ=DAILY;INTERVAL=7;BYDAY=TU from a Monday would match no date, found only by walking 8,000 years.
INTERVAL_PARTS = {
    "DAILY": {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"},
    "WEEKLY": {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY"},
    "MONTHLY": {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY", "BYSETPOS"},
    "YEARLY": {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTH", "BYMONTHDAY", "BYSETPOS"},
}
LONGEST = dt.timedelta(days=14)
DAY_NAMES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday"}
DAY_NAMES |= {"SA": "Saturday", "SU": "Sunday"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second-to-last"}


class RecurrenceError(ValueError):
    """A rule, start, duration or zone that cannot be expanded sensibly; the message says why."""


def parse_parts(rule: str) -> dict[str, str]:
    """The NAME=VALUE parts of an RRULE ("RRULE:" prefix allowed), names upper-cased."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts: dict[str, str] = {}
    for piece in filter(None, text.split(";")):
        name, sep, value = piece.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            raise RecurrenceError(f"{piece!r} is not NAME=VALUE")
        if name in parts:
            raise RecurrenceError(f"{name} is given twice")
        parts[name] = value.strip().upper()
    return parts


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecurrenceError(f"unknown time zone {name!r} (an IANA name such as Europe/Berlin)") from None


@dataclass(frozen=True)
class Recurrence:
    rule: str  # "FREQ=WEEKLY;BYDAY=SU", as given
    start: dt.datetime  # local wall time of the first possible occurrence (naive)
    duration: dt.timedelta
    zone_name: str

    @cached_property
    def zone(self) -> ZoneInfo:
        return zone_named(self.zone_name)

    @cached_property
    def parts(self) -> dict[str, str]:
        return parse_parts(self.rule)

    @cached_property
    def _explicit(self) -> str:
        """The rule with the parts dateutil would take from the start date written out, so the
        rule means the same from any later start (see _rule_from)."""
        parts = dict(self.parts)
        if not parts.keys() & {"BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY"}:
            freq = parts["FREQ"]
            if freq == "YEARLY":
                parts.setdefault("BYMONTH", str(self.start.month))
                parts["BYMONTHDAY"] = str(self.start.day)
            elif freq == "MONTHLY":
                parts["BYMONTHDAY"] = str(self.start.day)
            elif freq == "WEEKLY":
                parts["BYDAY"] = list(DAY_NAMES)[self.start.weekday()]
        until = parts.get("UNTIL", "")
        if until.endswith("Z") and len(until) == 16:  # UTC: as local wall time, as the start is
            utc = dt.datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            parts["UNTIL"] = f"{utc.astimezone(self.zone):%Y%m%dT%H%M%S}"
        return ";".join(f"{name}={value}" for name, value in parts.items())

    def _rule_from(self, since: dt.datetime) -> rrule:
        """The rule expanded from a whole number of periods after its start, shortly before `since`
        (local wall time): an old daily rule is not walked day by day from its first day. A rule
        with COUNT counts from its true start."""
        start = self.start
        if "COUNT" not in self.parts:
            freq, every = self.parts["FREQ"], int(self.parts.get("INTERVAL", "1"))
            if freq in ("DAILY", "WEEKLY"):
                days = every * (7 if freq == "WEEKLY" else 1)
                periods = max(0, (since - self.start).days // days - 1)
                start = self.start + dt.timedelta(days=periods * days)
            else:
                months = every * (12 if freq == "YEARLY" else 1)
                gone = (since.year - self.start.year) * 12 + since.month - self.start.month
                start = self.start + relativedelta(months=max(0, gone // months - 1) * months)
        return rrulestr(self._explicit, dtstart=start, cache=False)

    def _instant(self, wall: dt.datetime) -> dt.datetime:
        # A wall time skipped by a spring-forward is read with the offset before the change (PEP 495).
        return wall.replace(tzinfo=self.zone).astimezone(dt.UTC)

    def _bounds(self, wall_start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        return self._instant(wall_start), self._instant(wall_start + self.duration)

    def _wall(self, at: dt.datetime) -> dt.datetime:
        return at.astimezone(self.zone).replace(tzinfo=None)

    def covering(self, at: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        """The occurrence (start, end) with start <= at < end, as aware UTC datetimes, or None."""
        wall = self._wall(at)
        earliest = wall - self.duration - dt.timedelta(days=1)
        for occurrence in self._rule_from(earliest).between(earliest, wall + dt.timedelta(days=1), inc=True):
            start, end = self._bounds(occurrence)
            if start <= at < end:
                return start, end
        return None

    def occurrences(self, after: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """(start, end) of each occurrence not over at `after` (the one under way first), in order."""
        earliest = self._wall(after) - self.duration - dt.timedelta(days=1)
        for occurrence in self._rule_from(earliest).xafter(earliest, inc=True):
            start, end = self._bounds(occurrence)
            if end > after:
                yield start, end

    def next_occurrence(self, after: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        return next(self.occurrences(after), None)

    def last_end(self) -> dt.datetime | None:
        """When the last occurrence ends for a rule with COUNT or UNTIL; None for an endless rule."""
        if not self.parts.keys() & {"COUNT", "UNTIL"}:
            return None
        last = None
        for last in rrulestr(self._explicit, dtstart=self.start, cache=False):  # noqa: B007 (bounded by COUNT/UNTIL)
            pass
        return self._bounds(last)[1] if last is not None else self._instant(self.start)

    def describe(self) -> str:
        """In words where the rule is a common one ("every Sunday, 02:00-04:00 Europe/Berlin"), else the rule."""
        return f"{_rule_words(self.parts)}, {self._times()} {self.zone_name}"

    def _times(self) -> str:
        begins = f"{self.start:%H:%M}"
        if self.duration < dt.timedelta(days=1):
            return f"{begins}–{self.start + self.duration:%H:%M}"
        hours = self.duration / dt.timedelta(hours=1)
        return f"{begins} for {hours:g} hours"


def recurrence(rule: str, start: dt.time | dt.datetime, duration_minutes: int, zone_name: str) -> Recurrence:
    """A checked Recurrence; RecurrenceError says what is wrong. `start` without a date counts from EPOCH."""
    if duration_minutes < 1 or dt.timedelta(minutes=duration_minutes) > LONGEST:
        raise RecurrenceError(f"duration must be 1 minute to {LONGEST.days} days: alerts would be held that long")
    zone_named(zone_name)
    parts = parse_parts(rule)
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError("FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY)")
    if freq not in FREQUENCIES:
        raise RecurrenceError(f"FREQ={freq} is not allowed: a maintenance window repeats at most daily")
    if refused := sorted(parts.keys() & REFUSED_PARTS):
        raise RecurrenceError(f"{', '.join(refused)} is not allowed: the start time and date come from start")
    if unknown := sorted(parts.keys() - KNOWN_PARTS - REFUSED_PARTS):
        raise RecurrenceError(f"unknown rule part {', '.join(unknown)}")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("give COUNT or UNTIL, not both")
    for name, most in (("INTERVAL", 1000), ("COUNT", COUNT_MAX)):
        if name in parts and not (parts[name].isdigit() and 1 <= int(parts[name]) <= most):
            raise RecurrenceError(f"{name} must be a whole number from 1 to {most}")
    if "UNTIL" in parts and not UNTIL_RE.fullmatch(parts["UNTIL"]):
        raise RecurrenceError("UNTIL must be a date (20271231) or a time (20271231T235959, Z for UTC)")
    if "UNTIL" in parts and not FIRST_YEAR <= int(parts["UNTIL"][:4]) <= LAST_YEAR:
        raise RecurrenceError(f"UNTIL must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    if isinstance(start, dt.datetime) and not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise RecurrenceError(f"start must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    if "COUNT" in parts and isinstance(start, dt.time):
        raise RecurrenceError("COUNT needs a start with a date (2027-01-03T02:00): it counts from there")
    wall = start if isinstance(start, dt.datetime) else dt.datetime.combine(EPOCH, start)
    found = Recurrence(
        rule.strip(),
        wall.replace(tzinfo=None, second=0, microsecond=0),
        dt.timedelta(minutes=duration_minutes),
        zone_name,
    )
    if int(parts.get("INTERVAL", "1")) > 1 and parts.keys() - INTERVAL_PARTS[freq]:
        allowed = ", ".join(sorted(INTERVAL_PARTS[freq] - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"})) or "none"
        raise RecurrenceError(f"with INTERVAL, FREQ={freq} takes only these BY parts: {allowed}")
    try:
        ever = _ever_matches(found)
        first = _first_occurrences(found) if ever else []
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as error:
        raise RecurrenceError(f"cannot be read: {error}") from None
    if not ever:
        raise RecurrenceError("never happens (no date matches every part)")
    if not first and "UNTIL" not in parts:
        raise RecurrenceError(f"does not happen within {PROBE_YEARS} years of its start (no date matches every part)")
    gaps = [b - a for a, b in itertools.pairwise(first)]
    if gaps and min(gaps) < found.duration:
        raise RecurrenceError(f"occurrences {_span(min(gaps))} apart cannot each last {_span(found.duration)}")
    return found


def _ever_matches(found: Recurrence) -> bool:
    """Whether any date matches the rule's BY parts. The Gregorian calendar repeats every 400 years, so
    the dates are looked for from the same year of the cycle in 9200-9599: a rule matching no date is
    walked to the year 9999 (where dateutil stops), not from today (8,000 years of days)."""
    parts = parse_parts(found._explicit)
    for name in ("COUNT", "UNTIL", "INTERVAL", "BYSETPOS"):
        parts.pop(name, None)
    ordinal = any(day[:1] in "+-0123456789" for day in parts.get("BYDAY", "").split(",") if day)
    if parts["FREQ"] != "YEARLY" and not ordinal:
        parts["FREQ"] = "YEARLY"  # the same dates, a year at a time
    late = found.start.replace(year=9200 + found.start.year % 400)
    return next(iter(rrulestr(parts_text(parts), dtstart=late, cache=False)), None) is not None


def _first_occurrences(found: Recurrence) -> list[dt.datetime]:
    """Up to 8 first occurrences, looked for only PROBE_YEARS past the start: a rule matching no date
    would otherwise be walked day by day to the year 9999."""
    parts = parse_parts(found._explicit)
    parts.pop("COUNT", None)
    horizon = found.start + relativedelta(years=PROBE_YEARS)
    if "UNTIL" not in parts or _until_wall(parts["UNTIL"]) > horizon:
        parts["UNTIL"] = f"{horizon:%Y%m%dT%H%M%S}"
    return list(itertools.islice(rrulestr(parts_text(parts), dtstart=found.start, cache=False), 8))


def _until_wall(until: str) -> dt.datetime:
    return dt.datetime.strptime(until[:15], "%Y%m%dT%H%M%S" if len(until) >= 15 else "%Y%m%d")


def _rule_words(parts: dict[str, str]) -> str:
    freq, every = parts["FREQ"], int(parts.get("INTERVAL", "1"))
    plain = parts.keys() <= {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST"}
    days = parts.get("BYDAY", "").split(",") if parts.get("BYDAY") else []
    if not plain:
        return parts_text(parts)
    if freq == "DAILY" and not days and "BYMONTHDAY" not in parts:
        words = "every day" if every == 1 else f"every {every} days"
    elif freq == "WEEKLY" and "BYMONTHDAY" not in parts and all(d in DAY_NAMES for d in days):
        names = _and([DAY_NAMES[d] for d in days]) if days else "week"
        words = f"every {names}" if every == 1 else f"every {every} weeks on {names}"
    elif freq == "MONTHLY" and "BYMONTHDAY" in parts and not days:
        words = f"on day {_and(parts['BYMONTHDAY'].split(','))} of every {_months(every)}"
    elif freq == "MONTHLY" and len(days) == 1 and "BYMONTHDAY" not in parts and _ordinal_day(days[0]):
        words = f"on the {_ordinal_day(days[0])} of every {_months(every)}"
    else:
        return parts_text(parts)
    if "COUNT" in parts:
        words += f", {parts['COUNT']} times"
    if "UNTIL" in parts:
        words += f", until {parts['UNTIL'][:4]}-{parts['UNTIL'][4:6]}-{parts['UNTIL'][6:8]}"
    return words


def _span(length: dt.timedelta) -> str:
    minutes = int(length / dt.timedelta(minutes=1))
    return f"{minutes / 60:g} hours" if minutes % 60 == 0 else f"{minutes} minutes"


def parts_text(parts: dict[str, str]) -> str:
    return ";".join(f"{name}={value}" for name, value in parts.items())


def _months(every: int) -> str:
    return "month" if every == 1 else f"{every} months"


def _ordinal_day(day: str) -> str:
    number, name = day[:-2], day[-2:]
    if name not in DAY_NAMES or not number.lstrip("+-").isdigit() or int(number) not in ORDINALS:
        return ""
    return f"{ORDINALS[int(number)]} {DAY_NAMES[name]}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
