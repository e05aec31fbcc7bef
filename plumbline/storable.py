"""What a value must be for the database to store or compare it, whatever the field.

PostgreSQL refuses NUL in text, UTF-8 cannot encode a lone surrogate, a bigint column holds
64 bits, JSON and float columns hold no infinity, and a time must stay within years 1-9999 once
turned to UTC. Input breaking one of these is the caller's mistake, so every door (the API's
JSON parser, the request middleware, filters, spec checks) asks `problem()` first and answers
400 naming the field, instead of letting the database fail with a 500."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from typing import Any

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# The UTC offsets time zones use: -12:00 (Baker Island) to +14:00 (Kiribati).
MIN_UTC_OFFSET = dt.timedelta(hours=-12)
MAX_UTC_OFFSET = dt.timedelta(hours=14)

_SURROGATE = re.compile("[\ud800-\udfff]")

NUL_MESSAGE = "contains a NUL character (\\u0000), which cannot be stored"
SURROGATE_MESSAGE = "contains invalid Unicode (a lone surrogate such as \\ud800), which cannot be stored"


def text_problem(value: str) -> str | None:
    if "\x00" in value:
        return NUL_MESSAGE
    if _SURROGATE.search(value):
        return SURROGATE_MESSAGE
    return None


def stored_as_text(value: str) -> str:
    """`value` with what no database stores replaced: NUL by U+FFFD, a lone surrogate by "?". For
    text Plumbline observes rather than is given (a platform's run message): kept readable, where
    input it is given is refused instead."""
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    if _SURROGATE.search(value):
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def datetime_problem(value: dt.datetime) -> str | None:
    offset = value.utcoffset()
    if offset is not None and not MIN_UTC_OFFSET <= offset <= MAX_UTC_OFFSET:
        return "has a UTC offset no time zone uses (they run from -12:00 to +14:00)"
    if offset is not None:
        try:
            value.astimezone(dt.UTC)
        except OverflowError:
            return "falls outside the years 1 to 9999 once turned to UTC"
    return None


def problem(value: Any) -> str | None:
    """Why `value` cannot be stored or compared, or None when it can. Containers are not
    looked into: see `problems()`."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            return f"is outside the range a database integer holds ({INT64_MIN} to {INT64_MAX})"
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, dt.datetime):
        return datetime_problem(value)
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def problems(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, message) for every value in a JSON-like tree that cannot be stored; a path reads as
    the importer's field paths do: sync.interval_minutes, mappings[0].target. A field name that
    cannot be stored is reported at the object holding it (with "" for the top level)."""
    stack: list[tuple[str, Any]] = [(path, data)]
    while stack:  # a loop, not recursion: a deeply nested body must not exhaust the stack
        where, value = stack.pop()
        if isinstance(value, dict):
            for name, item in reversed(value.items()):
                name_problem = problem(name) if isinstance(name, str) else None
                if name_problem:
                    yield where, f"has a field name that {name_problem}"
                else:
                    stack.append((_join(where, str(name)), item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{index}]", item) for index, item in reversed(list(enumerate(value))))
        elif found := problem(value):
            yield where, found
