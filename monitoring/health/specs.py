"""Keeping the state rows in step with the specs: created for newly monitored integrations, changed
(and their state settled at once) when a spec changes what they copy, deleted when an integration
is no longer monitored. Run after every import and spec edit (catalog.signals.specs_changed)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from catalog.choices import PULLED_HEALTH_KINDS
from catalog.models import Integration
from catalog.rows import insert_rows
from monitoring.health.pipeline import resettle
from monitoring.health.sources import (
    LOCKED,
    SPEC_FIELDS,
    ScheduleBook,
    is_monitored,
    next_poll_at,
    poll_every,
    spec_values,
)
from monitoring.models import HealthSource


@dataclass
class SyncReport:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    deleted: int = 0


# What is_monitored and spec_values read of an integration.
INTEGRATION_FIELDS = (
    "id",
    "lifecycle",
    "health_kind",
    "health_grace_minutes",
    "sync_trigger",
    "interval_minutes",
    "max_latency_minutes",
    "min_records_per_run",
    "key",
    "sync_schedule",
    "sync_timezone",
    "sync_calendar_id",
    "freeze",
    "source_id",
    "target_id",
)
NEW_SOURCE_COLUMNS = ("integration_id", *SPEC_FIELDS, "next_poll_at")


def sync_sources(keys: Iterable[str] | None = None, now: dt.datetime | None = None) -> SyncReport:
    """Create, update or delete health sources to match the specs (all, or the integrations named).
    Integrations and sources are read as plain rows: after a big import this compares thousands."""
    now = now or timezone.now()
    integrations = Integration.objects.order_by()
    sources = HealthSource.objects.order_by()
    if keys is not None:
        keys = list(keys)
        integrations = integrations.filter(key__in=keys)
        sources = sources.filter(integration__key__in=keys)
    existing = {row[0]: (row[1], row[2:]) for row in sources.values_list("integration_id", "pk", *SPEC_FIELDS)}
    report = SyncReport()
    gone = []
    new: list[tuple[Any, ...]] = []
    every: dict[int | None, dt.timedelta] = {}
    book = ScheduleBook.load()
    for row in integrations.values_list(*INTEGRATION_FIELDS, named=True):
        integration = cast(Integration, row)  # a row holding every field the two below read
        source = existing.get(row.id)
        if not is_monitored(integration):
            if source:
                gone.append(source[0])
            continue
        values = spec_values(integration, book)
        if source is None:
            first_poll = None
            if values["kind"] in PULLED_HEALTH_KINDS:
                interval = values["interval_minutes"]
                if interval not in every:
                    every[interval] = poll_every(HealthSource(interval_minutes=interval))
                # Spread first polls over one poll interval.
                first_poll = now + every[interval] * random.random()
            new.append((row.id, *(values[name] for name in SPEC_FIELDS), first_poll))
        elif source[1] != tuple(values[name] for name in SPEC_FIELDS):
            _apply_spec(source[0], values, now)
            report.updated.append(row.id)
    insert_rows(HealthSource, NEW_SOURCE_COLUMNS, new, ignore_conflicts=True)
    report.created = [row[0] for row in new]
    if gone:
        report.deleted, _ = HealthSource.objects.filter(pk__in=gone).delete()
    return report


def _apply_spec(pk: int, values: dict[str, Any], now: dt.datetime) -> None:
    """A changed spec can change the state at once (a shorter interval makes it late now)."""
    with transaction.atomic():
        source = LOCKED.get(pk=pk)
        kind_changed = source.kind != values["kind"]
        for name, value in values.items():
            setattr(source, name, value)
        if kind_changed:
            source.cursor = None
            source.next_poll_at = next_poll_at(source, now)
        resettle(source, now, [*SPEC_FIELDS, "cursor", "next_poll_at"])


def on_specs_changed(sender: object, report: Any = None, **kwargs: object) -> None:
    """catalog.signals.specs_changed receiver: sync the integrations the import touched."""
    if report is None:
        sync_sources()
        return
    documents = [*report.created, *report.updated]
    if any(kind in ("Calendar", "System") for kind, _ in documents):
        # A calendar or a system's freezes change the schedule of every integration on them.
        sync_sources()
        return
    touched = [key for kind, key in documents if kind == "Integration"]
    if touched:
        sync_sources(touched)
