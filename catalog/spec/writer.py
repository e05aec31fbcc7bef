"""Writing validated spec documents: upsert by (kind, key) kind by kind, recording every change
with before/after documents and each integration's completeness. Called by the importer inside
one transaction; a dry run compares and reports without writing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from catalog.completeness import assess, encode_missing, open_lookups, refresh_completeness
from catalog.models import (
    ChangeRecord,
    GoLive,
    GoLiveIntegration,
    Integration,
    Mapping,
    Person,
    System,
    SystemVersion,
)
from catalog.models.systems import version_change
from catalog.rows import insert_prepared, insert_rows, is_plain
from catalog.signals import specs_changed
from catalog.spec import documents
from catalog.spec.loader import RawDocument
from catalog.spec.provenance import Provenance, import_note, last_changes
from catalog.spec.schema import KINDS, WRITE_ORDER, CleanDocument, Kind

CHUNK = 2000


@dataclass
class ImportReport:
    created: list[tuple[str, str]] = field(default_factory=list)
    updated: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False
    # Updated documents whose last change was made in the app (page, API, admin): this import replaces it.
    overwrites: list[Provenance] = field(default_factory=list)

    def summary(self) -> str:
        would = "would be " if self.dry_run else ""
        return (
            f"{len(self.created)} {would}created, {len(self.updated)} {would}updated, {len(self.unchanged)} unchanged"
        )


@dataclass
class Entry:
    clean: CleanDocument
    raw: RawDocument | None


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stored_objects(kind: Kind, keys: Sequence[str], related: Sequence[str] = ()) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for chunk in chunks(list(keys)):
        queryset = kind.model._default_manager.filter(**{f"{kind.key_attr}__in": chunk})
        if related:
            queryset = queryset.prefetch_related(*related)
        found.update({getattr(obj, kind.key_attr): obj for obj in queryset})
    return found


def insert_objects(objs: Sequence[models.Model]) -> None:
    """INSERT new objects of one model as plain rows, without reading their primary keys back:
    what bulk_create does, less its per-value SQL compiling, which costs more than the database
    on a big import. Field values are prepared as bulk_create prepares them (pre_save, then
    get_db_prep_save), so dates, JSON and defaults are stored the same; plain fields (text,
    numbers, booleans) need no preparing and are read as they are."""
    if not objs:
        return
    meta = type(objs[0])._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    plain = [f.attname for f in fields if is_plain(f)]
    prepared = [f for f in fields if not is_plain(f)]
    rows = [
        [
            *(getattr(obj, name) for name in plain),
            *(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in prepared),
        ]
        for obj in objs
    ]
    insert_prepared(type(objs[0]), [*plain, *(f.attname for f in prepared)], rows)


class Writer:
    """Upserts clean documents kind by kind, recording changes and the report."""

    def __init__(self, *, dry_run: bool, actor: Any, via: str) -> None:
        self.dry_run = dry_run
        self.actor = actor
        self.via = via
        self.now = timezone.now()
        self.report = ImportReport(dry_run=dry_run)
        self.changes: list[tuple[Any, ...]] = []  # ChangeRecord rows, CHANGE_COLUMNS
        self.pks: dict[str, dict[str, int]] = {}
        self.sources: dict[tuple[str, str], str] = {}  # (kind, key) -> the file an imported document came from

    def _load_pks(self, kind_name: str) -> None:
        kind = KINDS[kind_name]
        self.pks[kind_name] = dict(kind.model._default_manager.values_list(kind.key_attr, "pk"))

    def run(self, entries: list[Entry]) -> ImportReport:
        by_kind: dict[str, list[CleanDocument]] = defaultdict(list)
        for entry in entries:
            by_kind[entry.clean.kind.name].append(entry.clean)
            if entry.raw is not None and self.via == ChangeRecord.Via.IMPORT:
                self.sources[(entry.clean.kind.name, entry.clean.key)] = entry.raw.source
        keys = documents.ref_keys("Person", "Calendar", "System", "PlatformAccount", "Integration")
        if not self.dry_run:
            for ref in documents.REF_MODELS:
                self._load_pks(ref)
        for kind_name in WRITE_ORDER:
            self._upsert(KINDS[kind_name], by_kind.get(kind_name, []), keys)
            if not self.dry_run and kind_name in documents.REF_MODELS:
                # Later kinds reference this one, whose new keys now have pks.
                self._load_pks(kind_name)
        if self.via == ChangeRecord.Via.IMPORT:
            self._note_overwrites()
        if not self.dry_run:
            insert_rows(ChangeRecord, CHANGE_COLUMNS, self.changes)
            self._refresh_owned_by_changed_people()
        return self.report

    def _note_overwrites(self) -> None:
        """The updated documents last changed in the app, read before this import's records are written."""
        keys_by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, key in self.report.updated:
            keys_by_kind[kind].append(key)
        for kind, keys in keys_by_kind.items():
            last = last_changes(kind, keys)
            self.report.overwrites += [last[key] for key in keys if key in last and last[key].in_app]

    def _refresh_owned_by_changed_people(self) -> None:
        # Imported integrations got their completeness while written; the one outside input
        # is whether the owner is active, which a Person document of this import may change.
        # A person this import created owns no integration but those it wrote.
        emails = [key for kind, key in self.report.updated if kind == "Person"]
        for chunk in chunks(emails):
            refresh_completeness(Integration.objects.filter(owner__email__in=chunk))

    def _assess(self, integrations: list[tuple[Any, CleanDocument]]) -> None:
        """Store each written integration's completeness, computed from its document."""
        people = Person.objects.in_bulk([obj.owner_id for obj, _ in integrations if obj.owner_id])
        for obj, clean in integrations:
            obj.owner = people.get(obj.owner_id) if obj.owner_id else None
            has_mapping = any(row.get("source") and row.get("target") for row in clean.mappings)
            result = assess(obj, has_complete_mapping=has_mapping, open_lookups=open_lookups(clean.mappings))
            obj.completeness_score = result.score
            obj.completeness_missing = encode_missing(result.missing)

    def _upsert(self, kind: Kind, cleans: list[CleanDocument], keys: documents.RefKeys) -> None:
        # Stored documents are compared as rows; only those this import changes are loaded as objects.
        stored = stored_documents(kind, [c.key for c in cleans], keys)
        created: list[tuple[models.Model, CleanDocument]] = []
        changed: list[tuple[CleanDocument, dict[str, Any]]] = []
        for clean in cleans:
            new_doc = documents.clean_to_document(clean)
            old_doc = stored.get(clean.key)
            if old_doc is None:
                created.append((kind.model(), clean))
                self._record("create", clean, None, new_doc)
            elif old_doc == new_doc:
                self.report.unchanged.append((kind.name, clean.key))
            else:
                changed.append((clean, old_doc))
                self._record("update", clean, old_doc, new_doc)
        if self.dry_run:
            return
        objects = stored_objects(kind, [clean.key for clean, _ in changed])
        self._write(kind, created, [(objects[clean.key], clean, old_doc) for clean, old_doc in changed])

    def _record(self, action: str, clean: CleanDocument, before: Any, after: Any) -> None:
        bucket = self.report.created if action == "create" else self.report.updated
        bucket.append((clean.kind.name, clean.key))
        if not self.dry_run:
            note = import_note(source) if (source := self.sources.get((clean.kind.name, clean.key))) else ""
            actor_id = self.actor.pk if self.actor is not None else None
            self.changes.append((self.now, actor_id, self.via, clean.kind.name, clean.key, action, before, after, note))

    def _write(
        self,
        kind: Kind,
        created: list[tuple[models.Model, CleanDocument]],
        updated: list[tuple[models.Model, CleanDocument, dict[str, Any]]],
    ) -> None:
        self_ref = kind.name == "Person"
        pks = self.pks
        if self_ref:
            # Managers may be people created by this same import: link them in a second pass.
            pks = {**self.pks, "Person": _OrNone(self.pks["Person"])}
        old_versions = {obj.pk: obj.version for obj, _, _ in updated if isinstance(obj, System)}
        for obj, clean in created:
            documents.apply(obj, clean, pks)
        for obj, clean, _ in updated:
            documents.apply(obj, clean, pks)
            obj.updated_at = self.now  # type: ignore[attr-defined]
        columns = [*dict.fromkeys(f.attr for f in kind.fields), "updated_at"]  # parts of one JSON attr once
        if kind.name == "Integration":
            self._assess([*created, *((obj, clean) for obj, clean, _ in updated)])
            columns += ["completeness_score", "completeness_missing"]
        if kind.name == "ValueMap":
            for obj, clean in [*created, *((obj, clean) for obj, clean, _ in updated)]:
                obj.row_count = len(clean.values.get("rows", []))  # type: ignore[attr-defined]
            columns.append("row_count")
        self._insert_created(kind, [obj for obj, _ in created])
        kind.model._default_manager.bulk_update([obj for obj, _, _ in updated], columns, batch_size=500)
        pairs = [(obj, clean) for obj, clean in created] + [(obj, clean) for obj, clean, _ in updated]
        if self_ref:
            self._load_pks("Person")
            for obj, clean in pairs:
                documents.apply(obj, clean, self.pks)
            kind.model._default_manager.bulk_update([obj for obj, _ in pairs], ["manager"], batch_size=500)
        if kind.name == "System":
            self._record_versions(created, updated, old_versions)
        if kind.name == "Integration":
            self._replace_children(Mapping, "integration", pairs, _mapping_rows, updated)
        if kind.name == "GoLive":
            self._replace_children(GoLiveIntegration, "golive", pairs, self._scope_rows, updated)

    def _insert_created(self, kind: Kind, objs: list[models.Model]) -> None:
        """Insert new documents' rows, then give each object its primary key, read back by key
        (one query, where returning them from thousands of small INSERTs costs far more)."""
        insert_objects(objs)
        if not objs:
            return
        pks = dict(kind.model._default_manager.values_list(kind.key_attr, "pk"))
        for obj in objs:
            obj.pk = pks[getattr(obj, kind.key_attr)]
            obj._state.adding = False
            obj._state.db = connection.alias

    def _scope_rows(self, golive: GoLive, clean: CleanDocument) -> list[tuple[Any, ...]]:
        integration_pks = self.pks["Integration"]
        return [(golive.pk, integration_pks[key], index) for index, key in enumerate(clean.integrations)]

    def _replace_children(self, model: Any, parent: str, pairs: list[Any], build: Any, updated: list[Any]) -> None:
        # Only an updated parent has children to delete: a created one is new to the database.
        for chunk in chunks([obj.pk for obj, _, _ in updated]):
            model._default_manager.filter(**{f"{parent}__in": chunk}).delete()
        names = CHILD_COLUMNS[model]
        insert_rows(model, names, [row for obj, clean in pairs for row in build(obj, clean)])

    def _record_versions(self, created: list[Any], updated: list[Any], old: dict[int, str]) -> None:
        rows: list[SystemVersion] = []
        changed_major: list[System] = []
        for system, previous in [(system, "") for system, _ in created] + [(s, old[s.pk]) for s, _, _ in updated]:
            if row := version_change(system, previous, self.now):
                rows.append(row)
                if row.major_change:
                    changed_major.append(system)
        SystemVersion.objects.bulk_create(rows, batch_size=1000)
        System.objects.bulk_update(changed_major, ["major_version_changed_at"])


# The columns of the ChangeRecord rows Writer._record gives.
CHANGE_COLUMNS = ("at", "actor_id", "via", "kind", "key", "action", "before", "after", "note")
MAPPING_FIELDS = ("source", "target", "required", "transform", "value_map", "note")
MAPPING_DEFAULTS = {"source": "", "target": "", "required": False, "transform": "", "value_map": "", "note": ""}
# The columns of the child rows an import writes, in the order _mapping_rows and _scope_rows give them.
CHILD_COLUMNS: dict[Any, tuple[str, ...]] = {
    Mapping: ("integration_id", "position", *MAPPING_FIELDS),
    GoLiveIntegration: ("golive_id", "integration_id", "position"),
}


def _mapping_rows(integration: Integration, clean: CleanDocument) -> list[tuple[Any, ...]]:
    """An integration's mappings as rows of CHILD_COLUMNS[Mapping], in the document's order."""
    return [
        (integration.pk, index, *(row.get(name, MAPPING_DEFAULTS[name]) for name in MAPPING_FIELDS))
        for index, row in enumerate(clean.mappings)
    ]


class _OrNone(dict[str, Any]):
    """A key -> pk map answering None for keys not written yet."""

    def __missing__(self, key: str) -> None:
        return None


def stored_documents(kind: Kind, keys: Sequence[str], ref_keys: documents.RefKeys) -> dict[str, dict[str, Any]]:
    """key -> document of the stored objects of a kind with those keys, read as plain rows (a
    re-import of a big estate compares thousands; model instances would cost more than the rest)."""
    found: dict[str, dict[str, Any]] = {}
    columns = documents.columns(kind)
    for chunk in chunks(list(keys)):
        rows = kind.model._default_manager.filter(**{f"{kind.key_attr}__in": chunk}).order_by()
        rows_by_pk = {row.id: row for row in rows.values_list(*columns, named=True)}
        children: dict[int, list[Any]] = defaultdict(list)
        if kind.name == "Integration":
            mappings = Mapping.objects.filter(integration_id__in=rows_by_pk).order_by("integration_id", "position")
            for mapping in mappings.values_list("integration_id", *MAPPING_FIELDS, named=True):
                children[mapping.integration_id].append(mapping)
        elif kind.name == "GoLive":
            scope = GoLiveIntegration.objects.filter(golive_id__in=rows_by_pk).order_by("golive_id", "position")
            integration_keys = ref_keys["Integration"]
            for golive_id, integration_id in scope.values_list("golive_id", "integration_id"):
                children[golive_id].append(integration_keys[integration_id])
        for pk, row in rows_by_pk.items():
            if kind.name == "Integration":
                doc = documents.to_document(row, kind, ref_keys, mappings=children[pk])
            elif kind.name == "GoLive":
                doc = documents.to_document(row, kind, ref_keys, integration_keys=children[pk])
            else:
                doc = documents.to_document(row, kind, ref_keys)
            found[getattr(row, kind.key_attr)] = doc
    return found


def apply_entries(entries: list[Entry], *, dry_run: bool, actor: Any, via: str) -> ImportReport:
    with transaction.atomic():
        report = Writer(dry_run=dry_run, actor=actor, via=via).run(entries)
        if not dry_run and (report.created or report.updated):
            transaction.on_commit(lambda: specs_changed.send(sender=ImportReport, report=report))
    return report
