"""What catalog reads of monitoring: current health in one query, undocumented observed connections."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import health
from catalog.models import PlatformAccount
from monitoring.health.pipeline import record_poll
from monitoring.ingest.discovery import discover_platforms
from monitoring.models import ObservedConnection
from monitoring.platforms.contract import PollResult, RunObservation
from tests.catalog.test_golive_review_support import fail
from tests.monitoring.conftest import T0, make_integration
from tests.monitoring.standins import CeligoStandIn

pytestmark = pytest.mark.django_db


def test_health_of_many_integrations_is_read_in_one_query(db):
    feeds = [make_integration(f"feed-{n}") for n in range(20)]
    record_poll(feeds[0], PollResult(runs=[RunObservation("r-1", "success", finished_at=T0)]), now=T0)
    unmonitored = make_integration("manual", kind="none")
    with CaptureQueriesContext(connection) as queries:
        facts = health.read_health([f.pk for f in feeds] + [unmonitored.pk])
    # "Any pings pending?" (none, so nothing to apply), then the state rows.
    assert len(queries) == 2
    assert len(facts) == 20  # no source, no entry
    assert facts[feeds[0].pk] == health.HealthFacts(
        kind="heartbeat",
        state="up",
        last_success_at=T0,
        state_changed_at=T0,
        last_run=health.RunCounts("r-1", T0),  # joined in the same query, for the reconciliation findings
    )
    assert facts[feeds[1].pk].state == "unknown"


def test_failures_since_a_moment_are_counted_per_integration_in_three_queries(db):
    """What the post-go-live review reads: failed runs (not test runs), flips to down or failing,
    and failed records recorded since then that are still open."""
    feeds = [make_integration(f"feed-{n}") for n in range(12)]
    since = T0 - dt.timedelta(days=1)
    for feed in feeds[:2]:
        fail(feed, since, runs=2, flips=1, records=3)
    with CaptureQueriesContext(connection) as queries:
        found = health.read_failures_since([f.pk for f in feeds], since)
    assert len(queries) == 3
    assert found == {
        feed.pk: health.FailuresSince(failed_runs=2, flips_down=1, open_failed_records=3) for feed in feeds[:2]
    }
    assert health.read_failures_since([], since) == {}


def test_discovered_processes_no_spec_points_at_are_undocumented(db):
    account = PlatformAccount.objects.create(key="celigo-prod", platform="celigo", base_url="https://api.integrator.io")
    make_integration("sf-customers", kind="celigo", health_account=account, health_ref="flow-1")
    now = timezone.now()
    for ref in ("flow-1", "flow-2"):
        ObservedConnection.objects.create(
            account=account, ref=ref, name=ref.title(), first_seen_at=now, last_seen_at=now
        )
    observed = health.read_observed_connections()
    assert [(c.source, c.ref) for c in observed] == [("celigo-prod", "flow-2")]


def test_discovery_stores_what_the_platform_lists_and_forgets_what_it_no_longer_lists(db, settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv("PLUMBLINE_CRED_CELIGO_TEST", "t0ken")
    flows = [{"_id": "f1", "name": "Orders"}, {"_id": "f2", "name": "Refunds"}, {"_id": "f3", "name": "Payouts"}]
    standin = CeligoStandIn(token="t0ken", jobs=[], flows=flows)
    with standin as base_url:
        account = PlatformAccount.objects.create(
            key="celigo-test", platform="celigo", base_url=base_url, secret_env="PLUMBLINE_CRED_CELIGO_TEST"
        )
        ObservedConnection.objects.create(
            account=account, ref="gone", name="Deleted flow", first_seen_at=T0, last_seen_at=T0
        )
        report = discover_platforms()
    assert (report.accounts, report.seen, report.errors) == (1, 3, {})
    assert sorted(ObservedConnection.objects.values_list("ref", flat=True)) == ["f1", "f2", "f3"]


def test_discovery_of_an_unreachable_account_is_reported_not_raised(db, settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = []
    PlatformAccount.objects.create(key="celigo-internal", platform="celigo", base_url="http://10.0.0.5")
    report = discover_platforms()
    assert list(report.errors) == ["celigo-internal"]
