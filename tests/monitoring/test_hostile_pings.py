"""No ping stops the others: bodies that cannot be stored are refused at the door with 400, and a
pending ping that cannot be applied anyway (stored by an older version, say) is set aside with its
reason while every ping after it is applied."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from monitoring.ingest import pending
from monitoring.ingest.pending import apply_dead_again, apply_pending_pings, discard_dead
from monitoring.ingest.pings import PingBody
from monitoring.models import DeadPing, FailedRecord, PendingPing, Run
from tests.monitoring.conftest import make_integration, source_of
from tests.pages.estate import make_user

pytestmark = pytest.mark.django_db

# The payloads that silenced monitoring before: each stored "OK", then failed to apply.
POISON = {
    "records_in 10^30": ('{"records_in": 1000000000000000000000000000000}', "records_in must be an integer from 0 to"),
    "records_in 2^63": ('{"records_in": 9223372036854775808}', "records_in must be an integer from 0 to"),
    "NUL in message": ('{"message": "ok\\u0000"}', "message contains a NUL character"),
    "NUL in a failed record key": (
        '{"failed_records": [{"key": "INV\\u00001", "error": "x"}]}',
        "failed_records[0].key contains a NUL character",
    ),
    "lone surrogate": ('{"message": "\\ud800"}', "message contains invalid Unicode (a lone surrogate"),
    "an offset of -23:59": (
        '{"failed_records": [{"key": "INV-1", "occurred_at": "9999-12-31T23:59:59-23:59"}]}',
        "failed_records[0].occurred_at has a UTC offset no time zone uses",
    ),
    "an offset of +23:59": (
        '{"failed_records": [{"key": "INV-1", "occurred_at": "0001-01-01T00:00:00+23:59"}]}',
        "failed_records[0].occurred_at has a UTC offset no time zone uses",
    ),
    "time past year 9999 in UTC": (
        '{"failed_records": [{"key": "INV-1", "occurred_at": "9999-12-31T23:59:59-11:00"}]}',
        "failed_records[0].occurred_at falls outside the years 1 to 9999 once turned to UTC",
    ),
    "time before year 1 in UTC": (
        '{"failed_records": [{"key": "INV-1", "occurred_at": "0001-01-01T00:00:00+13:00"}]}',
        "failed_records[0].occurred_at falls outside the years 1 to 9999 once turned to UTC",
    ),
    "2,000 open brackets": ("[" * 2000, "body is nested too deeply"),
}


def post(path: str, raw: str | bytes) -> Any:
    data = raw.encode() if isinstance(raw, str) else raw
    return Client().post(path, data=data, content_type="application/json")


@pytest.mark.parametrize("raw, reason", POISON.values(), ids=POISON.keys())
def test_a_body_that_cannot_be_stored_is_refused_at_the_door(integration, raw, reason):
    response = post(f"/ping/{integration.ping_uuid}/fail", raw)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not PendingPing.objects.exists()
    assert source_of(integration).last_ping_at is None  # not even counted


def test_the_largest_count_a_column_holds_is_accepted(integration):
    assert post(f"/ping/{integration.ping_uuid}", '{"records_in": 9223372036854775807}').status_code == 200
    apply_pending_pings()
    assert Run.objects.get().records_in == 2**63 - 1


def test_a_time_with_an_offset_is_stored_in_utc(integration):
    body = '{"failed_records": [{"key": "INV-1", "occurred_at": "2026-05-01T23:30:00-02:00"}]}'
    assert post(f"/ping/{integration.ping_uuid}/fail", body).status_code == 200
    apply_pending_pings()
    assert FailedRecord.objects.get().occurred_at.isoformat() == "2026-05-02T01:30:00+00:00"


@pytest.mark.parametrize("raw", [POISON["2,000 open brackets"][0], "not json", '{"records_in": -1}'])
def test_an_unknown_uuid_is_not_found_whatever_its_body(db, raw):
    response = post(f"/ping/{uuid.uuid4()}", raw)
    assert (response.status_code, response.content) == (404, b"not found")


def queue(integration, body: str, signal: str = "success") -> PendingPing:
    """A pending ping as if accepted: bypasses the door (an older version accepted these)."""
    from django.utils import timezone

    return PendingPing.objects.create(integration=integration, signal=signal, body=body, received_at=timezone.now())


@pytest.mark.parametrize("raw, reason", POISON.values(), ids=POISON.keys())
def test_a_pending_ping_that_cannot_be_read_is_set_aside_and_the_next_is_applied(integration, raw, reason):
    other = make_integration("payments")
    bad = queue(integration, raw, "fail")
    queue(integration, json.dumps({"run_id": "r-2", "records_out": 3}))
    queue(other, json.dumps({"run_id": "p-1"}))

    assert apply_pending_pings() == 3
    dead = DeadPing.objects.get()
    assert (dead.integration_id, dead.signal, dead.body, dead.received_at) == (
        integration.pk,
        "fail",
        raw,
        bad.received_at,
    )
    assert dead.error.startswith("BadPing: ") and reason in dead.error
    assert sorted(Run.objects.values_list("external_id", "status")) == [("p-1", "success"), ("r-2", "success")]
    assert not PendingPing.objects.exists()
    assert source_of(integration).state == "up"


def lenient(raw: bytes) -> PingBody:
    """How a careless older version read bodies: whatever the JSON says."""
    return PingBody(**json.loads(raw)) if raw.strip() else PingBody()


def test_a_pending_ping_the_database_refuses_is_set_aside_and_the_rest_applied(integration, monkeypatch):
    monkeypatch.setattr(pending, "parse_ping_body", lenient)
    queue(integration, json.dumps({"run_id": "r-1"}))
    queue(integration, json.dumps({"run_id": "r-2", "records_in": 2**63}))  # past a signed 64-bit column
    queue(integration, json.dumps({"run_id": "r-3"}))

    assert apply_pending_pings() == 3
    assert list(Run.objects.order_by("id").values_list("external_id", flat=True)) == ["r-1", "r-3"]
    dead = DeadPing.objects.get()
    assert json.loads(dead.body)["run_id"] == "r-2"
    assert dead.error.split(":")[0] in {"OverflowError", "DataError"}  # SQLite, PostgreSQL


def test_a_set_aside_ping_can_be_applied_again_or_discarded(integration):
    queue(integration, '{"records_in": 9223372036854775808}')
    queue(integration, '{"message": "\\ud800"}')
    apply_pending_pings()
    first, second = DeadPing.objects.order_by("id")

    # Fixed by hand meanwhile (here: a body this version reads), then applied again.
    DeadPing.objects.filter(pk=first.pk).update(body='{"records_in": 12}')
    assert apply_dead_again([first.pk]) == 1
    assert list(PendingPing.objects.values_list("body", "received_at")) == [('{"records_in": 12}', first.received_at)]
    apply_pending_pings()
    assert Run.objects.get().records_in == 12

    assert discard_dead([second.pk]) == 1
    assert not DeadPing.objects.exists()


def test_a_worker_failure_that_is_not_the_pings_own_leaves_the_batch_pending(integration, monkeypatch):
    from django.db import OperationalError

    queue(integration, json.dumps({"run_id": "r-1"}))

    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pending, "record", unreachable)
    with pytest.raises(OperationalError):
        apply_pending_pings()
    assert PendingPing.objects.count() == 1 and not DeadPing.objects.exists()


def test_the_health_page_shows_set_aside_pings_and_their_owner_applies_or_discards_them(integration, client):
    queue(integration, '{"records_in": 9223372036854775808}', "fail")
    apply_pending_pings()
    dead = DeadPing.objects.get()
    page = f"/integrations/{integration.key}/health/"

    client.force_login(make_user("viewer@example.com", "viewer"))
    html = client.get(page).content.decode()
    assert "1 ping could not be applied" in html
    assert "records_in must be an integer from 0 to 9223372036854775807" in html
    assert 'name="action" value="apply"' not in html
    action = f"/integrations/{integration.key}/health/dead-pings/"
    assert client.post(action, {"action": "discard", "ping": dead.pk}).status_code == 403
    assert DeadPing.objects.exists()

    client.force_login(make_user("ana@example.com", "owner"))
    html = client.get(page).content.decode()
    assert 'name="action" value="apply"' in html
    response = client.post(action, {"action": "discard", "ping": dead.pk}, follow=True)
    assert "1 ping discarded." in response.content.decode()
    assert not DeadPing.objects.exists()


def test_a_selection_that_is_not_a_number_selects_nothing(integration, client):
    """ "²" is a digit to str.isdigit() but not to int(): it must not reach int()."""
    client.force_login(make_user("ana@example.com", "owner"))
    for action, field in (("dead-pings", "ping"), ("failed-records", "record")):
        response = client.post(f"/integrations/{integration.key}/health/{action}/", {"action": "discard", field: "²"})
        assert response.status_code == 302
    messages = client.get(f"/integrations/{integration.key}/health/").content.decode()
    assert "Select one or more pings and an action." in messages
    assert "Select one or more open failed records and an action." in messages
