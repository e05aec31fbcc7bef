"""Re-sync requests end to end: requested on the health page, replayed once through the platform
(stand-ins), tracked until resolved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import Integration, PlatformAccount
from monitoring.health import resync
from monitoring.health.pipeline import record_poll
from monitoring.models import FailedRecord, ResyncRequest
from monitoring.platforms import outbound
from monitoring.platforms.contract import FailedRecordObservation, PollResult, PollTarget, RunObservation
from monitoring.platforms.workato import adapter as workato
from tests.monitoring.conftest import make_integration, minutes, source_of
from tests.monitoring.standins import CeligoStandIn, WorkatoStandIn
from tests.pages.estate import make_user

pytestmark = pytest.mark.django_db

TOKEN = "resync-api-token"
ENV = "PLUMBLINE_CRED_TEST_RESYNC_SECRET"
FLOW = "5f0a1b2c3d4e5f6a7b8c9d0e"
EXPORT = "5f0a00000000000000000e01"
IMPORT = "5f0a00000000000000000101"
FLOW_DEFINITION = {"_id": FLOW, "pageGenerators": [{"_exportId": EXPORT}], "pageProcessors": [{"_importId": IMPORT}]}
T0 = dt.datetime(2026, 5, 1, 10, 40, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, TOKEN)


def celigo_error(key: str, second: int) -> dict:
    return {
        "occurredAt": (T0 + dt.timedelta(seconds=second)).isoformat(),
        "code": "invalid_field",
        "message": f"Invoice {key}: subsidiary is required",
        "traceKey": key,
        "retryDataKey": f"retry-{key}",
        "errorId": f"err-{key}",
    }


def celigo_standin() -> CeligoStandIn:
    errors = {
        (FLOW, IMPORT): [celigo_error("INV-1", 1), celigo_error("INV-2", 2), celigo_error("INV-3", 3)],
        (FLOW, EXPORT): [celigo_error("INV-9", 9)],
    }
    return CeligoStandIn(token=TOKEN, jobs=[], flows=[FLOW_DEFINITION], errors=errors)


def platform_integration(kind: str, base_url: str, ref: str, **extra: Any) -> Integration:
    account = PlatformAccount.objects.create(key=f"{kind}-prod", platform=kind, base_url=base_url, secret_env=ENV)
    extra.setdefault("resync", "replay-in-order")
    return make_integration(
        "invoices", kind=kind, health_account=account, health_ref=ref, owner="ana@example.com", **extra
    )


def fail(integration: Integration, *keys: str, now: dt.datetime = T0) -> None:
    """Failed records as the Celigo adapter reports them (external id = retryDataKey), in this order."""
    observed = [
        FailedRecordObservation(key=key, error="subsidiary is required", occurred_at=T0, external_id=f"retry-{key}")
        for key in keys
    ]
    record_poll(integration, PollResult(failed_records=observed), now=now)


def request(integration: Integration, *keys: str, capture: Any) -> ResyncRequest:
    """A re-sync of these records as the health page makes it; the queued task is captured, not sent."""
    queued: list[int] = []
    with capture(execute=False) as callbacks:
        made = resync.request_resync(
            integration, FailedRecord.objects.filter(key__in=keys), None, T0, enqueue=queued.append
        )
    assert len(callbacks) == (1 if made.method == "replay" else 0)
    assert queued == []  # only once the request commits
    return made


def reloaded(made: ResyncRequest) -> ResyncRequest:
    return ResyncRequest.objects.get(pk=made.pk)


def test_a_replay_sends_the_records_to_celigo_in_their_original_order(django_capture_on_commit_callbacks):
    server = celigo_standin()
    with server as base_url:
        integration = platform_integration("celigo", base_url, FLOW)
        fail(integration, "INV-3", "INV-1", "INV-9", "INV-2")
        made = request(integration, "INV-1", "INV-2", "INV-3", "INV-9", capture=django_capture_on_commit_callbacks)
        status = resync.replay(made.pk, now=T0 + minutes(1))
    bodies = [r.json()["retryDataKeys"] for r in server.requests if r.path.endswith("/retry")]
    assert bodies == [["retry-INV-3", "retry-INV-1"], ["retry-INV-9"], ["retry-INV-2"]]
    made = reloaded(made)
    assert (status, made.status, made.sent_at) == ("sent", "sent", T0 + minutes(1))
    assert made.platform_ref == "retry-job-1, retry-job-2, retry-job-3"
    assert made.note == "Sent 4 of 4 records in their original order."
    assert set(FailedRecord.objects.values_list("replay_requested_at", flat=True)) == {T0 + minutes(1)}


def test_a_replay_sends_the_failed_workato_jobs_in_the_order_they_failed(django_capture_on_commit_callbacks):
    jobs = [
        {"id": "j-4", "status": "failed", "error": "Invalid subsidiary", "started_at": "2026-05-01T10:40:00Z"},
        {"id": "j-3", "status": "succeeded", "started_at": "2026-05-01T10:30:00Z"},
        {"id": "j-1", "status": "failed", "error": "Invalid subsidiary", "started_at": "2026-05-01T10:10:00Z"},
    ]
    server = WorkatoStandIn(token=TOKEN, jobs={"42": jobs})
    with server as base_url:
        integration = platform_integration("workato", base_url, "42")
        with outbound.make_client() as client:
            target = PollTarget(kind="workato", ref="42", base_url=base_url, secret_env=ENV)
            record_poll(integration, workato.poll(target, client))
        made = request(integration, "j-1", "j-4", capture=django_capture_on_commit_callbacks)
        assert resync.replay(made.pk) == "sent"
    assert server.repeated == [("42", ["j-1", "j-4"])]
    assert [r.json() for r in server.requests_to("/api/recipes/42/repeat_jobs")] == [{"job_ids": ["j-1", "j-4"]}]


def test_a_second_run_of_the_task_sends_nothing(django_capture_on_commit_callbacks):
    server = celigo_standin()
    with server as base_url:
        integration = platform_integration("celigo", base_url, FLOW)
        fail(integration, "INV-1", "INV-2")
        made = request(integration, "INV-1", "INV-2", capture=django_capture_on_commit_callbacks)
        assert resync.replay(made.pk) == "sent"
        calls = len(server.requests)
        assert resync.replay(made.pk) == "skipped"
    assert len(server.requests) == calls
    assert len(server.retried) == 1


def test_a_request_another_worker_claimed_is_not_sent(django_capture_on_commit_callbacks):
    server = celigo_standin()
    with server as base_url:
        integration = platform_integration("celigo", base_url, FLOW)
        fail(integration, "INV-1")
        made = request(integration, "INV-1", capture=django_capture_on_commit_callbacks)
        ResyncRequest.objects.filter(pk=made.pk).update(status="sending", claimed_at=T0)
        assert resync.replay(made.pk) == "skipped"
    assert server.requests == []


def test_refused_credentials_mark_the_request_failed_without_the_secret(
    django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setenv(ENV, "wrong-resync-secret")
    server = celigo_standin()
    with server as base_url:
        integration = platform_integration("celigo", base_url, FLOW)
        fail(integration, "INV-1")
        made = request(integration, "INV-1", capture=django_capture_on_commit_callbacks)
        assert resync.replay(made.pk) == "failed"
    made = reloaded(made)
    assert made.status == "failed"
    assert "credentials refused (HTTP 401)" in made.error
    assert "wrong-resync-secret" not in made.error
    assert server.retried == []
    assert FailedRecord.objects.get().replay_requested_at is None


def test_records_celigo_no_longer_holds_are_not_sent_and_are_named(django_capture_on_commit_callbacks):
    server = celigo_standin()
    with server as base_url:
        integration = platform_integration("celigo", base_url, FLOW)
        fail(integration, "INV-1", "INV-5")
        made = request(integration, "INV-1", "INV-5", capture=django_capture_on_commit_callbacks)
        assert resync.replay(made.pk) == "sent"
    made = reloaded(made)
    assert (
        made.note == "Sent 1 of 2 records in their original order. Not sent: INV-5 (no open retryable error at Celigo)."
    )
    assert FailedRecord.objects.get(key="INV-5").replay_requested_at is None


@pytest.mark.parametrize("kind", ["heartbeat", "http", "boomi", "mulesoft"])
def test_a_source_without_a_replay_api_makes_the_request_manual(kind, django_capture_on_commit_callbacks):
    integration = make_integration("invoices", kind=kind, resync="replay-in-order")
    record_poll(integration, PollResult(failed_records=[FailedRecordObservation(key="INV-1", error="x")]))
    made = request(integration, "INV-1", capture=django_capture_on_commit_callbacks)
    assert resync.replay(made.pk) == "manual"
    made = reloaded(made)
    assert (made.method, made.status) == ("manual", "manual")
    assert made.note.startswith("Replay by hand: ")
    assert made.claimed_at is None


def test_a_spec_without_replay_in_order_gets_a_manual_request_and_no_task(django_capture_on_commit_callbacks):
    integration = make_integration("invoices", resync="manual")
    record_poll(integration, PollResult(failed_records=[FailedRecordObservation(key="INV-1", error="x")]))
    made = request(integration, "INV-1", capture=django_capture_on_commit_callbacks)
    assert (made.method, made.status) == ("manual", "manual")
    assert resync.replay(made.pk) == "skipped"


def test_replayed_records_resolve_when_a_later_run_succeeds(django_capture_on_commit_callbacks):
    server = celigo_standin()
    with server as base_url:
        integration = platform_integration("celigo", base_url, FLOW)
        fail(integration, "INV-1", "INV-2")
        made = request(integration, "INV-1", "INV-2", capture=django_capture_on_commit_callbacks)
        resync.replay(made.pk, now=T0)
    finished = T0 + minutes(5)
    record_poll(integration, PollResult(runs=[RunObservation("retry-job-1", "success", finished_at=finished)]))
    assert resync.settle(now=finished) == 1
    assert reloaded(made).status == "resolved"
    assert not FailedRecord.objects.filter(resolved_at=None).exists()
    assert source_of(integration).open_failed_records == 0


def test_a_record_that_fails_again_after_the_replay_stays_open(django_capture_on_commit_callbacks):
    server = celigo_standin()
    with server as base_url:
        integration = platform_integration("celigo", base_url, FLOW)
        fail(integration, "INV-1", "INV-2")
        made = request(integration, "INV-1", "INV-2", capture=django_capture_on_commit_callbacks)
        resync.replay(made.pk, now=T0)
    again = FailedRecordObservation(key="INV-2", error="still no subsidiary", external_id="retry-INV-2-again")
    record_poll(
        integration,
        PollResult(runs=[RunObservation("job-9", "success", finished_at=T0 + minutes(5))], failed_records=[again]),
        now=T0 + minutes(5),
    )
    assert resync.settle(now=T0 + minutes(6)) == 0
    assert reloaded(made).status == "sent"
    open_records = FailedRecord.objects.filter(resolved_at=None).order_by("position")
    assert [(r.key, r.error) for r in open_records] == [
        ("INV-2", "subsidiary is required"),
        ("INV-2", "still no subsidiary"),
    ]


def test_a_replay_request_not_picked_up_is_queued_again_after_ten_minutes(django_capture_on_commit_callbacks):
    integration = make_integration("invoices", kind="celigo", resync="replay-in-order")
    record_poll(integration, PollResult(failed_records=[FailedRecordObservation(key="INV-1", error="x")]))
    made = request(integration, "INV-1", capture=django_capture_on_commit_callbacks)
    assert resync.stale_open(now=T0 + minutes(9)) == []
    assert resync.stale_open(now=T0 + minutes(11)) == [made.pk]


def owner_client() -> Client:
    client = Client()
    client.force_login(make_user("ana@example.com", "owner"))  # type: ignore[arg-type]
    return client


def test_the_health_page_requests_a_replay_and_shows_its_status(django_capture_on_commit_callbacks):
    server = celigo_standin()
    with server as base_url:
        integration = platform_integration("celigo", base_url, FLOW)
        fail(integration, "INV-3", "INV-1", now=timezone.now())
        client = owner_client()
        ids = list(FailedRecord.objects.values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post(
                f"/integrations/{integration.key}/health/failed-records/", {"action": "resync", "record": ids}
            )
        assert response.status_code == 302
        assert len(callbacks) == 1  # the replay task, queued once the request is committed
        made = ResyncRequest.objects.get()
        assert "Open" in client.get(f"/integrations/{integration.key}/health/").content.decode()
        resync.replay(made.pk)
    page = client.get(f"/integrations/{integration.key}/health/").content.decode()
    assert "Sent to the platform" in page
    assert "retry-job-1" in page
    assert "Sent 2 of 2 records in their original order." in page
    assert "replay requested" in page


def test_the_health_page_shows_why_a_replay_failed(django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setenv(ENV, "wrong-resync-secret")
    server = celigo_standin()
    with server as base_url:
        integration = platform_integration("celigo", base_url, FLOW)
        fail(integration, "INV-1", now=timezone.now())
        made = request(integration, "INV-1", capture=django_capture_on_commit_callbacks)
        resync.replay(made.pk)
    page = owner_client().get(f"/integrations/{integration.key}/health/").content.decode()
    assert "Replay failed" in page
    assert "credentials refused (HTTP 401)" in page
    assert "wrong-resync-secret" not in page


def test_resolving_every_record_on_the_page_resolves_the_request(django_capture_on_commit_callbacks):
    integration = make_integration("invoices", resync="manual", owner="ana@example.com")
    record_poll(
        integration,
        PollResult(failed_records=[FailedRecordObservation(key=k, error="x") for k in ("INV-1", "INV-2")]),
    )
    made = request(integration, "INV-1", "INV-2", capture=django_capture_on_commit_callbacks)
    client = owner_client()
    url = f"/integrations/{integration.key}/health/failed-records/"
    client.post(url, {"action": "resolve", "record": [FailedRecord.objects.get(key="INV-1").pk]})
    assert reloaded(made).status == "manual"
    client.post(url, {"action": "resolve", "record": [FailedRecord.objects.get(key="INV-2").pk]})
    assert reloaded(made).status == "resolved"


def test_a_failed_replay_can_be_marked_resolved_by_hand(django_capture_on_commit_callbacks):
    integration = make_integration("invoices", resync="manual", owner="ana@example.com")
    record_poll(integration, PollResult(failed_records=[FailedRecordObservation(key="INV-1", error="x")]))
    made = request(integration, "INV-1", capture=django_capture_on_commit_callbacks)
    ResyncRequest.objects.filter(pk=made.pk).update(status="failed", error="HTTP 503")
    owner_client().post(f"/resyncs/{made.pk}/resolve/")
    assert reloaded(made).status == "resolved"
    assert FailedRecord.objects.get().resolved_at is not None
