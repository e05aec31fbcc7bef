"""Fixtures for monitoring tests: integrations with a health source, built straight from catalog models."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.test import Client

from catalog.models import Integration, Person, System
from monitoring.health.specs import sync_sources
from monitoring.ingest.pending import apply_before_reading, apply_pending_pings
from monitoring.models import HealthSource
from monitoring.platforms import outbound

T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def make_person(email: str, **extra: Any) -> Person:
    person, _ = Person.objects.get_or_create(email=email, defaults=extra)
    return person


def make_system(key: str) -> System:
    system, _ = System.objects.get_or_create(key=key, defaults={"name": key.title()})
    return system


def make_integration(
    key: str = "invoices",
    *,
    kind: str = "heartbeat",
    trigger: str = "schedule",
    interval: int | None = 15,
    grace: int | None = 30,
    min_records: int | None = None,
    owner: str | None = "ana@example.com",
    backup: str | None = None,
    notify: list[str] | None = None,
    source: str = "billing",
    target: str = "erp",
    **extra: Any,
) -> Integration:
    """An integration and its health source (synced from the spec as an import would)."""
    integration = Integration.objects.create(
        key=key,
        name=key.replace("-", " ").title(),
        health_kind=kind,
        sync_trigger=trigger,
        interval_minutes=interval,
        health_grace_minutes=grace,
        min_records_per_run=min_records,
        owner=make_person(owner) if owner else None,
        backup_owner=make_person(backup) if backup else None,
        error_notify=notify or [],
        source=make_system(source),
        target=make_system(target),
        **extra,
    )
    sync_sources([key])
    return integration


def source_of(integration: Integration) -> HealthSource:
    """The state row as readers see it: pings still pending applied first."""
    apply_before_reading()
    return HealthSource.objects.get(integration=integration)


def post_ping(client: Client, path: str, body: object = None, raw: bytes | None = None) -> Any:
    """POST a ping, then apply it as the worker the endpoint queues would (test_pending_pings.py
    shows what happens in between)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    response = client.post(path, data=data, content_type="application/json")
    apply_pending_pings()
    return response


@pytest.fixture
def outbound_client() -> Iterator[httpx.Client]:
    """The guarded client adapters are given (monitoring/platforms/outbound.py), as polling makes it."""
    with outbound.make_client() as client:
        yield client


@pytest.fixture
def integration(db: Any) -> Integration:
    return make_integration()
