"""Reconciliation through real polls: a status document's source_count / target_count and a run's
records in / out / failed are stored on the run, and the findings refresh raises RECONCILIATION_GAP
and RECORDS_DROPPED from the latest finished run (and drops them when the next run adds up); the
`findings` command and /findings/ list them; the health page charts records in and out."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from catalog.models import StoredFinding
from catalog.rules.store import refresh_findings
from catalog.signals import health_changed
from monitoring.health import timeline
from monitoring.ingest.polling import poll_source
from monitoring.models import Run
from monitoring.platforms.contract import PollTarget
from monitoring.platforms.json_runs import adapter as json_runs
from monitoring.platforms.json_runs.standin import JsonRunsStandIn
from plumbline.accounts.roles import assign_role
from tests.monitoring.conftest import make_integration, minutes, post_ping, source_of
from tests.monitoring.standins import StatusPage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]


def ago(n: float) -> str:
    return (timezone.now() - minutes(n)).isoformat()


def run(run_id: str, finished_minutes_ago: float, **counts) -> dict:
    at = ago(finished_minutes_ago)
    return {"id": run_id, "started_at": at, "finished_at": at, "status": "success", **counts}


def findings(code: str) -> dict[str, str]:
    return dict(StoredFinding.objects.filter(code=code).values_list("subject_key", "message"))


def poll_page(page: StatusPage, key: str = "ledger", **spec):
    """An http integration reading `page`, polled for real, then the findings refreshed."""
    with page as base_url:
        integration = make_integration(key, kind="http", health_url=f"{base_url}/status", **spec)
        outcome = poll_source(integration.pk)
    assert outcome.error == ""
    refresh_findings()
    return integration


def test_a_status_document_gap_is_stored_on_the_run_and_is_a_reconciliation_gap():
    counts = {
        "records_in": 500,
        "records_out": 500,
        "source_count": 1200,
        "target_count": 1190,
        "period_start": "2026-11-30T00:00:00Z",
        "period_end": "2026-12-01T00:00:00+00:00",
    }
    poll_page(StatusPage({"runs": [run("r-7", 2, **counts)]}), reconciliation_tolerance_records=9)
    stored = Run.objects.get(external_id="r-7")
    assert (stored.source_count, stored.target_count) == (1200, 1190)
    assert (stored.period_start.isoformat(), stored.period_end.isoformat()) == (
        "2026-11-30T00:00:00+00:00",
        "2026-12-01T00:00:00+00:00",
    )
    message = findings("RECONCILIATION_GAP")["ledger"]
    assert message.startswith("For 2026-11-30 00:00 to 2026-12-01 00:00 UTC (reported with run r-7 (")
    assert "the source counted 1,200 records and the target 1,190: a gap of 10 (0.83%)" in message
    assert "tolerates (9 records)" in message
    assert findings("RECORDS_DROPPED") == {}


def test_a_gap_at_the_tolerance_is_no_finding():
    page = StatusPage({"runs": [run("r-7", 2, source_count=1200, target_count=1190)]})
    poll_page(page, reconciliation_tolerance_records=10)
    assert findings("RECONCILIATION_GAP") == {}


def test_records_dropped_at_the_percent_tolerance_then_one_past_then_resolved_by_a_clean_run():
    page = StatusPage({"runs": [run("r-1", 30, records_in=2000, records_out=1985, records_failed=5)]})
    with page as base_url:
        integration = make_integration("ledger", kind="http", health_url=f"{base_url}/status")
        integration.reconciliation_tolerance_percent = 0.5  # 10 of 2,000
        integration.save()
        poll_source(integration.pk)
        refresh_findings()
        assert findings("RECORDS_DROPPED") == {}

        page.body = {"runs": [run("r-2", 20, records_in=2000, records_out=1984, records_failed=5), *page.body["runs"]]}
        poll_source(integration.pk)
        refresh_findings()
        assert findings("RECORDS_DROPPED") == {
            "ledger": "Run r-2 ("
            + f"{Run.objects.get(external_id='r-2').run_at:%Y-%m-%d %H:%M} UTC) took in 2,000 records but moved "
            "1,984 and failed 5: 11 unaccounted for (0.55%), more than the spec's reconciliation tolerates (0.5%)."
        }

        page.body = {"runs": [run("r-3", 10, records_in=2000, records_out=2000), *page.body["runs"]]}
        poll_source(integration.pk)
        refresh_findings()
        assert findings("RECORDS_DROPPED") == {}
    assert source_of(integration).last_run.external_id == "r-3"


def test_a_poll_storing_a_run_that_does_not_add_up_asks_for_a_findings_refresh_without_a_flip(
    django_capture_on_commit_callbacks,
):
    told: list[list[int]] = []

    def receiver(sender, integration_ids, **kwargs):
        told.append(integration_ids)

    page = StatusPage({"runs": [run("r-1", 30, records_in=10, records_out=10)]})
    health_changed.connect(receiver, dispatch_uid="test-reconciliation")
    try:
        with page as base_url:
            integration = make_integration("ledger", kind="http", health_url=f"{base_url}/status")
            with django_capture_on_commit_callbacks(execute=True):
                poll_source(integration.pk)  # unknown -> up: a flip, which tells catalog itself
            told.clear()
            page.body = {"runs": [run("r-2", 20, records_in=10, records_out=9), *page.body["runs"]]}
            with django_capture_on_commit_callbacks(execute=True):
                poll_source(integration.pk)  # still up: no flip, but the counts do not add up
            assert told == [[integration.pk]]
            page.body = {"runs": [run("r-3", 10, records_in=10, records_out=10), *page.body["runs"]]}
            with django_capture_on_commit_callbacks(execute=True):
                poll_source(integration.pk)  # adds up again: the finding must go, so catalog is told
            assert told == [[integration.pk], [integration.pk]]
            page.body = {"runs": [run("r-4", 5, records_in=10, records_out=10), *page.body["runs"]]}
            with django_capture_on_commit_callbacks(execute=True):
                poll_source(integration.pk)  # nothing to reconcile before or after: nothing to tell
            assert told == [[integration.pk], [integration.pk]]
    finally:
        health_changed.disconnect(dispatch_uid="test-reconciliation")
    assert source_of(integration).state == "up"


def test_a_source_count_that_is_no_whole_number_is_a_poll_error_naming_the_key():
    page = StatusPage({"runs": [run("r-1", 2, source_count="many", target_count=3)]})
    with page as base_url:
        integration = make_integration("ledger", kind="http", health_url=f"{base_url}/status")
        outcome = poll_source(integration.pk)
    assert "source_count" in outcome.error
    assert not Run.objects.exists()


def test_a_json_source_reads_the_counts_through_its_fields(outbound_client):
    options = {
        "items": "data",
        "fields": {
            "id": "jobId",
            "status": "status",
            "source_count": "counts.read",
            "target_count": "counts.written",
            "period_start": "window.from",
            "period_end": "window.to",
        },
        "status_map": {"succeeded": "success"},
    }
    job = {
        "jobId": 7,
        "status": "succeeded",
        "counts": {"read": 40, "written": 38},
        "window": {"from": "2026-11-30T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
    }
    with JsonRunsStandIn(runs=[job], token=None) as base:
        result = json_runs.poll(PollTarget(kind="json", url=f"{base}/v1/jobs", options=options), outbound_client)
    (observed,) = result.runs
    assert (observed.source_count, observed.target_count) == (40, 38)
    assert (observed.period_start.isoformat(), observed.period_end.isoformat()) == (
        "2026-11-30T00:00:00+00:00",
        "2026-12-01T00:00:00+00:00",
    )


@pytest.fixture
def both_findings():
    page = StatusPage({"runs": [run("r-9", 2, records_in=10, records_out=8, source_count=10, target_count=7)]})
    poll_page(page)


def test_the_findings_command_lists_both_codes(both_findings):
    out = io.StringIO()
    call_command("findings", "--format", "json", stdout=out, stderr=io.StringIO())
    codes = {(f["code"], f["subject_key"], f["severity"]) for f in json.loads(out.getvalue())}
    assert ("RECORDS_DROPPED", "ledger", "warning") in codes
    assert ("RECONCILIATION_GAP", "ledger", "warning") in codes


def test_the_findings_page_lists_both_codes_with_their_titles(both_findings, client, django_user_model):
    user = django_user_model.objects.create(username="viewer@example.com", email="viewer@example.com")
    assign_role(user, "viewer")
    client.force_login(user)
    body = client.get("/findings/").content.decode()
    assert '<span class="code">RECORDS_DROPPED</span>' in body
    assert "The last run lost records on the way" in body
    assert '<span class="code">RECONCILIATION_GAP</span>' in body
    assert "Source and target counts do not agree" in body
    filtered = client.get("/findings/?code=RECONCILIATION_GAP").content.decode()
    assert "RECONCILIATION_GAP" in filtered and '<span class="code">RECORDS_DROPPED</span>' not in filtered


def test_the_health_page_charts_records_in_and_out_escaped(client, django_user_model):
    page = StatusPage({"runs": [run("<r-1>", 60, records_in=120, records_out=100), run("r-0", 120, records_in=50)]})
    integration = poll_page(page)
    user = django_user_model.objects.create(username="viewer@example.com", email="viewer@example.com")
    assign_role(user, "viewer")
    client.force_login(user)
    body = client.get(f"/integrations/{integration.key}/health/").content.decode()
    assert "<title>&lt;r-1&gt;: 120 in, 100 out</title>" in body
    assert "<title>r-0: 50 in, not reported out</title>" in body
    assert "(axis 0–120)" in body
    assert "<r-1>" not in body


def test_the_recent_runs_show_the_source_and_target_counts_and_their_period(client, django_user_model):
    counts = {"source_count": 1200, "target_count": 1190, "period_start": "2026-11-30T00:00:00Z"}
    integration = poll_page(StatusPage({"runs": [run("r-7", 2, **counts), run("r-6", 30)]}))
    user = django_user_model.objects.create(username="viewer@example.com", email="viewer@example.com")
    assign_role(user, "viewer")
    client.force_login(user)
    body = client.get(f"/integrations/{integration.key}/health/").content.decode()
    assert '<td>1200 / 1190 <span class="empty">for 2026-11-30 00:00 to …</span></td>' in body


def test_runs_sharing_a_bar_chart_their_summed_records_with_what_was_not_moved_above():
    now = timezone.now()
    points = [
        timeline.RunPoint(at=now - minutes(60), status="success", label="r-1 success", records_in=100, records_out=60),
        timeline.RunPoint(at=now - minutes(60), status="success", label="r-2 success", records_in=100, records_out=80),
        timeline.RunPoint(at=now - minutes(600), status="success", label="r-3 success", records_in=50, records_out=50),
        timeline.RunPoint(at=now - minutes(900), status="success", label="r-4 success"),  # counts nothing
    ]
    chart = timeline.build(points, now=now, declared_minutes=None, median_minutes=None)
    assert chart.records_max == 200
    assert [bar.label for bar in chart.record_bars] == ["r-3: 50 in, 50 out", "2 runs here: 200 in, 140 out"]
    shared = chart.record_bars[1]
    tallest = timeline.RECORDS_BAND - timeline.RECORDS_HEADROOM
    assert shared.in_height == tallest and shared.out_height == round(140 / 200 * tallest, 1)
    assert shared.in_y < shared.out_y  # the light bar (in) shows above the dark one (out)
    assert shared.in_y + shared.in_height == shared.out_y + shared.out_height == chart.records_top + chart.records_band


def test_a_heartbeat_ping_that_drops_records_is_a_finding_and_asks_for_a_refresh(
    client, django_capture_on_commit_callbacks
):
    told: list[list[int]] = []

    def receiver(sender, integration_ids, **kwargs):
        told.append(integration_ids)

    integration = make_integration("ledger")  # heartbeat
    path = reverse("ping", args=[integration.ping_uuid])
    health_changed.connect(receiver, dispatch_uid="test-reconciliation-ping")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post_ping(client, path, {"records_in": 10, "records_out": 10})  # unknown -> up: a flip
        told.clear()
        with django_capture_on_commit_callbacks(execute=True):
            post_ping(client, path, {"records_in": 10, "records_out": 9})
        assert told == [[integration.pk]]
        refresh_findings()
        assert (
            "took in 10 records but moved 9 and failed 0: 1 unaccounted for (10.00%)"
            in findings("RECORDS_DROPPED")["ledger"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            post_ping(client, path, {"records_in": 10, "records_out": 10})
        assert told == [[integration.pk], [integration.pk]]
        with django_capture_on_commit_callbacks(execute=True):
            post_ping(client, path, {"records_in": 10, "records_out": 10})
        assert told == [[integration.pk], [integration.pk]]
    finally:
        health_changed.disconnect(dispatch_uid="test-reconciliation-ping")
    refresh_findings()
    assert findings("RECORDS_DROPPED") == {}
    assert source_of(integration).state == "up"
