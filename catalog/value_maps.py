"""What is done to a value map outside import: marking it reviewed, replacing its rows from an
uploaded CSV, and which mapping rows translate by it. Each write is recorded in the history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.models import ChangeRecord, Mapping, ValueMap
from catalog.spec.edits import document_of, record_change
from catalog.spec.value_rows import Row

REVIEW_NOTE = "rows confirmed still accurate"


@transaction.atomic
def confirm_review(
    value_map: ValueMap, user: Any, today: dt.date | None = None, *, via: str = ChangeRecord.Via.PAGE
) -> ChangeRecord | None:
    """reviewed_at becomes today, recorded in the history (None when already reviewed today).
    Who may do it (the owner or an admin) is the caller's check."""
    locked = ValueMap.objects.select_for_update().get(pk=value_map.pk)
    before = document_of(locked)
    locked.reviewed_at = today or timezone.localdate()
    locked.save(update_fields=["reviewed_at", "updated_at"])
    return record_change(locked, before, actor=user, via=via, note=REVIEW_NOTE)


@transaction.atomic
def replace_rows(value_map: ValueMap, rows: list[Row], user: Any, *, file_name: str) -> ChangeRecord | None:
    """All rows replaced by a checked upload, recorded in the history (None when they are the same)."""
    locked = ValueMap.objects.select_for_update().get(pk=value_map.pk)
    before = document_of(locked)
    locked.rows = rows
    locked.save(update_fields=["rows", "updated_at"])
    note = f"rows replaced from {file_name[:200]}"
    return record_change(locked, before, actor=user, via=ChangeRecord.Via.PAGE, note=note)


def stale_by_owner(today: dt.date, review_days: int) -> dict[str, list[ValueMap]]:
    """Owner email -> their value maps due for review (the STALE_SPEC boundary), in one query."""
    due = Q(reviewed_at=None) | Q(reviewed_at__lt=today - dt.timedelta(days=review_days))
    found: dict[str, list[ValueMap]] = {}
    for value_map in ValueMap.objects.filter(due, owner__isnull=False).select_related("owner").defer("rows"):
        assert value_map.owner is not None
        found.setdefault(value_map.owner.email, []).append(value_map)
    return found


def mappings_using(key: str) -> QuerySet[Mapping]:
    """The mapping rows that translate by this value map, integration by integration."""
    return Mapping.objects.filter(value_map=key).select_related("integration").order_by("integration__key", "position")


@dataclass(frozen=True)
class MappingRow:
    """A mapping as the integration page shows it: with the value map it names (None when it names
    none, or one that is not stored) and whether that map is stale."""

    mapping: Mapping
    value_map: ValueMap | None
    stale: bool


def with_value_maps(mappings: list[Mapping], today: dt.date, review_days: int) -> list[MappingRow]:
    """Each mapping with its value map, read in one query (none when no mapping names one)."""
    keys = {m.value_map for m in mappings if m.value_map}
    found = {vm.key: vm for vm in ValueMap.objects.defer("rows").filter(key__in=keys)} if keys else {}
    rows = []
    for mapping in mappings:
        value_map = found.get(mapping.value_map)
        stale = value_map is not None and value_map.is_stale(today, review_days)
        rows.append(MappingRow(mapping, value_map, stale))
    return rows
