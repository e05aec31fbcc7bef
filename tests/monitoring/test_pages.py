"""The health page of an integration and the observed connections page, for each role."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import PlatformAccount
from monitoring.health.pipeline import record_poll
from monitoring.models import Alert, FailedRecord, ObservedConnection, ResyncRequest
from monitoring.platforms.contract import FailedRecordObservation, PollResult, RunObservation
from tests.monitoring.conftest import make_integration, minutes, source_of
from tests.pages.estate import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing(db):
    integration = make_integration(
        "invoices", owner="ana@example.com", backup="raj@example.com", resync="replay-in-order"
    )
    now = timezone.now()
    record_poll(
        integration,
        PollResult(
            runs=[
                RunObservation("r-1", "success", finished_at=now - minutes(30), records_out=5),
                RunObservation("r-2", "failed", finished_at=now - minutes(15), message="period closed"),
            ],
            failed_records=[
                FailedRecordObservation(key=f"INV-{n}", error="period closed", run_external_id="r-2") for n in (3, 1, 2)
            ],
        ),
        now=now,
    )
    return integration


def client_as(email: str | None, role: str | None = "owner") -> Client:
    client = Client()
    if email:
        client.force_login(make_user(email, role))  # type: ignore[arg-type]
    return client


def selected(*keys: str) -> list[int]:
    return list(FailedRecord.objects.filter(key__in=keys).order_by("position").values_list("pk", flat=True))


def test_anonymous_visitors_are_sent_to_log_in(failing):
    response = Client().get("/integrations/invoices/health/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_user_without_a_role_is_refused(failing):
    assert client_as("nobody@example.com", None).get("/integrations/invoices/health/").status_code == 403


def test_a_viewer_sees_runs_timeline_failed_records_and_alerts_but_no_buttons(failing):
    response = client_as("viewer@example.com", "viewer").get("/integrations/invoices/health/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in page and page.count("<rect x=") >= 2
    assert "declared 15 min" in page
    assert "period closed" in page
    assert "[Plumbline] Invoices is FAILING" in page
    assert page.index("INV-3") < page.index("INV-1") < page.index("INV-2")
    assert 'value="resolve"' not in page
    assert "/ping/" not in page  # the heartbeat URL is a secret for owners and admins


def test_the_owner_sees_the_buttons_and_the_heartbeat_url(failing):
    page = client_as("ana@example.com").get("/integrations/invoices/health/").content.decode()
    assert 'value="resolve"' in page and 'value="resync"' in page
    assert f"/ping/{failing.ping_uuid}" in page


def test_an_unknown_integration_is_404(db):
    assert client_as("viewer@example.com", "viewer").get("/integrations/nope/health/").status_code == 404


def test_the_owner_resolves_failed_records_and_the_open_count_follows(failing):
    client = client_as("ana@example.com")
    response = client.post(
        "/integrations/invoices/health/failed-records/", {"action": "resolve", "record": selected("INV-3", "INV-1")}
    )
    assert response.status_code == 302
    assert sorted(FailedRecord.objects.filter(resolved_at=None).values_list("key", flat=True)) == ["INV-2"]
    assert source_of(failing).open_failed_records == 1


def test_the_backup_owner_acknowledges_failed_records(failing):
    client_as("raj@example.com").post(
        "/integrations/invoices/health/failed-records/", {"action": "acknowledge", "record": selected("INV-2")}
    )
    record = FailedRecord.objects.get(key="INV-2")
    assert record.acknowledged_at is not None and record.acknowledged_by.email == "raj@example.com"


def test_a_resync_request_keeps_the_records_original_order_until_resolved(failing):
    client = client_as("ana@example.com")
    client.post(
        "/integrations/invoices/health/failed-records/", {"action": "resync", "record": selected("INV-1", "INV-3")}
    )
    resync = ResyncRequest.objects.get()
    assert (resync.method, resync.status, resync.requested_by.email) == ("replay", "open", "ana@example.com")
    assert [r.key for r in resync.failed_records.order_by("position")] == ["INV-3", "INV-1"]
    client.post(f"/resyncs/{resync.pk}/resolve/")
    resync.refresh_from_db()
    assert resync.status == "resolved"
    assert sorted(FailedRecord.objects.filter(resolved_at=None).values_list("key", flat=True)) == ["INV-2"]


def test_a_viewer_may_not_act_on_failed_records(failing):
    response = client_as("viewer@example.com", "viewer").post(
        "/integrations/invoices/health/failed-records/", {"action": "resolve", "record": selected("INV-1")}
    )
    assert response.status_code == 403
    assert FailedRecord.objects.filter(resolved_at=None).count() == 3


def test_another_owner_may_not_act_on_this_integration(failing):
    response = client_as("olivia@example.com").post(f"/alerts/{Alert.objects.first().pk}/acknowledge/")
    assert response.status_code == 403


def test_actions_need_a_csrf_token(failing):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("ana@example.com", "owner"))
    response = client.post(
        "/integrations/invoices/health/failed-records/", {"action": "resolve", "record": selected("INV-1")}
    )
    assert response.status_code == 403


def test_acknowledging_an_alert_acknowledges_its_flip(failing):
    alert = Alert.objects.get()
    client_as("ana@example.com").post(f"/alerts/{alert.pk}/acknowledge/")
    alert.refresh_from_db()
    assert alert.acknowledged_by.email == "ana@example.com"


def test_pausing_and_resuming_are_flips(failing):
    client = client_as("ana@example.com")
    client.post("/integrations/invoices/health/pause/", {"action": "pause"})
    assert source_of(failing).state == "paused"
    client.post("/integrations/invoices/health/pause/", {"action": "resume"})
    assert source_of(failing).state == "failing"


def test_the_observed_connections_page_lists_only_undocumented_ones(db):
    account = PlatformAccount.objects.create(key="boomi-prod", platform="boomi", base_url="https://api.boomi.com")
    make_integration("orders", kind="boomi", health_account=account, health_ref="p-1")
    now = timezone.now()
    for ref, name in (("p-1", "Orders sync"), ("p-2", "Shadow vendor export")):
        ObservedConnection.objects.create(account=account, ref=ref, name=name, first_seen_at=now, last_seen_at=now)
    page = client_as("viewer@example.com", "viewer").get("/connections/observed/").content.decode()
    assert "Shadow vendor export" in page
    assert "Orders sync" not in page
