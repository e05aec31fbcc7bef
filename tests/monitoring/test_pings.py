"""Heartbeat endpoints /ping/<uuid>[/start|/fail]: what they store and what they refuse."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from monitoring.models import FailedRecord, Flip, HealthSource, PendingPing, PingCounter, Run
from tests.monitoring.conftest import make_integration, source_of
from tests.monitoring.conftest import post_ping as post

pytestmark = pytest.mark.django_db


def state_snapshot(integration) -> tuple:
    source = source_of(integration)
    return (
        source.state,
        source.last_ping_at,
        pings_counted(source),
        Run.objects.count(),
        FailedRecord.objects.count(),
        Flip.objects.count(),
        PendingPing.objects.count(),
    )


def pings_counted(source: HealthSource) -> int:
    """Pings counted against the rate limit in the current minute (0 before the first)."""
    counter = PingCounter.objects.filter(source=source).first()
    return counter.ping_window_count if counter else 0


@pytest.fixture
def url(integration) -> str:
    return f"/ping/{integration.ping_uuid}"


def test_success_ping_flips_unknown_to_up(client, integration, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == b"OK"
    source = source_of(integration)
    assert source.state == "up"
    assert source.last_success_at == source.last_ping_at
    assert list(Flip.objects.values_list("from_state", "to_state")) == [("unknown", "up")]


def test_ping_needs_no_csrf_token(integration, url):
    response = post(Client(enforce_csrf_checks=True), url, {"records_out": 3})
    assert response.status_code == 200


def test_fail_ping_stores_failed_records_in_the_order_sent(client, integration, url):
    body = {
        "run_id": "nightly-7",
        "records_in": 3,
        "records_out": 0,
        "message": "NetSuite refused the batch",
        "failed_records": [
            {"key": "INV-3", "error": "closed period", "occurred_at": "2026-05-01T10:00:03Z"},
            {"key": "INV-1", "error": "unknown customer", "occurred_at": "2026-05-01T10:00:01Z"},
            {"key": "INV-2", "error": "duplicate", "occurred_at": "2026-05-01T10:00:02Z"},
        ],
    }
    assert post(client, url + "/fail", body).status_code == 200
    records = FailedRecord.objects.order_by("position")
    assert [r.key for r in records] == ["INV-3", "INV-1", "INV-2"]
    assert {r.run.external_id for r in records} == {"nightly-7"}
    run = Run.objects.get()
    assert (run.status, run.records_in, run.records_out, run.records_failed) == ("failed", 3, 0, 3)
    source = source_of(integration)
    assert source.state == "failing"
    assert source.open_failed_records == 3


def test_start_then_success_without_run_id_is_one_run(client, integration, url):
    post(client, url + "/start")
    post(client, url)
    run = Run.objects.get()
    assert run.status == "success"
    assert run.started_at is not None and run.finished_at >= run.started_at


def test_repeating_a_ping_with_the_same_run_id_adds_no_run(client, integration, url):
    body = {"run_id": "r-1", "records_out": 5, "failed_records": [{"key": "A", "error": "x"}]}
    post(client, url + "/fail", body)
    post(client, url + "/fail", body)
    assert Run.objects.count() == 1
    assert FailedRecord.objects.count() == 1


def test_success_after_failure_flips_back_to_up(client, integration, url):
    post(client, url + "/fail", {"run_id": "r-1"})
    post(client, url, {"run_id": "r-2", "records_out": 4})
    assert list(Flip.objects.order_by("id").values_list("to_state", flat=True)) == ["failing", "up"]


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        b'{"records_in": -1}',
        b'{"records_out": "ten"}',
        b'{"failed_records": [{"error": "no key"}]}',
        b'{"failed_records": [{"key": "A", "occurred_at": "yesterday"}]}',
        b'{"failed_records": {"key": "A"}}',
    ],
)
def test_malformed_body_is_400_and_touches_nothing(client, integration, url, raw):
    before = state_snapshot(integration)
    response = post(client, url + "/fail", raw=raw)
    assert response.status_code == 400
    assert state_snapshot(integration) == before


def test_body_over_100_kb_is_413_and_touches_nothing(client, integration, url):
    before = state_snapshot(integration)
    big = json.dumps({"message": "x" * (100 * 1024)}).encode()
    response = post(client, url, raw=big)
    assert response.status_code == 413
    assert state_snapshot(integration) == before


def test_body_of_exactly_100_kb_is_accepted(client, integration, url):
    filler = 100 * 1024 - len(json.dumps({"message": ""}))
    body = json.dumps({"message": "x" * filler}).encode()
    assert len(body) == 100 * 1024
    assert post(client, url, raw=body).status_code == 200


def test_unknown_uuid_is_404_and_touches_nothing(client, integration):
    before = state_snapshot(integration)
    assert post(client, f"/ping/{uuid.uuid4()}").status_code == 404
    assert client.get("/ping/not-a-uuid").status_code == 404
    assert state_snapshot(integration) == before


def test_too_many_pings_in_a_minute_is_429_with_retry_after(client, integration, url, settings):
    settings.PLUMBLINE_PING_RATE_PER_MINUTE = 3
    statuses = [post(client, url).status_code for _ in range(3)]
    before = state_snapshot(integration)
    refused = post(client, url)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert state_snapshot(integration) == before


def test_the_rate_limit_is_per_source(client, integration, url, settings):
    settings.PLUMBLINE_PING_RATE_PER_MINUTE = 1
    other = make_integration("payments")
    assert post(client, url).status_code == 200
    assert post(client, f"/ping/{other.ping_uuid}").status_code == 200
    assert post(client, url).status_code == 429


def test_ping_to_an_integration_monitored_another_way_is_409(client, db):
    polled = make_integration("orders", kind="http", health_url="https://orders.example.com/status")
    before = state_snapshot(polled)
    response = post(client, f"/ping/{polled.ping_uuid}")
    assert response.status_code == 409
    assert b"not heartbeat" in response.content
    assert state_snapshot(polled) == before


def test_ping_to_an_unmonitored_integration_is_409_and_creates_no_source(client, db):
    unmonitored = make_integration("manual-csv", kind="none")
    assert post(client, f"/ping/{unmonitored.ping_uuid}").status_code == 409
    assert not HealthSource.objects.filter(integration=unmonitored).exists()


def test_other_methods_are_refused(client, integration, url):
    assert client.put(url).status_code == 405
