"""Forgetting history older than PLUMBLINE_HISTORY_DAYS, and what is kept whatever its age."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from monitoring.alerting import delivery
from monitoring.health import retention
from monitoring.health.pipeline import record_poll
from monitoring.models import Alert, FailedRecord, Flip, ResyncRequest, Run
from monitoring.platforms.contract import FailedRecordObservation, PollResult, RunObservation, RunStatus
from tests.monitoring.conftest import make_integration, source_of

pytestmark = pytest.mark.django_db

NOW = timezone.now()
OLD = NOW - dt.timedelta(days=500)


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def poll(
    integration, run_id: str, at: dt.datetime, status: RunStatus = "success", failed: list[str] | None = None
) -> None:
    records = [FailedRecordObservation(key=key, error="refused", run_external_id=run_id) for key in failed or []]
    result = PollResult(runs=[RunObservation(run_id, status, finished_at=at)], failed_records=records)
    record_poll(integration, result, now=at)


@pytest.fixture
def history():
    """Two integrations: one with a year and a half of history, one that last ran long ago."""
    busy = make_integration("orders", kind="http", health_url="https://orders.example.com/status")
    poll(busy, "old-ok", OLD)
    poll(busy, "old-bad", OLD + dt.timedelta(hours=1), "failed", failed=["SO-1", "SO-2"])  # flips to failing
    delivery.send_pending()
    FailedRecord.objects.filter(key="SO-1").update(resolved_at=OLD + dt.timedelta(days=1))
    resync = ResyncRequest.objects.create(integration=busy, method="manual", requested_at=OLD, resolved_at=OLD)
    poll(busy, "recent-ok", days_ago(1))  # flips back to up
    quiet = make_integration("payroll", kind="http", health_url="https://payroll.example.com/status")
    poll(quiet, "only-run", OLD)
    return busy, quiet, resync


def test_history_older_than_the_limit_is_deleted_and_the_rest_kept(history):
    busy, quiet, resync = history
    old_flips = Flip.objects.filter(at__lt=days_ago(400)).count()
    old_alerts = Alert.objects.filter(flip__at__lt=days_ago(400)).count()
    assert old_flips == 3 and old_alerts == 1  # unknown -> up twice, up -> failing (mailed to the owner)
    report = retention.prune_history(NOW, days=400)

    runs = set(Run.objects.values_list("integration__key", "external_id"))
    assert runs == {
        ("orders", "old-bad"),  # SO-2, still open, belongs to it
        ("orders", "recent-ok"),
        ("payroll", "only-run"),  # its source's latest run: the state depends on it
    }
    assert list(FailedRecord.objects.values_list("key", flat=True)) == ["SO-2"]
    assert not ResyncRequest.objects.filter(pk=resync.pk).exists()
    assert list(Flip.objects.filter(integration=busy).values_list("to_state", flat=True)) == ["up"]
    assert not Alert.objects.filter(flip__at__lt=days_ago(400)).exists()
    assert (report.runs, report.failed_records, report.resyncs) == (1, 1, 1)
    assert (report.flips, report.alerts) == (old_flips, old_alerts)
    # The state rows are untouched.
    assert source_of(busy).state == "up" and source_of(quiet).last_run.external_id == "only-run"


def test_pruning_again_deletes_nothing_more(history):
    retention.prune_history(NOW, days=400)
    counts = (Run.objects.count(), Flip.objects.count(), Alert.objects.count(), FailedRecord.objects.count())
    report = retention.prune_history(NOW, days=400)
    assert str(report) == "0 runs, 0 flips, 0 alerts, 0 failed records, 0 re-sync requests"
    assert (Run.objects.count(), Flip.objects.count(), Alert.objects.count(), FailedRecord.objects.count()) == counts


def test_zero_days_keeps_everything(history, settings):
    settings.PLUMBLINE_HISTORY_DAYS = 0
    before = Run.objects.count()
    assert str(retention.prune_history(NOW)) == "0 runs, 0 flips, 0 alerts, 0 failed records, 0 re-sync requests"
    assert Run.objects.count() == before


def test_large_deletes_go_in_chunks(history, monkeypatch):
    busy, _, _ = history
    Run.objects.bulk_create(
        Run(integration=busy, external_id=f"bulk-{n}", source_kind="http", status="success", run_at=OLD)
        for n in range(7)
    )
    monkeypatch.setattr(retention, "CHUNK", 3)
    report = retention.prune_history(NOW, days=400)
    assert report.runs == 8
    assert not Run.objects.filter(external_id__startswith="bulk-").exists()


def test_the_command_prunes_and_refuses_negative_days(history):
    out = io.StringIO()
    call_command("prune_history", "--days", "400", stdout=out)
    assert out.getvalue().startswith("Deleted what was older than 400 days: 1 runs,")
    assert not Run.objects.filter(external_id="old-ok").exists()
    with pytest.raises(Exception, match="--days must be 0"):
        call_command("prune_history", "--days", "-1")
