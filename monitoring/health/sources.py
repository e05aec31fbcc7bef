"""Keeping one health source row per monitored integration in step with its spec."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.choices import PULLED_HEALTH_KINDS, HealthKind, Lifecycle
from catalog.models import Integration
from monitoring import conf
from monitoring.health.state import DEFAULT_GRACE_MINUTES, declared_interval
from monitoring.health.transitions import settle_and_save
from monitoring.models import HealthSource

SPEC_FIELDS = ("kind", "interval_minutes", "grace_minutes", "min_records_per_run")


@dataclass
class SyncReport:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    deleted: int = 0


def is_monitored(integration: Integration) -> bool:
    """Health kind none gets no source; nor does a retired integration (it is not expected to run)."""
    return integration.health_kind != HealthKind.NONE and integration.lifecycle != Lifecycle.RETIRED


def spec_values(integration: Integration) -> dict[str, Any]:
    """What a health source copies from the spec."""
    grace = integration.health_grace_minutes
    return {
        "kind": integration.health_kind,
        "interval_minutes": declared_interval(
            integration.sync_trigger, integration.interval_minutes, integration.max_latency_minutes
        ),
        "grace_minutes": DEFAULT_GRACE_MINUTES if grace is None else grace,
        "min_records_per_run": integration.min_records_per_run,
    }


def poll_every(source: HealthSource) -> dt.timedelta:
    """How long until a pulled source is polled again: the poll setting, or the declared interval if shorter."""
    minutes = conf.poll_every_minutes()
    if source.interval_minutes:
        minutes = max(1, min(minutes, source.interval_minutes))
    return dt.timedelta(minutes=minutes)


def next_poll_at(source: HealthSource, now: dt.datetime) -> dt.datetime | None:
    """Now plus the poll interval with ±10 % jitter, so thousands of sources do not poll in step."""
    if source.kind not in PULLED_HEALTH_KINDS:
        return None
    every = poll_every(source)
    return now + every * random.uniform(0.9, 1.1)


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
        source = HealthSource.objects.select_for_update(of=("self",)).select_related("last_run").get(pk=pk)
        kind_changed = source.kind != values["kind"]
        for name, value in values.items():
            setattr(source, name, value)
        if kind_changed:
            source.cursor = None
            source.next_poll_at = next_poll_at(source, now)
        settle_and_save(source, now, [*SPEC_FIELDS, "cursor", "next_poll_at"])


def ensure_source(integration: Integration) -> HealthSource | None:
    """The integration's source, created from its spec if missing; None when it is not monitored."""
    if not is_monitored(integration):
        return None
    values = spec_values(integration)
    if values["kind"] in PULLED_HEALTH_KINDS:
        values["next_poll_at"] = timezone.now()
    source, _ = HealthSource.objects.get_or_create(integration=integration, defaults=values)
    return source


def on_specs_changed(sender: object, report: Any = None, **kwargs: object) -> None:
    """catalog.signals.specs_changed receiver: sync the integrations the import touched."""
    if report is None:
        sync_sources()
        return
    touched = [key for kind, key in (*report.created, *report.updated) if kind == "Integration"]
    if touched:
        sync_sources(touched)
