"""Spec-as-code export: the stored estate as plumbline/v1 files that import back unchanged."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from catalog.models import (
    Calendar,
    DataObject,
    GoLive,
    Integration,
    Mapping,
    Person,
    PlatformAccount,
    System,
    ValueMap,
)
from catalog.spec import documents
from catalog.spec.emitter import WIDTH, emit_document
from catalog.spec.loader import RememberedTags
from catalog.spec.schema import KINDS
from catalog.spec.writer import chunks

try:
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]

_STR = "tag:yaml.org,2002:str"


class _Dumper(RememberedTags, _BaseDumper):
    """The safe dumper, quicker at what an estate is mostly made of: text."""

    def represent_data(self, data: Any) -> yaml.Node:
        # What SafeRepresenter makes of text (no anchor, no style), less its generic lookups.
        if type(data) is str:
            return yaml.ScalarNode(_STR, data)
        return super().represent_data(data)


MAPPING_COLUMNS = ("source", "target", "required", "transform", "value_map", "note")
HEADER = "# Exported by Plumbline (plumbline/v1). Edit and re-import with manage.py import_specs.\n"


DUMP_OPTIONS: dict[str, Any] = {
    "Dumper": _Dumper,
    "sort_keys": False,
    "allow_unicode": True,
    "default_flow_style": False,
    "explicit_start": False,
    "width": WIDTH,
}


def dump_documents(docs: list[dict[str, Any]]) -> str:
    """The documents as one YAML stream; each written by the emitter where it can, else by PyYAML
    (the two write the same bytes)."""
    return "---\n".join(emit_document(doc) or yaml.dump(doc, **DUMP_OPTIONS) for doc in docs)


def pyyaml_dump_documents(docs: list[dict[str, Any]]) -> str:
    """The documents as PyYAML alone writes them: what dump_documents must equal."""
    return yaml.dump_all(docs, **DUMP_OPTIONS)


def iter_documents() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(relative file name, documents) for the whole estate, with a handful of queries."""
    keys = documents.ref_keys("Person", "Calendar", "System", "PlatformAccount", "Integration")
    simple = (
        ("people.yaml", Person, "Person"),
        ("calendars.yaml", Calendar, "Calendar"),
        ("systems.yaml", System, "System"),
        ("data-objects.yaml", DataObject, "DataObject"),
        ("platform-accounts.yaml", PlatformAccount, "PlatformAccount"),
        ("value-maps.yaml", ValueMap, "ValueMap"),  # rows inline: the export is one folder of YAML
    )
    for name, model, kind_name in simple:
        kind = KINDS[kind_name]
        docs = [documents.to_document(obj, kind, keys) for obj in model._default_manager.order_by(kind.key_attr)]
        if docs:
            yield name, docs
    kind = KINDS["Integration"]
    # A chunk of integrations at a time, they and their mappings as plain rows (model instances
    # cost more than the rest of the export).
    columns = documents.columns(kind)
    for chunk in chunks(list(Integration.objects.order_by("key").values_list("pk", flat=True))):
        integrations = {
            row.id: row for row in Integration.objects.filter(pk__in=chunk).values_list(*columns, named=True)
        }
        mappings: dict[int, list[Any]] = {pk: [] for pk in chunk}
        rows = Mapping.objects.filter(integration_id__in=chunk).order_by("integration_id", "position")
        for row in rows.values_list("integration_id", *MAPPING_COLUMNS, named=True):
            mappings[row.integration_id].append(row)
        for pk in chunk:
            integration = integrations[pk]
            doc = documents.to_document(integration, kind, keys, mappings=mappings[pk])
            yield f"integrations/{integration.key}.yaml", [doc]
    kind = KINDS["GoLive"]
    golives = GoLive.objects.order_by("key").prefetch_related("scope__integration")
    docs = [
        documents.to_document(g, kind, keys, integration_keys=[row.integration.key for row in g.scope.all()])
        for g in golives
    ]
    if docs:
        yield "golives.yaml", docs


@dataclass
class ExportReport:
    files: int
    documents: int
    # Files an earlier export wrote that this one did not (their documents are gone from the
    # estate): re-importing the folder would bring those back. Deleted when pruning.
    stale: list[Path] = field(default_factory=list)


def export_to(directory: str | Path, *, prune: bool = False) -> ExportReport:
    """Write the estate below `directory` (created if needed); files of ours are overwritten, and
    with `prune` our files of documents no longer in the estate are deleted (never a file that does
    not start with our header)."""
    root = Path(directory)
    (root / "integrations").mkdir(parents=True, exist_ok=True)
    written: set[Path] = set()
    count = 0
    for name, docs in iter_documents():
        path = root / name
        _write(path, (HEADER + dump_documents(docs)).encode("utf-8"))
        written.add(path)
        count += len(docs)
    stale = _exported_files(root, leaving_out=written)
    if prune:
        for path in stale:
            path.unlink()
    return ExportReport(files=len(written), documents=count, stale=stale)


def _write(path: Path, data: bytes) -> None:
    """Path.write_bytes without O_TRUNC: the file is written over, then cut to the new length.
    Opening with O_TRUNC makes ext4 (auto_da_alloc) flush the file's blocks when it is closed, new
    file or not; for 10,000 small files that was 6 s of the export's 9 (bench/import_bench.py)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def _exported_files(root: Path, leaving_out: set[Path]) -> list[Path]:
    """The files below `root` an export wrote (where exports write, starting with our header),
    but those left out (this export's own, which need no reading)."""
    found = []
    for path in sorted([*root.glob("*.yaml"), *(root / "integrations").glob("*.yaml")]):
        if path in leaving_out:
            continue
        with path.open(encoding="utf-8", errors="replace") as file:
            if file.readline() == HEADER:
                found.append(path)
    return found
