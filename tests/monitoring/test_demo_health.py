"""The demo's made-up run history shows every health state and loads only once a day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from catalog.models import GoLive, System
from catalog.models.findings import StoredFinding, Waiver
from monitoring.demo import seed_demo_health
from monitoring.health.readers import undocumented
from monitoring.models import FailedRecord, HealthSource, ObservedConnection, Run

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def test_demo_history_shows_up_down_and_failing_and_repeats_nothing():
    call_command("seed_demo", "--today", "2026-11-26", verbosity=0)
    assert seed_demo_health(NOW) > 10
    states = set(HealthSource.objects.filter(integration__lifecycle="live").values_list("state", flat=True))
    assert {"up", "down", "failing"} <= states
    runs = Run.objects.count()
    seed_demo_health(NOW)
    assert Run.objects.count() == runs


def test_the_demo_shows_a_scheduled_feed_a_recurring_window_and_records_dropped():
    call_command("seed_demo", "--today", "2026-11-26", verbosity=0)
    seed_demo_health(NOW)
    dropped = StoredFinding.objects.get(code="RECORDS_DROPPED")
    assert dropped.subject_key == "netsuite-gl-to-snowflake"
    scheduled = HealthSource.objects.get(integration__key="jpmorgan-statements-to-netsuite")
    assert scheduled.schedule["cron"] == "0 6 * * 1-5" and scheduled.schedule["calendar"]["key"] == "us-finance"
    assert System.objects.get(key="netsuite-oneworld").maintenance[0]["rrule"] == "FREQ=WEEKLY;BYDAY=SA"


def test_the_demo_shows_undocumented_connections_failed_records_and_a_waiver():
    """What issue 12 asks a newcomer to see: discovery finds connections no spec describes, a slug ping
    no integration answers to, open failed records, stale specs, a go-live overdue and one coming, a waiver."""
    call_command("seed_demo", "--today", "2026-11-26", verbosity=0)
    seed_demo_health(NOW)
    observed = {(c.account.key if c.account else "", c.name) for c in undocumented().select_related("account")}
    assert {
        ("celigo-prod", "Shopify refunds to NetSuite credit memos"),
        ("workato-prod", "Greenhouse hires to Slack (pilot)"),
        ("", "nightly-fx-rates-to-netsuite"),
    } == observed
    codes = set(StoredFinding.objects.values_list("code", flat=True))
    assert {"UNDOCUMENTED_CONNECTION", "STALE_SPEC", "FAILED_RECORDS_OPEN"} <= codes
    assert FailedRecord.objects.filter(resolved_at=None).exists()
    waiver = Waiver.objects.get(subject_type="integration")
    waivers = Waiver.objects.count()
    assert (waiver.code, waiver.subject_key) == ("CONNECTOR_MAINTENANCE_UNOWNED", "avalara-tax-for-netsuite")
    dates = sorted(GoLive.objects.values_list("date", flat=True))
    assert dates[0] < dt.date(2026, 11, 26) - dt.timedelta(days=365) and dates[-1] > dt.date(2026, 11, 26)
    # Seeding again observes nothing new and adds no second waiver.
    pings = ObservedConnection.objects.get(account=None).ping_count
    call_command("seed_demo", "--today", "2026-11-26", verbosity=0)
    seed_demo_health(NOW)
    assert ObservedConnection.objects.get(account=None).ping_count == pings
    assert Waiver.objects.count() == waivers
