"""What a change record changed: the differing fields of its before/after documents."""

from __future__ import annotations

from typing import Any, TypedDict


class FieldChange(TypedDict):
    field: str
    before: Any
    after: Any


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    # Groups become dotted paths, lists of sub-documents indexed paths: mappings[0].target.
    if isinstance(value, dict) and (value or not path):
        for name, item in value.items():
            _flatten(item, f"{path}.{name}" if path else str(name), out)
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        for index, item in enumerate(value):
            _flatten(item, f"{path}[{index}]", out)
    else:
        out[path] = value


def flatten(document: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _flatten(document or {}, "", out)
    return out


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[FieldChange]:
    """Every field path whose value differs, in document order; absent is None."""
    old, new = flatten(before), flatten(after)
    paths = list(old) + [path for path in new if path not in old]
    order = {path: index for index, path in enumerate(new)}
    paths.sort(key=lambda path: order.get(path, len(order)))
    return [
        FieldChange(field=path, before=old.get(path), after=new.get(path))
        for path in paths
        if old.get(path) != new.get(path)
    ]
