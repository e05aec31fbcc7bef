"""The optional JSON body of a heartbeat ping (DESIGN.md "Interfaces"), parsed and checked at the
door: what passes here can be stored on SQLite and PostgreSQL alike, so no accepted ping can fail
when it is applied. Refused: integers outside 0..2^63-1, text with NUL characters or invalid Unicode
(lone surrogates), times that leave years 1-9999 once their offset is applied, nesting past what
Python's parser allows."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.dateparse import parse_datetime

from monitoring.platforms.contract import MAX_COUNT
from plumbline import storable

MAX_BODY_BYTES = 100 * 1024
MAX_FAILED_RECORDS = 1000
COUNT_FIELDS = ("records_in", "records_out", "records_failed")


class BadPing(ValueError):
    """The body is not the documented JSON; the ping is refused with 400."""


@dataclass(frozen=True)
class PingFailedRecord:
    key: str
    error: str = ""
    occurred_at: dt.datetime | None = None


@dataclass(frozen=True)
class PingBody:
    run_id: str | None = None
    records_in: int | None = None
    records_out: int | None = None
    records_failed: int | None = None
    message: str = ""
    failed_records: list[PingFailedRecord] = field(default_factory=list)

    def to_json(self) -> str:
        """The body as parse_ping_body reads it back (the same PingBody); "" for an empty body."""
        if self == EMPTY_BODY:
            return ""
        data: dict[str, Any] = {"message": self.message} if self.message else {}
        if self.run_id is not None:
            data["run_id"] = self.run_id
        data |= {name: getattr(self, name) for name in COUNT_FIELDS if getattr(self, name) is not None}
        if self.failed_records:
            data["failed_records"] = [
                {"key": r.key, "error": r.error, "occurred_at": r.occurred_at.isoformat() if r.occurred_at else None}
                for r in self.failed_records
            ]
        return json.dumps(data, separators=(",", ":"))


EMPTY_BODY = PingBody()


def parse_ping_body(raw: bytes) -> PingBody:
    """An empty body is an empty PingBody; anything else must be the documented JSON object."""
    if not raw.strip():
        return PingBody()
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadPing("body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPing(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadPing("body must be a JSON object")
    run_id = data.get("run_id")
    if run_id is not None and not (isinstance(run_id, str | int) and not isinstance(run_id, bool) and str(run_id)):
        raise BadPing("run_id must be a non-empty string")
    if run_id is not None:
        _text(str(run_id), "run_id")
    counts = {name: _count(data, name) for name in COUNT_FIELDS}
    message = data.get("message", "")
    if not isinstance(message, str):
        raise BadPing("message must be a string")
    _text(message, "message")
    items = data.get("failed_records", [])
    if not isinstance(items, list):
        raise BadPing("failed_records must be a list")
    if len(items) > MAX_FAILED_RECORDS:
        raise BadPing(f"at most {MAX_FAILED_RECORDS} failed_records per ping")
    return PingBody(
        run_id=None if run_id is None else str(run_id)[:200],
        message=message[:5000],
        failed_records=[_failed_record(item, n) for n, item in enumerate(items)],
        **counts,
    )


def _count(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise BadPing(f"{name} must be an integer from 0 to {MAX_COUNT}")
    return value


def _text(value: str, where: str) -> str:
    """Text both databases can store (no NUL, no lone surrogate)."""
    if found := storable.text_problem(value):
        raise BadPing(f"{where} {found}")
    return value


def _failed_record(item: Any, n: int) -> PingFailedRecord:
    where = f"failed_records[{n}]"
    if not isinstance(item, dict):
        raise BadPing(f"{where} must be an object")
    key, error, occurred = item.get("key"), item.get("error", ""), item.get("occurred_at")
    if not isinstance(key, str | int) or isinstance(key, bool) or str(key) == "":
        raise BadPing(f"{where}.key is required")
    if not isinstance(error, str):
        raise BadPing(f"{where}.error must be a string")
    occurred_at = None if occurred is None else _time(occurred, f"{where}.occurred_at")
    return PingFailedRecord(
        key=_text(str(key), f"{where}.key"), error=_text(error, f"{where}.error"), occurred_at=occurred_at
    )


def _time(value: Any, where: str) -> dt.datetime:
    """An ISO 8601 date-time in UTC (without an offset: UTC), within years 1-9999 once in UTC."""
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadPing(f"{where} must be an ISO 8601 date-time")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    if found := storable.datetime_problem(parsed):
        raise BadPing(f"{where} {found}")
    return parsed.astimezone(dt.UTC)
