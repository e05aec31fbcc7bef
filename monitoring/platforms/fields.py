"""Strict readers for the JSON platforms return: a missing or mistyped field is a PollError naming it.

Health is only as good as what was read, so adapters never guess: a value of the wrong type
stops the poll with a message saying which field of which object was wrong.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from monitoring.platforms.contract import MAX_COUNT, PollError
from plumbline.storable import datetime_problem, stored_as_text


def as_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PollError(f"{what}: expected a JSON object, got {_kind(value)}")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise PollError(f"{what}: expected a JSON array, got {_kind(value)}")
    return value


def required_str(obj: dict[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise PollError(f"{what}: {key} must be a non-empty string")
    return stored_as_text(value)


def required_id(obj: dict[str, Any], key: str, what: str) -> str:
    """An identifier that platforms send as a string or an integer."""
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return required_str(obj, key, what)


def optional_id(obj: dict[str, Any], key: str, what: str) -> str:
    """Like required_id, but "" when absent."""
    return "" if obj.get(key) is None else required_id(obj, key, what)


def optional_str(obj: dict[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PollError(f"{what}: {key} must be a string")
    return stored_as_text(value)


def optional_count(obj: dict[str, Any], key: str, what: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    return count(value, f"{what}: {key}")


def count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PollError(f"{what} must be a non-negative integer")
    if value > MAX_COUNT:
        raise PollError(f"{what} must be at most {MAX_COUNT}")
    return value


def optional_time(obj: dict[str, Any], key: str, what: str) -> dt.datetime | None:
    value = obj.get(key)
    if value is None:
        return None
    return parse_time(value, f"{what}: {key}")


def parse_time(value: Any, what: str) -> dt.datetime:
    """An ISO 8601 timestamp with a timezone ("Z" accepted), as an aware datetime."""
    if not isinstance(value, str):
        raise PollError(f"{what} must be an ISO 8601 timestamp")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise PollError(f"{what} must be an ISO 8601 timestamp, got {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise PollError(f"{what} must include a timezone, got {value[:40]!r}")
    if found := datetime_problem(parsed):  # every database stores it in UTC
        raise PollError(f"{what} {found}, got {value[:40]!r}")
    return parsed


def format_time(value: dt.datetime, *, millis: bool = False) -> str:
    """UTC, ISO 8601 with "Z", as the platforms expect in filters."""
    text = value.astimezone(dt.UTC).isoformat(timespec="milliseconds" if millis else "seconds")
    return text.replace("+00:00", "Z")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
