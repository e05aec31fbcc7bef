"""Builders shared by the findings tests (no tests here).

`integration()` is an unsaved, well-kept live integration that raises no finding at all, so each
rule test changes exactly the one thing it is about. `make_estate()` writes a varied estate of
any size to the database for query-count tests."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.health import HealthFacts, ObservedConnection
from catalog.models import Integration, Mapping, Person, System
from catalog.rules import Facts, Finding, evaluate_integration

TODAY = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def person(email: str = "ana.lopez@example.com", *, pk: int = 1, active: bool = True, name: str = "") -> Person:
    return Person(pk=pk, email=email, name=name or email.split("@")[0].replace(".", " ").title(), active=active)


def system(key: str = "netsuite", *, pk: int = 1, name: str = "", **fields: object) -> System:
    return System(pk=pk, key=key, name=name or key.title(), version=str(fields.pop("version", "1.0")), **fields)


def integration(**overrides: object) -> Integration:
    fields: dict[str, object] = {
        "pk": 1,
        "key": "chargebee-invoices-to-netsuite",
        "name": "Chargebee invoices to NetSuite",
        "source": system("chargebee", pk=1, name="Chargebee"),
        "target": system("netsuite", pk=2, name="NetSuite"),
        "data_objects": ["customer"],
        "lifecycle": "live",
        "phase": "go-live",
        "connector_type": "ipaas",
        "connector_platform": "celigo",
        "maintained_by": "ipaas-vendor",
        "compatibility_sla_days": 30,
        "sync_trigger": "schedule",
        "interval_minutes": 15,
        "error_surface": "alert",
        "error_notify": ["ana.lopez@example.com"],
        "resync": "replay-in-order",
        "owner": person("ana.lopez@example.com", pk=1, name="Ana Lopez"),
        "backup_owner": person("raj.patel@example.com", pk=2, name="Raj Patel"),
        "reviewed_at": days_ago(10),
        "health_kind": "heartbeat",
    }
    fields.update(overrides)
    return Integration(**fields)


def facts(**overrides: object) -> Facts:
    values: dict[str, object] = {"today": TODAY, "now": NOW, "review_days": 180, "has_complete_mapping": True}
    values.update(overrides)
    return Facts(**values)  # type: ignore[arg-type]


def health(state: str = "up", **fields: object) -> HealthFacts:
    return HealthFacts(kind="heartbeat", state=state, **fields)  # type: ignore[arg-type]


def findings_of(item: Integration, given: Facts | None = None) -> list[Finding]:
    return evaluate_integration(item, given or facts())


def codes_of(item: Integration, given: Facts | None = None) -> set[str]:
    return {f.code for f in findings_of(item, given)}


def only(code: str, item: Integration, given: Facts | None = None) -> Finding | None:
    """The finding `code` raises for the integration through the engine, or None."""
    matches = [f for f in findings_of(item, given) if f.code == code]
    assert len(matches) <= 1
    return matches[0] if matches else None


def silence_monitoring(
    monkeypatch: pytest.MonkeyPatch,
    health: dict[int, HealthFacts] | None = None,
    observed: list[ObservedConnection] | None = None,
) -> None:
    """Health readers answering with the given facts (default: no data), whatever monitoring registered."""
    monkeypatch.setattr(
        "catalog.health._health_reader", lambda ids: {k: v for k, v in (health or {}).items() if k in ids}
    )
    monkeypatch.setattr("catalog.health._observed_reader", lambda: list(observed or []))


def make_estate(count: int, *, prefix: str = "i") -> list[Integration]:
    """`count` stored integrations with a spread of problems, plus their people, systems and mappings."""
    people = Person.objects.bulk_create(
        [Person(email=f"{prefix}-p{n}@example.com", name=f"Person {n}", active=n % 7 != 0) for n in range(10)]
    )
    systems = System.objects.bulk_create(
        [System(key=f"{prefix}-s{n}", name=f"System {n}", version="1.0", owner=people[n % 10]) for n in range(10)]
    )
    rows = []
    for n in range(count):
        deferred = n % 4 == 0
        rows.append(
            Integration(
                key=f"{prefix}-int-{n}",
                source=systems[n % 10],
                target=systems[(n + 1) % 10],
                data_objects=["invoice"] if n % 2 else ["customer"],
                lifecycle=["live", "planned", "deprecated", "building", "retired"][n % 5],
                phase="phase-two" if deferred else "go-live",
                connector_type=["ipaas", "custom-api", "file-transfer", "native"][n % 4],
                maintained_by="" if n % 3 == 0 else "internal",
                compatibility_sla_days=None if n % 3 == 1 else 30,
                api_retirement_date=days_ago(-30) if n % 6 == 0 else None,
                sync_trigger="polling",
                interval_minutes=15 + n % 50,
                vendor_claim="real-time" if n % 5 == 0 else "",
                error_surface=["alert", "log-file", "none"][n % 3],
                error_notify=["ops"],
                resync=["replay-in-order", "current-state"][n % 2],
                owner=people[n % 10],
                backup_owner=people[(n + 1) % 10] if n % 2 else None,
                reviewed_at=days_ago(n % 400) if n % 8 else None,
                deferred_since=days_ago(n % 300) if deferred else None,
                workaround_performed_by=people[n % 10] if deferred else None,
                workaround_hours_per_month=6 if deferred else None,
                build_estimate_hours=40 if deferred else None,
                health_kind="none" if n % 3 == 0 else "heartbeat",
            )
        )
    created = Integration.objects.bulk_create(rows)
    Mapping.objects.bulk_create(
        [Mapping(integration=i, source="a.id", target="b.id") for i in created if i.pk % 2 == 0]
    )
    return created
