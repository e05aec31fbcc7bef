"""The change history of a spec document as readable diffs: field path: before → after."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from catalog.models import ChangeRecord

# Every document carries these; they never differ between two versions of one document.
_FRAME = frozenset({"apiVersion", "kind", "key"})
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class HistoryEntry:
    record: ChangeRecord
    changes: list[FieldChange]


def flatten(doc: dict[str, Any] | None) -> dict[str, Any]:
    """A spec document as {dotted path: value}; mappings as mappings[0].source, ...;
    lists of plain values (data_objects, notify) stay whole so they read as one value."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for name, sub in value.items():
                walk(f"{prefix}.{name}" if prefix else str(name), sub)
        elif isinstance(value, list) and any(isinstance(item, dict) for item in value):
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        else:
            flat[prefix] = value

    for name, value in (doc or {}).items():
        if name not in _FRAME:
            walk(name, value)
    return flat


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[FieldChange]:
    """Changed, added and removed fields in document order (after's order, then removals)."""
    old, new = flatten(before), flatten(after)
    changes = [FieldChange(path, old.get(path), value) for path, value in new.items() if old.get(path) != value]
    changes += [FieldChange(path, value, None) for path, value in old.items() if path not in new]
    return changes


def history_of(kind: str, key: str, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The newest changes of one document, with their diffs (one query)."""
    records = ChangeRecord.objects.filter(kind=kind, key=key).select_related("actor")[:limit]
    return entries(records)


def entries(records: Iterable[ChangeRecord]) -> list[HistoryEntry]:
    return [HistoryEntry(record, diff(record.before, record.after)) for record in records]
