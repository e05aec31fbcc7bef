"""The prune at the size of an estate: integrations taken many at a time and runs deleted in the
database, so its queries do not grow with the integrations; what must be kept still is, and a
resolved failed record outliving its run loses only the link to it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.health import retention
from monitoring.models import FailedRecord, Run
from tests.monitoring.conftest import make_integration, source_of
from tests.monitoring.test_retention import poll  # a poll recorded at a given time

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = NOW - dt.timedelta(days=500)
CUTOFF_DAYS = 400


def estate(count: int, old_runs: int = 4, first: int = 0) -> list:
    """`count` integrations, each with `old_runs` old successes and one recent (its latest)."""
    integrations = []
    for n in range(first, first + count):
        integration = make_integration(f"feed-{n}", kind="http", health_url=f"https://feed{n}.example.com/status")
        Run.objects.bulk_create(
            Run(
                integration=integration,
                external_id=f"old-{k}",
                source_kind="http",
                status="success",
                run_at=OLD + dt.timedelta(minutes=k),
            )
            for k in range(old_runs)
        )
        poll(integration, "recent", NOW - dt.timedelta(days=1))
        integrations.append(integration)
    return integrations


def queries_of_prune() -> int:
    with CaptureQueriesContext(connection) as captured:
        retention.prune_history(NOW, days=CUTOFF_DAYS)
    return len(captured.captured_queries)


def test_every_integrations_old_runs_go_across_batches_and_chunks(monkeypatch):
    monkeypatch.setattr(retention, "INTEGRATIONS", 2)
    monkeypatch.setattr(retention, "CHUNK", 3)
    integrations = estate(5)
    report = retention.prune_history(NOW, days=CUTOFF_DAYS)
    assert report.runs == 5 * 4
    assert sorted(Run.objects.values_list("integration__key", "external_id")) == [
        (f"feed-{n}", "recent") for n in range(5)
    ]
    assert all(source_of(i).last_run.external_id == "recent" for i in integrations)


def test_the_latest_run_is_kept_however_old():
    quiet = make_integration("payroll", kind="http", health_url="https://payroll.example.com/status")
    poll(quiet, "only-run", OLD)
    poll(quiet, "older-test", OLD - dt.timedelta(days=1))  # older: not the latest, so it goes
    report = retention.prune_history(NOW, days=CUTOFF_DAYS)
    assert report.runs == 1
    assert list(Run.objects.values_list("external_id", flat=True)) == ["only-run"]
    assert source_of(quiet).last_run.external_id == "only-run"


def test_a_run_with_an_open_failed_record_is_kept_and_a_resolved_one_is_unlinked():
    orders = make_integration("orders", kind="http", health_url="https://orders.example.com/status")
    poll(orders, "bad-open", OLD, "failed", failed=["SO-1"])
    poll(orders, "bad-resolved", OLD + dt.timedelta(hours=1), "failed", failed=["SO-2"])
    poll(orders, "recent", NOW - dt.timedelta(days=1))
    # SO-2 was resolved recently: it is kept (younger than the limit), its old run is not.
    FailedRecord.objects.filter(key="SO-2").update(resolved_at=NOW - dt.timedelta(days=2))
    report = retention.prune_history(NOW, days=CUTOFF_DAYS)
    assert report.runs == 1 and report.failed_records == 0
    assert sorted(Run.objects.values_list("external_id", flat=True)) == ["bad-open", "recent"]
    records = dict(FailedRecord.objects.values_list("key", "run__external_id"))
    assert records == {"SO-1": "bad-open", "SO-2": None}


def test_a_resolved_record_on_a_kept_run_keeps_its_link():
    orders = make_integration("orders", kind="http", health_url="https://orders.example.com/status")
    poll(orders, "bad", OLD, "failed", failed=["SO-1", "SO-2"])
    poll(orders, "recent", NOW - dt.timedelta(days=1))
    FailedRecord.objects.filter(key="SO-2").update(resolved_at=NOW - dt.timedelta(days=2))
    retention.prune_history(NOW, days=CUTOFF_DAYS)
    assert dict(FailedRecord.objects.values_list("key", "run__external_id")) == {"SO-1": "bad", "SO-2": "bad"}


def test_the_prunes_queries_do_not_grow_with_the_integrations_or_their_runs():
    estate(3, old_runs=4)
    few = queries_of_prune()
    estate(9, old_runs=40, first=3)
    assert Run.objects.filter(run_at__lt=NOW - dt.timedelta(days=CUTOFF_DAYS)).count() == 9 * 40
    many = queries_of_prune()
    assert many == few
    assert Run.objects.count() == 12  # each integration's recent run
