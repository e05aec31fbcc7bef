"""A ping is accepted (checked, counted, appended) in one statement and applied moments later, in
batches: what is pending, what applying does, and that nothing is lost or applied twice."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Integration
from monitoring.health import pipeline
from monitoring.health.lateness import evaluate_due
from monitoring.health.pipeline import record_poll
from monitoring.health.specs import sync_sources
from monitoring.ingest import heartbeats, pending
from monitoring.ingest.pending import apply_pending_pings
from monitoring.ingest.pings import PingBody, PingFailedRecord, parse_ping_body
from monitoring.models import FailedRecord, Flip, HealthSource, PendingPing, PingCounter, Run
from monitoring.platforms.contract import PollResult, RunObservation
from tests.monitoring.conftest import make_integration, minutes, source_of

pytestmark = pytest.mark.django_db


def ping(path: str, body: object = None) -> int:
    data = json.dumps(body).encode() if body is not None else b""
    return Client().post(path, data=data, content_type="application/json").status_code


def stored_state(integration) -> str:
    """The state row as stored, without applying what is pending (source_of would)."""
    return HealthSource.objects.get(integration=integration).state


def test_a_ping_is_pending_until_applied(integration):
    assert ping(f"/ping/{integration.ping_uuid}", {"records_out": 4}) == 200
    pending = PendingPing.objects.get()
    assert (pending.integration_id, pending.signal) == (integration.pk, "success")
    assert parse_ping_body(pending.body.encode()) == PingBody(records_out=4)
    assert Run.objects.count() == 0
    assert stored_state(integration) == "unknown"
    # Counted and stamped on acceptance: the rate limit and "last ping" do not wait for a worker.
    counter = PingCounter.objects.get(source__integration=integration)
    assert counter.ping_window_count == 1 and counter.last_ping_at == pending.received_at

    assert apply_pending_pings() == 1
    run = Run.objects.get()
    assert (run.status, run.records_out, run.finished_at) == ("success", 4, pending.received_at)
    assert stored_state(integration) == "up"
    assert not PendingPing.objects.exists()
    assert apply_pending_pings() == 0  # applying again changes nothing
    assert Run.objects.count() == 1


def test_reading_health_through_the_api_applies_pending_pings_first(integration, client):
    from tests.pages.estate import make_user

    assert ping(f"/ping/{integration.ping_uuid}/fail", {"run_id": "r-9", "message": "NetSuite down"}) == 200
    client.force_login(make_user("viewer@example.com", "viewer"))
    health = client.get(f"/api/v1/integrations/{integration.key}/").json()["health"]
    assert health["state"] == "failing"
    assert [run["id"] for run in client.get("/api/v1/runs/").json()["results"]] == ["r-9"]


def test_the_dashboard_and_the_integration_list_apply_pending_pings_first(integration, client):
    from tests.pages.estate import make_user

    Integration.objects.filter(pk=integration.pk).update(lifecycle="live")
    assert ping(f"/ping/{integration.ping_uuid}/fail", {"run_id": "r-9", "message": "NetSuite down"}) == 200
    client.force_login(make_user("viewer@example.com", "viewer"))
    dashboard = client.get("/").content.decode()
    assert "?state=failing&amp;lifecycle=live" in dashboard  # the failing bar, counted from the applied ping
    listed = client.get("/integrations/?health=failing").content.decode()
    assert integration.name in listed


def test_start_and_end_pings_applied_in_one_batch_are_one_run_each(db):
    a, b = make_integration("alpha"), make_integration("bravo")
    # Interleaved, none applied in between: each source's pings must still be applied in order.
    for path in (f"/ping/{a.ping_uuid}/start", f"/ping/{b.ping_uuid}/start", f"/ping/{a.ping_uuid}"):
        assert ping(path) == 200
    assert ping(f"/ping/{b.ping_uuid}/fail", {"records_failed": 2}) == 200
    received = list(PendingPing.objects.values_list("received_at", flat=True))

    assert apply_pending_pings() == 4
    alpha, bravo = Run.objects.get(integration=a), Run.objects.get(integration=b)
    assert (alpha.status, alpha.started_at, alpha.finished_at) == ("success", received[0], received[2])
    assert (bravo.status, bravo.started_at, bravo.finished_at) == ("failed", received[1], received[3])
    assert (stored_state(a), stored_state(b)) == ("up", "failing")


def test_pings_of_one_source_are_applied_in_the_order_received(integration):
    url = f"/ping/{integration.ping_uuid}"
    for path, body in (
        (url + "/fail", {"run_id": "r-1"}),
        (url, {"run_id": "r-2"}),
        (url + "/fail", {"run_id": "r-3"}),
    ):
        assert ping(path, body) == 200
    apply_pending_pings(batch=2)  # the three pings span two batches and three rounds
    flips = list(Flip.objects.order_by("id").values_list("to_state", flat=True))
    assert flips == ["failing", "up", "failing"]
    assert stored_state(integration) == "failing"


def test_applying_twenty_pings_takes_no_more_queries_than_one(db):
    integrations = [make_integration(f"feed-{n}") for n in range(21)]
    for integration in integrations:  # a first ping each, so the counted ones flip nothing
        ping(f"/ping/{integration.ping_uuid}")
    apply_pending_pings()

    ping(f"/ping/{integrations[0].ping_uuid}", {"records_out": 1})
    with CaptureQueriesContext(connection) as one:
        apply_pending_pings()
    for integration in integrations[1:]:
        ping(f"/ping/{integration.ping_uuid}", {"records_out": 1})
    with CaptureQueriesContext(connection) as twenty:
        apply_pending_pings()
    assert Run.objects.count() == 42
    # Off PostgreSQL state rows are saved one by one (an in-process database has no round trips).
    extra = 0 if connection.vendor == "postgresql" else 19
    assert len(twenty.captured_queries) == len(one.captured_queries) + extra


def test_accepting_a_ping_is_one_statement_on_postgresql(integration):
    url = f"/ping/{integration.ping_uuid}"
    for first in (True, False):  # the first ping makes the source's counter; the next count on it
        with CaptureQueriesContext(connection) as queries:
            assert ping(url, {"records_out": 3}) == 200
        statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
        if connection.vendor == "postgresql":
            # One prepared statement, sent straight to the driver (so Django's log never sees it).
            assert statements == []
        elif first:
            assert [sql.split()[0] for sql in statements] == ["SELECT", "INSERT", "SELECT", "UPDATE", "INSERT"]
        else:
            assert [sql.split()[0] for sql in statements] == ["SELECT", "UPDATE", "INSERT"]
    assert PendingPing.objects.count() == 2


def test_a_batch_that_fails_midway_leaves_every_ping_pending(integration, monkeypatch):
    url = f"/ping/{integration.ping_uuid}"
    ping(url + "/fail", {"run_id": "r-1", "failed_records": [{"key": "INV-1", "error": "closed period"}]})
    ping(url, {"run_id": "r-2"})

    def crash(*args, **kwargs):
        raise RuntimeError("worker lost mid-batch")

    # After the runs and failed records are written, before the state is settled.
    monkeypatch.setattr(pipeline, "settle_rows", crash)
    with pytest.raises(RuntimeError):
        apply_pending_pings()
    assert (PendingPing.objects.count(), Run.objects.count(), FailedRecord.objects.count()) == (2, 0, 0)
    assert stored_state(integration) == "unknown"

    monkeypatch.undo()
    assert apply_pending_pings() == 2
    assert list(Run.objects.order_by("id").values_list("external_id", "status")) == [
        ("r-1", "failed"),
        ("r-2", "success"),
    ]
    assert FailedRecord.objects.count() == 1


def test_a_ping_for_an_integration_no_longer_on_heartbeats_is_discarded(integration, caplog):
    ping(f"/ping/{integration.ping_uuid}")
    integration.health_kind = "http"
    integration.health_url = "https://invoices.example.com/status"
    integration.save()
    sync_sources([integration.key])
    assert apply_pending_pings() == 1
    assert not PendingPing.objects.exists()
    assert Run.objects.count() == 0
    assert "discarding ping" in caplog.text


def test_lateness_applies_pending_pings_before_judging(integration):
    now = timezone.now()
    long_ago = now - minutes(120)  # past interval (15) + grace (30): down, but for the pending ping
    record_poll(integration, PollResult(runs=[RunObservation("hb-1", "success", finished_at=long_ago)]), now=long_ago)
    ping(f"/ping/{integration.ping_uuid}")
    report = evaluate_due(now + minutes(1))
    assert report.flips == []
    assert stored_state(integration) == "up"
    assert not PendingPing.objects.exists()


def test_the_stored_body_reads_back_as_the_same_ping_body():
    body = PingBody(
        run_id="42",
        records_in=3,
        records_out=2,
        records_failed=1,
        message="one refused",
        failed_records=[
            PingFailedRecord(
                key="INV-1", error="closed period", occurred_at=dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)
            ),
            PingFailedRecord(key="INV-2"),
        ],
    )
    assert parse_ping_body(body.to_json().encode()) == body
    assert PingBody().to_json() == ""
    assert parse_ping_body(b"") == PingBody()


def test_check_health_applies_pending_pings(integration):
    from io import StringIO

    from django.core.management import call_command

    ping(f"/ping/{integration.ping_uuid}")
    out = StringIO()
    call_command("check_health", integration.key, stdout=out)
    assert "up" in out.getvalue().split()
    assert source_of(integration).last_success_at is not None
    assert timezone.now() - source_of(integration).last_success_at < dt.timedelta(minutes=1)


def test_a_read_shows_what_is_stored_when_applying_fails(integration, monkeypatch, caplog):
    from django.db import OperationalError

    from catalog.health import read_health

    ping(f"/ping/{integration.ping_uuid}")

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(pending, "_apply_batch", locked)
    assert read_health([integration.pk])[integration.pk].state == "unknown"
    assert PendingPing.objects.count() == 1  # still there for the worker
    assert "could not apply pending pings" in caplog.text


@pytest.mark.parametrize(
    ("path", "body", "fast"),
    [
        ("", {"records_out": 3}, True),
        ("/start", None, True),
        ("/fail", {"message": "refused"}, False),
        ("", {"failed_records": [{"key": "INV-1", "error": "closed period"}]}, False),
    ],
)
def test_only_pings_that_report_no_failure_skip_the_wal_flush(integration, settings, path, body, fast):
    assert ping(f"/ping/{integration.ping_uuid}{path}", body) == 200
    if connection.vendor == "postgresql":
        # The one statement set it for its own transaction (here the test's), which is when it counts.
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == ("off" if fast else "on")
    pending = PendingPing.objects.get()
    assert heartbeats._may_commit_fast(pending.signal, parse_ping_body(pending.body.encode())) is fast
    settings.PLUMBLINE_PING_FAST_COMMIT = False
    assert heartbeats._may_commit_fast(pending.signal, parse_ping_body(pending.body.encode())) is False
