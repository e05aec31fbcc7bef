"""Slug pings /ping/<ping key>/<slug>[/start|/fail]: a known slug records like its uuid ping; an
unknown one becomes an undocumented observed connection (issue 4, item 5)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from catalog import health
from catalog.models import Integration, PlatformAccount
from catalog.signals import health_changed
from catalog.spec.importer import import_sources
from monitoring.models import FailedRecord, Flip, HealthSource, ObservedConnection, PendingPing, Run
from tests.monitoring.conftest import make_integration, source_of
from tests.monitoring.conftest import post_ping as post
from tests.pages.estate import make_user

pytestmark = pytest.mark.django_db

KEY = "pl-ping-7f3c9a1e5b2d"


@pytest.fixture(autouse=True)
def ping_key(settings):
    settings.PLUMBLINE_PING_KEY = KEY


def written() -> tuple:
    """Everything a ping may write, to show a refused one wrote nothing."""
    return (
        list(
            HealthSource.objects.values_list("state", "ping_counter__last_ping_at", "ping_counter__ping_window_count")
        ),
        Run.objects.count(),
        FailedRecord.objects.count(),
        Flip.objects.count(),
        list(ObservedConnection.objects.values_list("ref", "last_seen_at", "ping_count", "ping_window_count")),
        PendingPing.objects.count(),
    )


def heartbeat_findings() -> list[dict]:
    out = io.StringIO()
    call_command("findings", "--format", "json", stdout=out, stderr=io.StringIO())
    return [f for f in json.loads(out.getvalue()) if f["code"] == "UNDOCUMENTED_CONNECTION"]


def import_heartbeat_spec(key: str) -> None:
    import_sources(
        [
            (
                f"{key}.yaml",
                f"apiVersion: plumbline/v1\nkind: Integration\nkey: {key}\n"
                "sync: {trigger: schedule, interval_minutes: 15}\nhealth: {kind: heartbeat}\n",
            )
        ]
    )


def test_known_slug_records_a_run_and_flips_unknown_to_up(client, integration):
    response = post(client, f"/ping/{KEY}/{integration.key}", {"run_id": "r-1", "records_out": 4})
    assert (response.status_code, response.content) == (200, b"OK")
    run = Run.objects.get()
    assert (run.integration_id, run.external_id, run.status, run.records_out) == (integration.pk, "r-1", "success", 4)
    assert source_of(integration).state == "up"
    assert list(Flip.objects.values_list("from_state", "to_state")) == [("unknown", "up")]
    assert not ObservedConnection.objects.exists()


def test_known_slug_start_then_fail_is_one_failed_run(client, integration):
    post(client, f"/ping/{KEY}/{integration.key}/start")
    assert post(client, f"/ping/{KEY}/{integration.key}/fail", {"message": "refused"}).status_code == 200
    run = Run.objects.get()
    assert (run.status, run.message, run.started_at is not None) == ("failed", "refused", True)
    assert source_of(integration).state == "failing"


def test_known_slug_monitored_another_way_is_409_as_its_uuid_ping(client, db):
    polled = make_integration("orders", kind="http", health_url="https://orders.example.com/status")
    before = written()
    response = post(client, f"/ping/{KEY}/{polled.key}")
    assert response.status_code == 409
    assert b"not heartbeat" in response.content
    assert written() == before


def test_known_unmonitored_slug_is_409_and_observes_nothing(client, db):
    make_integration("manual-csv", kind="none")
    assert post(client, f"/ping/{KEY}/manual-csv").status_code == 409
    assert not ObservedConnection.objects.exists()
    assert not HealthSource.objects.exists()


def test_unknown_slug_becomes_one_observed_heartbeat(client, db):
    response = post(client, f"/ping/{KEY}/shadow-export", {"records_out": 3})
    assert response.status_code == 202
    assert "no spec describes 'shadow-export'" in response.content.decode()
    connection = ObservedConnection.objects.get()
    assert (connection.account, connection.ref, connection.name, connection.ping_count) == (
        None,
        "shadow-export",
        "shadow-export",
        1,
    )
    assert connection.first_seen_at == connection.last_seen_at
    assert Run.objects.count() == 0


def test_a_second_ping_to_an_unknown_slug_updates_it_without_a_duplicate(client, db):
    post(client, f"/ping/{KEY}/shadow-export")
    first = ObservedConnection.objects.get()
    assert post(client, f"/ping/{KEY}/shadow-export/fail").status_code == 202
    again = ObservedConnection.objects.get()
    assert again.pk == first.pk
    assert again.first_seen_at == first.first_seen_at
    assert again.last_seen_at > first.last_seen_at
    assert again.ping_count == 2


def test_unknown_slug_is_read_as_an_undocumented_heartbeat(client, integration):
    post(client, f"/ping/{KEY}/shadow-export")
    observed = health.read_observed_connections()
    assert [(c.source, c.ref, c.name) for c in observed] == [("heartbeat", "shadow-export", "shadow-export")]
    assert observed[0].first_seen_at == ObservedConnection.objects.get().first_seen_at


def test_unknown_slug_is_listed_on_the_observed_connections_page(client, db):
    post(client, f"/ping/{KEY}/shadow-export")
    viewer = Client()
    viewer.force_login(make_user("viewer@example.com", "viewer"))
    page = viewer.get("/connections/observed/")
    assert page.status_code == 200
    assert "<code>shadow-export</code>" in page.content.decode()
    assert "<td>heartbeat</td>" in page.content.decode()


def test_unknown_slug_is_an_undocumented_connection_finding(client, db):
    post(client, f"/ping/{KEY}/shadow-export")
    (finding,) = heartbeat_findings()
    assert (finding["severity"], finding["subject_type"], finding["subject_key"]) == (
        "warning",
        "connection",
        "heartbeat/shadow-export",
    )
    assert "no spec describes it" in finding["message"]


def test_importing_an_integration_with_that_key_documents_it(client, db):
    post(client, f"/ping/{KEY}/shadow-export")
    import_heartbeat_spec("shadow-export")
    assert health.read_observed_connections() == []
    assert heartbeat_findings() == []
    # From now on its slug pings are its runs.
    assert post(client, f"/ping/{KEY}/shadow-export").status_code == 200
    assert Run.objects.filter(integration=Integration.objects.get(key="shadow-export")).count() == 1
    assert ObservedConnection.objects.get().ping_count == 1


def test_a_platform_process_whose_ref_is_an_integration_key_stays_undocumented(db):
    account = PlatformAccount.objects.create(key="celigo-prod", platform="celigo", base_url="https://api.integrator.io")
    make_integration("flow-1")
    now = timezone.now()
    ObservedConnection.objects.create(account=account, ref="flow-1", first_seen_at=now, last_seen_at=now)
    assert [(c.source, c.ref) for c in health.read_observed_connections()] == [("celigo-prod", "flow-1")]


def test_wrong_key_is_404_and_writes_nothing(client, integration):
    before = written()
    for path in (f"/ping/wrong-key/{integration.key}", "/ping/wrong-key/shadow-export", f"/ping/{KEY}x/shadow-export"):
        assert post(client, path).status_code == 404, path
    assert written() == before


def test_unset_key_is_404_and_writes_nothing(client, integration, settings):
    settings.PLUMBLINE_PING_KEY = ""
    before = written()
    assert post(client, f"/ping/{KEY}/{integration.key}").status_code == 404
    assert post(client, f"/ping/{KEY}/shadow-export").status_code == 404
    assert written() == before


def test_a_uuid_shaped_key_is_ignored(client, integration, settings):
    settings.PLUMBLINE_PING_KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert post(client, "/ping/0f8fad5b-d9cb-469f-a165-70867728950e/shadow-export").status_code == 404
    assert not ObservedConnection.objects.exists()


@pytest.mark.parametrize("slug", ["Shadow", "shadow_export", "-shadow", "s" * 101, "start", "fail"])
def test_a_slug_not_shaped_like_an_integration_key_is_404(client, db, slug):
    assert post(client, f"/ping/{KEY}/{slug}").status_code == 404
    assert not ObservedConnection.objects.exists()


def test_a_slug_of_100_characters_is_accepted(client, db):
    assert post(client, f"/ping/{KEY}/{'s' * 100}").status_code == 202


@pytest.mark.parametrize("slug", ["invoices", "shadow-export"])
def test_malformed_json_is_400_and_writes_nothing(client, integration, slug):
    before = written()
    for raw in (b"{not json", b"[1, 2]", b'{"records_in": -1}'):
        assert post(client, f"/ping/{KEY}/{slug}/fail", raw=raw).status_code == 400
    assert written() == before


@pytest.mark.parametrize("slug", ["invoices", "shadow-export"])
def test_body_over_100_kb_is_413_and_writes_nothing(client, integration, slug):
    before = written()
    big = json.dumps({"message": "x" * (100 * 1024)}).encode()
    assert post(client, f"/ping/{KEY}/{slug}", raw=big).status_code == 413
    assert written() == before


def test_too_many_pings_to_one_unknown_slug_is_429(client, db, settings):
    settings.PLUMBLINE_PING_RATE_PER_MINUTE = 2
    statuses = [post(client, f"/ping/{KEY}/shadow-export").status_code for _ in range(2)]
    before = written()
    refused = post(client, f"/ping/{KEY}/shadow-export")
    assert statuses == [202, 202]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert written() == before


def test_too_many_new_unknown_slugs_in_a_minute_is_429(client, db, settings):
    settings.PLUMBLINE_PING_RATE_PER_MINUTE = 3
    statuses = [post(client, f"/ping/{KEY}/shadow-{n}").status_code for n in range(4)]
    assert statuses == [202, 202, 202, 429]
    assert ObservedConnection.objects.count() == 3
    assert post(client, f"/ping/{KEY}/shadow-0").status_code == 202  # a known one is still refreshed


def test_a_known_slug_shares_the_rate_limit_of_its_uuid_ping(client, integration, settings):
    settings.PLUMBLINE_PING_RATE_PER_MINUTE = 2
    assert post(client, f"/ping/{integration.ping_uuid}").status_code == 200
    assert post(client, f"/ping/{KEY}/{integration.key}").status_code == 200
    assert post(client, f"/ping/{KEY}/{integration.key}").status_code == 429


def test_uuid_start_and_fail_routes_still_work_with_a_ping_key_set(client, integration):
    url = f"/ping/{integration.ping_uuid}"
    assert post(client, url + "/start").status_code == 200
    assert Run.objects.get().status == "running"
    assert post(client, url + "/fail").status_code == 200
    assert Run.objects.get().status == "failed"
    assert post(client, url, {"run_id": "r-2"}).status_code == 200
    assert list(Run.objects.order_by("id").values_list("status", flat=True)) == ["failed", "success"]
    assert not ObservedConnection.objects.exists()


def test_the_key_alone_with_a_signal_is_not_a_ping(client, integration):
    before = written()
    for path in (f"/ping/{KEY}/start", f"/ping/{KEY}/fail", f"/ping/{KEY}"):
        assert post(client, path).status_code == 404, path
    assert written() == before


def test_slug_pings_need_no_csrf_token_and_answer_get(integration):
    assert post(Client(enforce_csrf_checks=True), f"/ping/{KEY}/shadow-export").status_code == 202
    assert Client().get(f"/ping/{KEY}/{integration.key}").status_code == 200
    assert Client().put(f"/ping/{KEY}/{integration.key}").status_code == 405


def test_a_new_unknown_slug_asks_for_a_findings_refresh(client, db, django_capture_on_commit_callbacks):
    heard: list[object] = []

    def listener(sender: object, **kwargs: object) -> None:
        heard.append(sender)

    health_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            post(client, f"/ping/{KEY}/shadow-export")
        with django_capture_on_commit_callbacks(execute=True):
            post(client, f"/ping/{KEY}/shadow-export")  # already known: nothing new to find
    finally:
        health_changed.disconnect(listener)
    assert heard == [ObservedConnection]
