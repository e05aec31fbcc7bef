"""Single-object edits (admin, pages, API) through the same spec rules as import: the
object is turned into its spec document, validated by schema.validate(), and the change is
recorded with before/after documents."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from catalog.completeness import refresh_completeness
from catalog.models import Calendar, ChangeRecord, GoLive, Integration, Person
from catalog.signals import specs_changed
from catalog.spec import documents
from catalog.spec.schema import KINDS, Kind, validate

KIND_OF_MODEL: dict[type[models.Model], Kind] = {kind.model: kind for kind in KINDS.values()}


def kind_of(obj: models.Model) -> Kind | None:
    return KIND_OF_MODEL.get(type(obj))


def instance_keys(obj: models.Model, kind: Kind) -> dict[str, dict[int, str]]:
    """pk -> key for just the objects this one references."""
    keys: dict[str, dict[int, str]] = defaultdict(dict)
    for spec_field in kind.fields:
        if spec_field.ref:
            related = getattr(obj, spec_field.attr)
            if related is not None:
                keys[spec_field.ref][related.pk] = getattr(related, KINDS[spec_field.ref].key_attr)
    return keys


def document_of(obj: models.Model) -> dict[str, Any] | None:
    """The current spec document of a stored or unsaved object (mappings/scope as stored)."""
    kind = kind_of(obj)
    if kind is None:
        return None
    keys = instance_keys(obj, kind)
    if isinstance(obj, Integration) and obj.pk:
        return documents.to_document(obj, kind, keys, mappings=list(obj.mappings.all()))
    if isinstance(obj, GoLive) and obj.pk:
        scope = [row.integration.key for row in obj.scope.select_related("integration")]
        return documents.to_document(obj, kind, keys, integration_keys=scope)
    return documents.to_document(obj, kind, keys)


def field_errors(obj: models.Model) -> dict[str, list[str]]:
    """Spec rule violations of an object, by model attribute ("__all__" when unmapped)."""
    kind = kind_of(obj)
    doc = document_of(obj)
    if kind is None or doc is None:
        return {}
    _, errors = validate(kind.name, doc)
    attr_of = {f.path: f.attr for f in kind.fields} | {"key": kind.key_attr}
    found: dict[str, list[str]] = defaultdict(list)
    for path, message in errors:
        if path in attr_of:
            found[attr_of[path]].append(message)
        elif (whole := path.split("[", 1)[0]) in attr_of:
            # A part of a list field (freeze[0].to): said at the field, naming the part.
            found[attr_of[whole]].append(f"{path}: {message}")
        else:
            found["__all__"].append(message)
    if not errors and (named := {p.get("calendar") for p in doc.get("freeze", [])} - {None}):
        # A freeze names its calendar by key inside the list: no relation checks it.
        known = set(Calendar.objects.filter(key__in=named).values_list("key", flat=True))
        found["freeze"] += [f"unknown calendar {key!r}" for key in sorted(named - known)]
    return dict(found)


def record_change(
    obj: models.Model,
    before: dict[str, Any] | None,
    *,
    actor: Any,
    via: str,
    note: str = "",
) -> ChangeRecord | None:
    """Record a saved change (None when the document did not change) and refresh what
    depends on specs once the transaction commits."""
    kind = kind_of(obj)
    after = document_of(obj)
    if kind is None or after == before:
        return None
    record = ChangeRecord.objects.create(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        via=via,
        kind=kind.name,
        key=getattr(obj, kind.key_attr),
        action=ChangeRecord.Action.CREATE if before is None else ChangeRecord.Action.UPDATE,
        before=before,
        after=after,
        note=note,
    )
    _refresh_completeness_of(obj)
    transaction.on_commit(lambda: specs_changed.send(sender=ChangeRecord, report=None))
    return record


def _refresh_completeness_of(obj: models.Model) -> None:
    # Completeness reads the integration, its mappings and its owner's activity.
    if isinstance(obj, Integration):
        refresh_completeness(Integration.objects.filter(pk=obj.pk))
    elif isinstance(obj, Person):
        refresh_completeness(Integration.objects.filter(owner=obj))


def record_deletion(obj: models.Model, before: dict[str, Any] | None, *, actor: Any, via: str) -> None:
    kind = kind_of(obj)
    if kind is None:
        return
    ChangeRecord.objects.create(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        via=via,
        kind=kind.name,
        key=getattr(obj, kind.key_attr),
        action=ChangeRecord.Action.DELETE,
        before=before,
        after=None,
    )
    transaction.on_commit(lambda: specs_changed.send(sender=ChangeRecord, report=None))
