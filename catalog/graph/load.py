"""Read the estate from the database into the graph model: a handful of queries, no N+1.

Rows are read as plain values, not model instances: building 1,000 Integration objects (and
their owners) costs more than the rest of drawing the graph in Python.
"""

from __future__ import annotations

from collections import defaultdict

from catalog.choices import HealthKind
from catalog.graph.model import UNMONITORED, Estate, IntegrationEdge, ObservedEdge, SystemNode
from catalog.health import read_observed_connections, with_health
from catalog.models import DataObject, GoLiveIntegration, Integration, Person, PlatformAccount, System


def _person(email: str | None, names: dict[str, str]) -> str:
    if not email:
        return ""
    return f"{names[email]} <{email}>" if names.get(email) else email


def load_estate() -> Estate:
    names = dict(Person.objects.values_list("email", "name"))
    systems = {
        row["id"]: SystemNode(
            id=row["id"],
            key=row["key"],
            name=row["name"],
            category=row["category"],
            owner=_person(row["owner__email"], names),
            owner_email=row["owner__email"] or "",
            vendor=row["vendor"],
            version=row["version"],
        )
        for row in System.objects.order_by("key").values(
            "id", "key", "name", "category", "owner__email", "vendor", "version"
        )
    }
    golives: dict[int, list[str]] = defaultdict(list)
    for integration_id, golive_key in GoLiveIntegration.objects.values_list("integration_id", "golive__key"):
        golives[integration_id].append(golive_key)
    # Health comes in the same query (with_health joins the state), not as 10,000 facts read by id.
    rows = list(
        with_health(Integration.objects.order_by("key")).values(
            "id",
            "key",
            "name",
            "source_id",
            "target_id",
            "direction",
            "data_objects",
            "lifecycle",
            "phase",
            "connector_type",
            "connector_platform",
            "owner__email",
            "health_kind",
            "completeness_missing",
            "health_state",
        )
    )
    integrations = [
        IntegrationEdge(
            id=row["id"],
            key=row["key"],
            name=row["name"],
            source_id=row["source_id"],
            target_id=row["target_id"],
            bidirectional=row["direction"] == "bidirectional",
            data_objects=tuple(str(o) for o in (row["data_objects"] or [])),
            lifecycle=row["lifecycle"],
            phase=row["phase"],
            connector_type=row["connector_type"],
            platform=row["connector_platform"],
            owner=_person(row["owner__email"], names),
            owner_email=row["owner__email"] or "",
            # Health kind none has no health source: monitoring has nothing on it.
            health=(row["health_state"] or UNMONITORED) if row["health_kind"] != HealthKind.NONE else UNMONITORED,
            spec_gaps=tuple(part for part in row["completeness_missing"].split(",") if part),
            golives=tuple(sorted(golives.get(row["id"], ()))),
        )
        for row in rows
    ]
    masters = dict(DataObject.objects.filter(master__isnull=False).values_list("key", "master_id"))
    return Estate(systems=systems, integrations=integrations, observed=load_observed(), masters=masters)


def load_observed() -> list[ObservedEdge]:
    observed = read_observed_connections()
    if not observed:
        return []
    platforms = dict(PlatformAccount.objects.values_list("key", "platform"))
    return [
        ObservedEdge(source=o.source, ref=o.ref, name=o.name, platform=platforms.get(o.source, ""))
        for o in sorted(observed, key=lambda o: (o.source, o.name, o.ref))
    ]
