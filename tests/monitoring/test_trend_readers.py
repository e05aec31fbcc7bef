"""What monitoring tells the estate's trend through catalog/health.py: health totals for the daily
snapshot and a week's flips for the weekly email, each in one query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import health
from catalog.models import Integration
from monitoring.models import Flip, HealthSource

pytestmark = pytest.mark.django_db


def source(key: str, kind: str, state: str, failed: int = 0) -> Integration:
    item = Integration.objects.create(key=key, name=key.title())
    HealthSource.objects.create(integration=item, kind=kind, state=state, open_failed_records=failed)
    return item


def test_totals_count_monitored_integrations_by_state_and_their_open_failed_records():
    source("a", "heartbeat", "down", 2)
    source("b", "celigo", "down", 5)
    source("c", "heartbeat", "up")
    source("d", "none", "unknown", 40)  # unmonitored: not on the health board, not counted
    with CaptureQueriesContext(connection) as captured:
        totals = health.read_health_totals()
    assert totals == health.HealthTotals(by_state={"down": 2, "up": 1}, open_failed_records=7)
    assert len([q for q in captured if "monitoring_healthsource" in q["sql"]]) == 1


def test_flips_in_the_window_oldest_first_with_the_integrations_key_and_name():
    orders = source("orders", "heartbeat", "up")
    start = timezone.make_aware(dt.datetime(2026, 11, 23))
    end = start + dt.timedelta(days=7)
    Flip.objects.create(integration=orders, from_state="down", to_state="up", at=start + dt.timedelta(days=2))
    Flip.objects.create(integration=orders, from_state="up", to_state="down", at=start)
    Flip.objects.create(integration=orders, from_state="up", to_state="late", at=end)  # the next week
    Flip.objects.create(integration=orders, from_state="late", to_state="up", at=start - dt.timedelta(seconds=1))
    flips = health.read_flips(start, end)
    assert [(f.integration_key, f.integration_name, f.from_state, f.to_state, f.at) for f in flips] == [
        ("orders", "Orders", "up", "down", start),
        ("orders", "Orders", "down", "up", start + dt.timedelta(days=2)),
    ]


def test_without_monitoring_the_trend_reads_no_health(monkeypatch):
    monkeypatch.setattr(health, "_totals_reader", None)
    monkeypatch.setattr(health, "_flips_reader", None)
    source("a", "heartbeat", "down", 2)
    assert health.read_health_totals() == health.HealthTotals(by_state={})
    assert health.read_flips(timezone.now() - dt.timedelta(days=7), timezone.now()) == []
