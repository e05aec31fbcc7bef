"""What monitoring observed about the API tests' estate (tests/api/conftest.py): runs with failed records,
a flip with its alerts, maintenance windows and observed connections, made as the pipeline makes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from catalog.choices import HealthKind
from catalog.models import Integration, PlatformAccount, System
from monitoring.health.pipeline import record_poll
from monitoring.health.specs import sync_sources
from monitoring.models import Alert, FailedRecord, Flip, MaintenanceWindow, ObservedConnection
from monitoring.platforms.contract import FailedRecordObservation, PollResult, RunObservation

T0 = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)


def fail(key: str, run_id: str, *record_keys: str, at: dt.datetime = T0) -> list[FailedRecord]:
    """A failed run of the integration carrying these failed records, as a poll records it (an integration
    with no health source is given a heartbeat one)."""
    Integration.objects.filter(key=key, health_kind=HealthKind.NONE).update(health_kind=HealthKind.HEARTBEAT)
    integration = Integration.objects.get(key=key)
    sync_sources([key])
    run = RunObservation(external_id=run_id, status="failed", finished_at=at, records_failed=len(record_keys))
    observed = [
        FailedRecordObservation(key=k, error=f"{k}: subsidiary is required", occurred_at=at, run_external_id=run_id)
        for k in record_keys
    ]
    record_poll(integration, PollResult(runs=[run], failed_records=observed), now=at)
    return list(FailedRecord.objects.filter(integration=integration, key__in=record_keys).order_by("position"))


def flip_with_alerts(key: str, *, at: dt.datetime = T0, sent: bool = True, error: str = "") -> Flip:
    """A flip to failing and two alerts about it (owner by email, a webhook)."""
    integration = Integration.objects.get(key=key)
    flip = Flip.objects.create(integration=integration, from_state="up", to_state="failing", at=at, reason="x")
    for channel, recipient in (("email", "ana.lopez@example.com"), ("webhook", "https://hooks.example.com/a")):
        Alert.objects.create(
            flip=flip,
            channel=channel,
            recipient=recipient,
            subject=f"{key} is failing",
            body="…",
            created_at=at,
            sent_at=at if sent else None,
            error=error,
        )
    return flip


def window(system: str, *, starts: dt.timedelta, ends: dt.timedelta, reason: str = "upgrade") -> MaintenanceWindow:
    """A one-off window from now + starts to now + ends."""
    now = timezone.now()
    return MaintenanceWindow.objects.create(
        system=System.objects.get(key=system), starts_at=now + starts, ends_at=now + ends, reason=reason
    )


def observed(account: str | None, ref: str, name: str = "") -> ObservedConnection:
    now = timezone.now()
    return ObservedConnection.objects.create(
        account=PlatformAccount.objects.get(key=account) if account else None,
        ref=ref,
        name=name,
        first_seen_at=now,
        last_seen_at=now,
    )


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    found: list[dict[str, Any]] = response.json()["results"]
    return found
