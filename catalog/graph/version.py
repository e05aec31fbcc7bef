"""A short fingerprint of everything the graph draws, cheap enough to compute on every request.

It changes when a system, integration, person, go-live or platform account is added, removed or
saved, when stored completeness changes (refresh_completeness writes without touching
updated_at), when a health state changes and when an undocumented connection appears.

Health is summed in the database (two weighted sums of each monitored integration's state rank),
not read row by row: at 10,000 integrations reading every state cost more than the cached page.
"""

from __future__ import annotations

import hashlib

from django.db.models import Count, F, Model, Sum

from catalog.aggregates import table_aggregates
from catalog.choices import HealthKind
from catalog.health import read_observed_connections, with_health
from catalog.models import DataObject, GoLive, GoLiveIntegration, Integration, Person, PlatformAccount, System

# (model, aggregate expressions over its table): counts and maxima catch adds, deletes and saves.
_AGGREGATES: tuple[tuple[type[Model], tuple[str, ...]], ...] = (
    (System, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
    (Person, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
    (GoLive, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
    (GoLiveIntegration, ("COUNT(*)", "MAX(id)")),
    (PlatformAccount, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
    (DataObject, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),  # masters are highlighted
    (
        Integration,
        (
            "COUNT(*)",
            "MAX(id)",
            "MAX(updated_at)",
            "SUM(completeness_score)",
            "SUM(CASE WHEN completeness_missing = '' THEN 1 ELSE 0 END)",
        ),
    ),
)


def _aggregates() -> tuple[object, ...]:
    # One round trip instead of six ORM aggregates: this runs on every view of the graph page.
    return table_aggregates(_AGGREGATES)


def health_fingerprint() -> tuple[object, ...]:
    """The health states of every monitored integration (kind none has no health source), in one
    aggregate query: a state change moves both sums, as each state has its own rank (a change
    cancelled by others in both sums at once is possible in theory; the next change shows)."""
    monitored = with_health(Integration.objects.exclude(health_kind=HealthKind.NONE))
    sums = monitored.aggregate(
        count=Count("id"),
        ranks=Sum(F("id") * F("health_rank")),
        squares=Sum(F("id") * F("health_rank") * F("health_rank")),
    )
    return (sums["count"], sums["ranks"], sums["squares"])


def estate_version() -> str:
    facts = (
        _aggregates(),
        health_fingerprint(),
        sorted((o.source, o.ref, o.name) for o in read_observed_connections()),
    )
    return hashlib.sha256(repr(facts).encode("utf-8")).hexdigest()[:20]
