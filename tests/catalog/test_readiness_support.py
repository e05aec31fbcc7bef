"""Builders shared by the readiness page tests (no tests here): a stored go-live whose integrations
are all ready, so each test breaks exactly the one thing it is about."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from catalog.models import (
    Attestation,
    GoLive,
    GoLiveIntegration,
    Integration,
    Mapping,
    Person,
    System,
)
from monitoring.models import HealthSource
from tests.pages.estate import make_user

APPROVER = "cfo@example.com"
OWNER = "ana.lopez@example.com"
BACKUP = "raj.patel@example.com"


def people() -> dict[str, Person]:
    found = {}
    for email, name in ((APPROVER, "Carla Finance"), (OWNER, "Ana Lopez"), (BACKUP, "Raj Patel")):
        found[email], _ = Person.objects.get_or_create(email=email, defaults={"name": name})
    return found


def ready_integration(key: str, name: str = "", **fields: Any) -> Integration:
    """A live integration that passes every computed item: complete spec, owners, alerting,
    ordered replay, maintained connector, and a health source that is up."""
    crew = people()
    source, _ = System.objects.get_or_create(key="chargebee", defaults={"name": "Chargebee"})
    target, _ = System.objects.get_or_create(key="netsuite", defaults={"name": "NetSuite"})
    values: dict[str, Any] = {
        "name": name or key.replace("-", " ").capitalize(),
        "source": source,
        "target": target,
        "data_objects": ["invoice"],
        "lifecycle": "live",
        "connector_type": "ipaas",
        "connector_platform": "celigo",
        "maintained_by": "ipaas-vendor",
        "compatibility_sla_days": 30,
        "sync_trigger": "schedule",
        "interval_minutes": 15,
        "error_surface": "alert",
        "error_notify": [OWNER],
        "resync": "replay-in-order",
        "owner": crew[OWNER],
        "backup_owner": crew[BACKUP],
        "reviewed_at": timezone.localdate(),
        "health_kind": "heartbeat",
    }
    values.update(fields)
    integration = Integration.objects.create(key=key, **values)
    Mapping.objects.create(integration=integration, source="invoice.id", target="invoice.externalId")
    HealthSource.objects.create(
        integration=integration, kind="heartbeat", state="up", last_success_at=timezone.now(), interval_minutes=15
    )
    return integration


def attest_all(golive: GoLive, integration: Integration, by: str = OWNER) -> None:
    for item in ("failure-simulation", "resync-rehearsal"):
        Attestation.objects.create(
            golive=golive,
            integration=integration,
            item=item,
            performed_by="Raj Patel",
            performed_on=timezone.localdate() - dt.timedelta(days=1),
            evidence_url=f"https://wiki.example.com/{integration.key}/{item}",
            recorded_by_email=by,
            recorded_at=timezone.now(),
        )


def ready_golive(count: int = 1, *, key: str = "netsuite-go-live", attested: bool = True) -> GoLive:
    """A go-live with `count` ready integrations in scope (attested unless told otherwise)."""
    crew = people()
    golive = GoLive.objects.create(key=key, name="NetSuite go-live", date=dt.date(2027, 1, 4), approver=crew[APPROVER])
    for n in range(count):
        integration = ready_integration(f"{key}-int-{n:03d}", name=f"Integration {n:03d}")
        GoLiveIntegration.objects.create(golive=golive, integration=integration, position=n)
        if attested:
            attest_all(golive, integration)
    return golive


def users() -> dict[str, Any]:
    """approver (a viewer by role), owner, backup (both owners), other owner, viewer, admin, no role."""
    return {
        "approver": make_user(APPROVER, "viewer"),
        "owner": make_user(OWNER, "owner"),
        "backup": make_user(BACKUP, "owner"),
        "other_owner": make_user("olivia.other@example.com", "owner"),
        "viewer": make_user("viewer@example.com", "viewer"),
        "admin": make_user("admin@example.com", "admin"),
        "no_role": make_user("norole@example.com", None),
    }
