"""A short fingerprint of everything the graph draws, cheap enough to compute on every request.

It changes when a system, integration, person, go-live or platform account is added, removed or
saved, when stored completeness changes (refresh_completeness writes without touching
updated_at), when a health state changes and when an undocumented connection appears.
"""

from __future__ import annotations

import hashlib

from django.db import connection
from django.db.models import Model

from catalog.choices import HealthKind
from catalog.health import read_health, read_observed_connections
from catalog.models import GoLive, GoLiveIntegration, Integration, Person, PlatformAccount, System

# (model, aggregate expressions over its table): counts and maxima catch adds, deletes and saves.
_AGGREGATES: tuple[tuple[type[Model], tuple[str, ...]], ...] = (
    (System, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
    (Person, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
    (GoLive, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
    (GoLiveIntegration, ("COUNT(*)", "MAX(id)")),
    (PlatformAccount, ("COUNT(*)", "MAX(id)", "MAX(updated_at)")),
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
    # Only our own table names and fixed expressions go into the SQL, never user input.
    subqueries = [
        f"(SELECT {expression} FROM {connection.ops.quote_name(model._meta.db_table)})"  # noqa: S608
        for model, expressions in _AGGREGATES
        for expression in expressions
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(subqueries))
        row = cursor.fetchone()
    return tuple(row or ())


def monitored_ids() -> list[int]:
    """Integrations with a health source (kind none has none, so monitoring has no facts)."""
    return list(Integration.objects.exclude(health_kind=HealthKind.NONE).values_list("id", flat=True))


def estate_version() -> str:
    health = read_health(monitored_ids())
    facts = (
        _aggregates(),
        sorted((i, f.state) for i, f in health.items()),
        sorted((o.source, o.ref, o.name) for o in read_observed_connections()),
    )
    return hashlib.sha256(repr(facts).encode("utf-8")).hexdigest()[:20]
