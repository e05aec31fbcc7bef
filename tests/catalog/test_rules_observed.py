"""UNMONITORED, HEALTH_DOWN, HEALTH_FAILING and FAILED_RECORDS_OPEN, from catalog.health.HealthFacts."""

from __future__ import annotations

import datetime as dt

from tests.catalog.test_rules_support import NOW, facts, health, integration, only


def test_live_integration_without_health_source_is_unmonitored():
    finding = only("UNMONITORED", integration(health_kind="none"))
    assert finding is not None and finding.severity == "warning"


def test_live_integration_with_heartbeat_is_monitored():
    assert only("UNMONITORED", integration(health_kind="heartbeat")) is None


def test_integration_still_being_built_is_not_yet_unmonitored():
    assert only("UNMONITORED", integration(health_kind="none", lifecycle="building")) is None


def test_health_down_is_critical_and_says_when_it_last_succeeded():
    given = facts(health=health("down", last_success_at=NOW - dt.timedelta(hours=3)))
    finding = only("HEALTH_DOWN", integration(), given)
    assert finding is not None
    assert finding.severity == "critical"
    assert "2026-11-26 09:00 UTC" in finding.message


def test_late_is_not_yet_down():
    assert only("HEALTH_DOWN", integration(), facts(health=health("late"))) is None


def test_health_failing_is_critical():
    finding = only("HEALTH_FAILING", integration(), facts(health=health("failing", open_failed_records=2)))
    assert finding is not None
    assert finding.severity == "critical" and "2 failed records open" in finding.message


def test_health_up_is_not_failing():
    assert only("HEALTH_FAILING", integration(), facts(health=health("up"))) is None


def failed(hours: float, count: int = 3):
    return facts(
        health=health("up", open_failed_records=count, oldest_open_failed_record_at=NOW - dt.timedelta(hours=hours))
    )


def test_failed_records_open_for_24_hours_are_not_yet_a_finding():
    assert only("FAILED_RECORDS_OPEN", integration(), failed(24)) is None


def test_failed_records_open_for_25_hours_are_a_finding():
    finding = only("FAILED_RECORDS_OPEN", integration(), failed(25))
    assert finding is not None
    assert finding.severity == "warning"
    assert "3 failed records unresolved" in finding.message and "25 hours ago" in finding.message


def test_failed_sequenced_financial_records_open_are_critical():
    finding = only("FAILED_RECORDS_OPEN", integration(data_objects=["payment"]), failed(25))
    assert finding is not None and finding.severity == "critical"


def test_no_open_failed_records_is_no_finding():
    assert only("FAILED_RECORDS_OPEN", integration(), failed(100, count=0)) is None
