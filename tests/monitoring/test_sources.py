"""Health sources follow the specs: created, updated and removed when specs change."""

from __future__ import annotations

import textwrap

import pytest

from catalog.models import Integration
from catalog.spec.importer import import_sources
from monitoring.health.pipeline import record_poll
from monitoring.health.specs import sync_sources
from monitoring.models import Flip, HealthSource
from monitoring.platforms.contract import PollResult, RunObservation
from tests.monitoring.conftest import T0, make_integration, minutes, source_of

pytestmark = pytest.mark.django_db

SPEC = """
apiVersion: plumbline/v1
kind: Person
key: ana@example.com
---
apiVersion: plumbline/v1
kind: Integration
key: stripe-payouts
owner: ana@example.com
sync: {{trigger: {trigger}, interval_minutes: 60, max_latency_minutes: 5}}
health: {{kind: {kind}, grace_minutes: 10}}
"""


def import_spec(captured, kind: str = "heartbeat", trigger: str = "schedule") -> None:
    with captured(execute=True):
        import_sources([("estate.yaml", textwrap.dedent(SPEC.format(kind=kind, trigger=trigger)))])


def test_importing_a_spec_creates_its_health_source(django_capture_on_commit_callbacks):
    import_spec(django_capture_on_commit_callbacks)
    source = HealthSource.objects.get(integration__key="stripe-payouts")
    assert (source.kind, source.interval_minutes, source.grace_minutes, source.state) == (
        "heartbeat",
        60,
        10,
        "unknown",
    )


def test_an_event_trigger_declares_its_max_latency_as_interval(django_capture_on_commit_callbacks):
    import_spec(django_capture_on_commit_callbacks, trigger="event")
    assert HealthSource.objects.get().interval_minutes == 5


def test_changing_health_kind_to_none_removes_the_source(django_capture_on_commit_callbacks):
    import_spec(django_capture_on_commit_callbacks)
    import_spec(django_capture_on_commit_callbacks, kind="none")
    assert not HealthSource.objects.exists()


def test_a_pulled_source_gets_a_first_poll_time_and_a_heartbeat_none(db):
    pulled = make_integration("orders", kind="http")
    pushed = make_integration("payments", kind="heartbeat")
    assert source_of(pulled).next_poll_at is not None
    assert source_of(pushed).next_poll_at is None


def test_a_shorter_declared_interval_can_make_it_late_at_once(db):
    integration = make_integration("orders", kind="http", interval=60, grace=30)
    record_poll(integration, PollResult(runs=[RunObservation("r-1", "success", finished_at=T0)]), now=T0)
    Integration.objects.filter(pk=integration.pk).update(interval_minutes=15)
    sync_sources(["orders"], now=T0 + minutes(20))
    source = source_of(integration)
    assert (source.interval_minutes, source.state) == (15, "late")
    assert Flip.objects.filter(to_state="late").count() == 1


def test_a_retired_integration_has_no_source(db):
    make_integration("old-feed", lifecycle="retired")
    assert not HealthSource.objects.exists()


def test_syncing_twice_changes_nothing(db):
    make_integration("orders")
    report = sync_sources()
    assert (report.created, report.updated, report.deleted) == ([], [], 0)
