"""Models to spec documents and back, driven by the field table in schema.py."""

from __future__ import annotations

import functools
from collections.abc import Mapping as MappingABC
from collections.abc import Sequence
from typing import Any

from django.db import models

from catalog.models import Calendar, Integration, Mapping, Person, PlatformAccount, System, ValueMap
from catalog.spec.schema import API_VERSION, KINDS, CleanDocument, Kind

# For each referenced kind: model primary key -> spec key.
RefKeys = MappingABC[str, MappingABC[int, str]]
# For each referenced kind: spec key -> model primary key.
RefPks = MappingABC[str, MappingABC[str, int]]

REF_MODELS: dict[str, type[models.Model]] = {
    "Person": Person,
    "Calendar": Calendar,
    "System": System,
    "PlatformAccount": PlatformAccount,
    "ValueMap": ValueMap,
    "Integration": Integration,
}


def ref_keys(*kinds: str) -> dict[str, dict[int, str]]:
    """pk -> key maps for the given kinds, one query each (cheap next to per-row joins)."""
    result: dict[str, dict[int, str]] = {}
    for kind in kinds:
        attr = KINDS[kind].key_attr
        result[kind] = dict(REF_MODELS[kind]._default_manager.values_list("pk", attr))
    return result


def _export_value(value: Any) -> Any:
    # Hours are stored as floats; 6.0 is written back as 6 so documents stay as authored.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return list(value)
    return value


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


@functools.cache
def _layout(kind_name: str) -> tuple[tuple[str, str, str, Any, bool], ...]:
    """(path, group, name, default, always) of each field of a kind, in spec-format order;
    name is "" for a top-level field (then group is its name)."""
    layout = []
    for spec_field in KINDS[kind_name].fields:
        group, _, name = spec_field.path.partition(".")
        layout.append((spec_field.path, group, name, spec_field.default, spec_field.always))
    return tuple(layout)


def _assemble(
    kind: Kind,
    key: str,
    values: dict[str, Any],
    mapping_rows: list[dict[str, Any]],
    integration_keys: list[str],
) -> dict[str, Any]:
    """A document in spec-format order from values by path, leaving out empty and
    default-valued fields (except those always written)."""
    doc: dict[str, Any] = {"apiVersion": API_VERSION, "kind": kind.name, "key": key}
    for path, group, name, default, always in _layout(kind.name):
        value = values.get(path, default)
        if _is_empty(value) or (value == default and not always):
            continue
        if name:
            doc.setdefault(group, {})[name] = _export_value(value)
        else:
            doc[group] = _export_value(value)
    if mapping_rows:
        # Mappings sit before health, as in spec-format.md.
        health = doc.pop("health", None)
        doc["mappings"] = [_mapping_row(row) for row in mapping_rows]
        if health is not None:
            doc["health"] = health
    if integration_keys:
        doc["integrations"] = list(integration_keys)
    return doc


def _mapping_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("source", "target"):
        if (value := row.get(name, "")) != "":
            out[name] = value
    if row.get("required"):
        out["required"] = True
    for name in ("transform", "value_map", "note"):
        if row.get(name):
            out[name] = row[name]
    return out


def columns(kind: Kind) -> tuple[str, ...]:
    """What to_document reads of a stored object: to read it as a row (values_list(named=True))."""
    names = ["id", kind.key_attr, *(f"{f.attr}_id" if f.ref else f.attr for f in kind.fields)]
    return tuple(dict.fromkeys(names))


def to_document(
    obj: models.Model | Any,
    kind: Kind,
    keys: RefKeys,
    mappings: Sequence[Mapping] | Sequence[Any] | None = None,
    integration_keys: list[str] | None = None,
) -> dict[str, Any]:
    """The spec document of a stored object; `mappings` are its Mapping objects, or rows with
    their fields by name."""
    values: dict[str, Any] = {}
    for spec_field in kind.fields:
        if spec_field.ref:
            pk = getattr(obj, f"{spec_field.attr}_id")
            values[spec_field.path] = keys[spec_field.ref][pk] if pk is not None else None
        elif spec_field.within:
            values[spec_field.path] = (getattr(obj, spec_field.attr) or {}).get(spec_field.within)
        else:
            values[spec_field.path] = getattr(obj, spec_field.attr)
    rows = [
        {
            "source": m.source,
            "target": m.target,
            "required": m.required,
            "transform": m.transform,
            "value_map": m.value_map,
            "note": m.note,
        }
        for m in mappings or []
    ]
    return _assemble(kind, getattr(obj, kind.key_attr), values, rows, integration_keys or [])


def clean_to_document(clean: CleanDocument) -> dict[str, Any]:
    """The document a validated document will export as once applied."""
    return _assemble(clean.kind, clean.key, clean.values, clean.mappings, clean.integrations)


def apply(obj: models.Model, clean: CleanDocument, pks: RefPks) -> None:
    """Set every field of `obj` from a clean document; omitted fields go back to defaults."""
    kind = clean.kind
    setattr(obj, kind.key_attr, clean.key)
    for attr in {f.attr for f in kind.fields if f.within}:
        setattr(obj, attr, {})  # filled below with the parts the document gives
    for spec_field in kind.fields:
        value = clean.values.get(spec_field.path, spec_field.default)
        if spec_field.within:
            if value != spec_field.default:
                getattr(obj, spec_field.attr)[spec_field.within] = value
        elif spec_field.ref:
            setattr(obj, f"{spec_field.attr}_id", pks[spec_field.ref][value] if value is not None else None)
        else:
            setattr(obj, spec_field.attr, list(value) if isinstance(value, list) else value)
