"""The state row: one HealthSource per monitored integration, what it copies from the spec, when a
pulled one is polled next, and how the pipeline takes it (locked, created when missing). Keeping the
rows in step with changed specs is monitoring/health/specs.py."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from catalog.choices import PULLED_HEALTH_KINDS, HealthKind, Lifecycle
from catalog.models import Integration
from monitoring import conf
from monitoring.health.state import DEFAULT_GRACE_MINUTES, RunFacts, SourceFacts, declared_interval
from monitoring.models import HealthSource, Run

SPEC_FIELDS = ("kind", "interval_minutes", "grace_minutes", "min_records_per_run")


class NotMonitored(Exception):
    """The integration has no health source (health kind none, or retired)."""


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


def ensure_source(integration: Integration) -> HealthSource | None:
    """The integration's source, created from its spec if missing; None when it is not monitored."""
    if not is_monitored(integration):
        return None
    values = spec_values(integration)
    if values["kind"] in PULLED_HEALTH_KINDS:
        values["next_poll_at"] = timezone.now()
    source, _ = HealthSource.objects.get_or_create(integration=integration, defaults=values)
    return source


# State rows as the pipeline takes them: locked, with the latest finished run the state depends on.
LOCKED = HealthSource.objects.select_for_update(of=("self",)).select_related("last_run")


def lock_sources(integrations: Sequence[Integration]) -> dict[int, HealthSource]:
    """The integrations' state rows by integration id, locked in one query (in integration order, so
    two batches cannot deadlock); a missing one is created from the spec, else NotMonitored."""
    ids = [integration.pk for integration in integrations]
    found = {
        source.integration_id: source for source in LOCKED.filter(integration_id__in=ids).order_by("integration_id")
    }
    for integration in integrations:
        if integration.pk not in found:
            if ensure_source(integration) is None:
                raise NotMonitored(integration.key)
            found[integration.pk] = LOCKED.get(integration=integration)
    return found


def run_facts(run: Run | None) -> RunFacts | None:
    """What the state decision needs of a stored run."""
    if run is None:
        return None
    return RunFacts(
        external_id=run.external_id,
        status=run.status,
        records_out=run.records_out,
        records_failed=run.records_failed,
        message=run.message,
    )


def facts_of(source: HealthSource) -> SourceFacts:
    """What the state decision needs of a state row (its last_run loaded)."""
    return SourceFacts(
        state=source.state,
        interval_minutes=source.interval_minutes,
        grace_minutes=source.grace_minutes,
        last_success_at=source.last_success_at,
        last_run=run_facts(source.last_run),
        min_records_per_run=source.min_records_per_run,
        paused=source.paused,
        stopped=source.platform_stopped,
    )
