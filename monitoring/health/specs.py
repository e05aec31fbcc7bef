"""Keeping the state rows in step with the specs: created for newly monitored integrations, changed
(and their state settled at once) when a spec changes what they copy, deleted when an integration
is no longer monitored. Run after every import and spec edit (catalog.signals.specs_changed)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.choices import PULLED_HEALTH_KINDS
from catalog.models import Integration
from monitoring.health.pipeline import resettle
from monitoring.health.sources import LOCKED, SPEC_FIELDS, is_monitored, next_poll_at, poll_every, spec_values
from monitoring.models import HealthSource


@dataclass
class SyncReport:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    deleted: int = 0


def sync_sources(keys: Iterable[str] | None = None, now: dt.datetime | None = None) -> SyncReport:
    """Create, update or delete health sources to match the specs (all, or the integrations named)."""
    now = now or timezone.now()
    integrations = Integration.objects.only(
        "id",
        "key",
        "lifecycle",
        "health_kind",
        "health_grace_minutes",
        "sync_trigger",
        "interval_minutes",
        "max_latency_minutes",
        "min_records_per_run",
    )
    sources = HealthSource.objects.all()
    if keys is not None:
        keys = list(keys)
        integrations = integrations.filter(key__in=keys)
        sources = sources.filter(integration__key__in=keys)
    existing = {s.integration_id: s for s in sources.only("id", "integration_id", *SPEC_FIELDS)}
    report = SyncReport()
    gone = []
    new: list[HealthSource] = []
    for integration in integrations:
        source = existing.get(integration.pk)
        if not is_monitored(integration):
            if source:
                gone.append(source.pk)
            continue
        values = spec_values(integration)
        if source is None:
            source = HealthSource(integration=integration, **values)
            # Spread first polls over one poll interval.
            source.next_poll_at = (
                now + poll_every(source) * random.random() if source.kind in PULLED_HEALTH_KINDS else None
            )
            new.append(source)
        elif any(getattr(source, name) != value for name, value in values.items()):
            _apply_spec(source.pk, values, now)
            report.updated.append(integration.pk)
    HealthSource.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    report.created = [s.integration_id for s in new]
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
    touched = [key for kind, key in (*report.created, *report.updated) if kind == "Integration"]
    if touched:
        sync_sources(touched)
