"""A System document's `maintenance:` list: recurring windows the spec manages (docs/spec-format.md,
"Maintenance windows"). Each entry is checked by plumbline.recurrence, exactly as a window planned on the
system's maintenance page is; an error names the entry and its field ("maintenance[0].rrule")."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from catalog.spec import checks
from catalog.spec.checks import Invalid
from plumbline.recurrence import EPOCH, Recurrence, RecurrenceError, recurrence

ENTRIES_MAX = 50
ENTRY_FIELDS = ("rrule", "start", "duration_minutes", "timezone", "reason")
REQUIRED = ("rrule", "start", "duration_minutes", "timezone")
START_RE = re.compile(r"^(?:(\d{4}-\d{2}-\d{2})[T ])?(\d{2}):(\d{2})$")
# The part of the rule a RecurrenceError is about, to name the field at fault.
_FIELD_OF_PROBLEM = (
    ("duration", "duration_minutes"),
    ("unknown time zone", "timezone"),
    ("COUNT needs a start", "start"),
)


def parse_start(value: str) -> dt.time | dt.datetime:
    """ "02:00" or "2027-01-03T02:00" (local wall time); Invalid otherwise."""
    found = START_RE.match(value)
    if not found:
        raise Invalid('must be a local time "HH:MM", or "YYYY-MM-DDTHH:MM" to count the rule from that day')
    day, hour, minute = found.groups()
    try:
        time = dt.time(int(hour), int(minute))
        return dt.datetime.combine(dt.date.fromisoformat(day), time) if day else time
    except ValueError as error:
        raise Invalid(f"is not a real time: {error}") from None


def entry_recurrence(entry: dict[str, Any]) -> Recurrence:
    """The Recurrence of an entry, every check of plumbline.recurrence made (RecurrenceError)."""
    return recurrence(entry["rrule"], parse_start(entry["start"]), entry["duration_minutes"], entry["timezone"])


def stored_recurrence(entry: dict[str, Any]) -> Recurrence:
    """The Recurrence of an entry checked when imported: read many times, checked once."""
    start = parse_start(entry["start"])
    wall = start if isinstance(start, dt.datetime) else dt.datetime.combine(EPOCH, start)
    return Recurrence(entry["rrule"], wall, dt.timedelta(minutes=entry["duration_minutes"]), entry["timezone"])


def _entry(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise Invalid("must be a mapping with rrule, start, duration_minutes and timezone", at=where)
    for name in item:
        if name not in ENTRY_FIELDS:
            raise Invalid(f"unknown field (known: {', '.join(ENTRY_FIELDS)})", at=f"{where}.{name}")
    for name in REQUIRED:
        if item.get(name) is None:
            raise Invalid("is required", at=f"{where}.{name}")
    clean: dict[str, Any] = {}
    for name, check in (("rrule", checks.text(500)), ("start", checks.text(20)), ("timezone", checks.text(64))):
        try:
            clean[name] = check(item[name]).strip()
        except Invalid as error:
            raise Invalid(str(error), at=f"{where}.{name}") from None
    try:
        clean["duration_minutes"] = checks.positive_integer(item["duration_minutes"])
    except Invalid as error:
        raise Invalid(str(error), at=f"{where}.duration_minutes") from None
    try:
        parse_start(clean["start"])
    except Invalid as error:
        raise Invalid(str(error), at=f"{where}.start") from None
    if item.get("reason") not in (None, ""):
        try:
            clean["reason"] = checks.text(300)(item["reason"])
        except Invalid as error:
            raise Invalid(str(error), at=f"{where}.reason") from None
    try:
        entry_recurrence(clean)
    except RecurrenceError as error:
        field = next((name for words, name in _FIELD_OF_PROBLEM if str(error).startswith(words)), "rrule")
        raise Invalid(str(error), at=f"{where}.{field}") from None
    return clean


def maintenance_list(value: Any) -> list[dict[str, Any]]:
    """The clean entries, fields in document order; Invalid names the entry and field at fault."""
    if not isinstance(value, list):
        raise Invalid("must be a list of windows (rrule, start, duration_minutes, timezone, reason)")
    if len(value) > ENTRIES_MAX:
        raise Invalid(f"must list at most {ENTRIES_MAX} windows")
    return [_entry(item, f"[{index}]") for index, item in enumerate(value)]
