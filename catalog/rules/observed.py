"""What monitoring sees: UNMONITORED, HEALTH_DOWN, HEALTH_FAILING and FAILED_RECORDS_OPEN.
Health comes only as catalog.health.HealthFacts; catalog never imports monitoring."""

from __future__ import annotations

import datetime as dt

from catalog.choices import HealthKind, HealthState, Lifecycle
from catalog.models import Integration
from catalog.models.findings import FindingCode, Severity
from catalog.rules.finding import Facts, Finding, about, plural

FAILED_RECORDS_GRACE = dt.timedelta(hours=24)  # open for more than this is a finding


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def unmonitored(integration: Integration, facts: Facts) -> Finding | None:
    if integration.lifecycle != Lifecycle.LIVE or (integration.health_kind or HealthKind.NONE) != HealthKind.NONE:
        return None
    message = "The live integration is not monitored: if it stops, nobody will notice."
    remedy = "Add a health source: a heartbeat ping at the end of each run, an HTTP status URL or its iPaaS account."
    return about(integration, FindingCode.UNMONITORED, Severity.WARNING, message, remedy)


def health_down(integration: Integration, facts: Facts) -> Finding | None:
    health = facts.health
    if health is None or health.state != HealthState.DOWN:
        return None
    since = f" since {_when(health.state_changed_at)}" if health.state_changed_at else ""
    message = f"Health is down{since}: the last successful run was {_when(health.last_success_at)}."
    remedy = "Find out why the integration stopped running, restart it, and re-sync what it missed."
    return about(integration, FindingCode.HEALTH_DOWN, Severity.CRITICAL, message, remedy)


def health_failing(integration: Integration, facts: Facts) -> Finding | None:
    health = facts.health
    if health is None or health.state != HealthState.FAILING:
        return None
    since = f" since {_when(health.state_changed_at)}" if health.state_changed_at else ""
    open_records = f"; {plural(health.open_failed_records, 'failed record')} open" if health.open_failed_records else ""
    message = (
        f"Health is failing{since}: the last run failed, or completed with failed records or too few "
        f"records{open_records}."
    )
    remedy = "Read the last run's errors, fix the cause and re-sync the failed records in order."
    return about(integration, FindingCode.HEALTH_FAILING, Severity.CRITICAL, message, remedy)


def failed_records_open(integration: Integration, facts: Facts) -> Finding | None:
    health = facts.health
    if health is None or health.open_failed_records <= 0 or health.oldest_open_failed_record_at is None:
        return None
    age = facts.now - health.oldest_open_failed_record_at
    if age <= FAILED_RECORDS_GRACE:
        return None
    hours = int(age.total_seconds() // 3600)
    message = (
        f"{plural(health.open_failed_records, 'failed record')} unresolved; the oldest failed "
        f"{plural(hours, 'hour')} ago ({_when(health.oldest_open_failed_record_at)})."
    )
    # Sequenced financial data with holes is an audit problem, not just a backlog.
    severity = Severity.CRITICAL if integration.is_sequence_sensitive else Severity.WARNING
    remedy = "Resolve the failed records and re-sync them in their original order, or record why they are dropped."
    return about(integration, FindingCode.FAILED_RECORDS_OPEN, severity, message, remedy)
