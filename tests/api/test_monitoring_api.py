"""The monitoring API: failed records and their actions, re-sync requests, flips and alerts, maintenance
windows and observed connections; strict filters, the page's rules, flat query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import ChangeRecord, Integration
from monitoring.models import Alert, FailedRecord, HealthSource, MaintenanceWindow, ResyncRequest
from tests.api.conftest import OTHER_INTEGRATION, OWN_INTEGRATION
from tests.api.monitoring_data import T0, fail, flip_with_alerts, observed, results, window

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def records(estate):
    return fail(OWN_INTEGRATION, "run-1", "INV-1", "INV-2", "INV-3")


def open_count(key: str) -> int:
    return HealthSource.objects.get(integration__key=key).open_failed_records


# ---- failed records: reading ----


def test_failed_records_list_newest_first_with_their_run_and_state(api, records):
    found = results(api("viewer").get("/api/v1/failed-records/"))
    assert [r["key"] for r in found] == ["INV-3", "INV-2", "INV-1"]
    assert {(r["integration"], r["run"], r["state"]) for r in found} == {(OWN_INTEGRATION, "run-1", "open")}


def test_failed_records_filter_by_state_run_resync_and_time(api, records, users):
    fail(OTHER_INTEGRATION, "run-9", "ORD-1", at=T0 + H)
    client = api("admin")
    client.post(f"/api/v1/failed-records/{records[0].pk}/acknowledge/", {}, format="json")
    client.post(f"/api/v1/failed-records/{records[1].pk}/resolve/", {}, format="json")
    resync = client.post(f"/api/v1/failed-records/{records[2].pk}/resync/", {}, format="json").json()

    def keys(query: str) -> list[str]:
        return sorted(r["key"] for r in results(client.get(f"/api/v1/failed-records/?{query}")))

    assert keys("state=open") == ["INV-3", "ORD-1"]
    assert keys("state=acknowledged") == ["INV-1"]
    assert keys("state=resolved") == ["INV-2"]
    assert keys(f"integration={OTHER_INTEGRATION}") == ["ORD-1"]
    assert keys("run=run-9") == ["ORD-1"]
    assert keys(f"resync={resync['id']}") == ["INV-3"]
    assert keys("since=2026-05-01T10:30:00Z") == ["ORD-1"]
    assert keys("until=2026-05-01T10:30:00Z") == ["INV-1", "INV-2", "INV-3"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=open", "status"),  # not a filter of this list
        ("state=closed", "state"),
        ("integration=nope", "integration"),
        ("since=yesterday", "since"),
        ("resync=x", "resync"),
    ],
)
def test_failed_records_filters_are_strict(api, records, query, named):
    response = api("viewer").get(f"/api/v1/failed-records/?{query}")
    assert response.status_code == 400
    assert named in response.json()


# ---- failed records: acting ----


def test_acknowledging_a_record_keeps_it_open_and_says_who(api, records, users):
    response = api("owner").post(f"/api/v1/failed-records/{records[0].pk}/acknowledge/", {}, format="json")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["acknowledged_by"]) == ("acknowledged", users["owner"].email)
    assert open_count(OWN_INTEGRATION) == 3


def test_resolving_a_record_keeps_the_note_and_recounts_the_health_source(api, records, users):
    assert open_count(OWN_INTEGRATION) == 3
    url = f"/api/v1/failed-records/{records[1].pk}/resolve/"
    response = api("owner").post(url, {"note": "re-keyed by hand in NetSuite"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["resolution"], body["resolved_by"]) == (
        "resolved",
        "re-keyed by hand in NetSuite",
        users["owner"].email,
    )
    assert open_count(OWN_INTEGRATION) == 2


def test_a_resolved_record_is_not_acted_on_again(api, records):
    client = api("owner")
    client.post(f"/api/v1/failed-records/{records[0].pk}/resolve/", {}, format="json")
    response = client.post(f"/api/v1/failed-records/{records[0].pk}/resync/", {}, format="json")
    assert response.status_code == 400
    assert "resolved" in response.json()["id"][0]
    assert ResyncRequest.objects.count() == 0


def test_bulk_resolve_for_one_integration(api, records):
    ids = [records[0].pk, records[2].pk]
    body = {"integration": OWN_INTEGRATION, "ids": ids, "note": "fixed upstream"}
    response = api("owner").post("/api/v1/failed-records/resolve/", body, format="json")
    assert response.status_code == 200
    assert response.json() == {"integration": OWN_INTEGRATION, "ids": sorted(ids), "changed": 2}
    assert sorted(FailedRecord.objects.filter(resolved_at=None).values_list("key", flat=True)) == ["INV-2"]
    assert open_count(OWN_INTEGRATION) == 1


def test_bulk_naming_a_record_of_another_integration_changes_nothing(api, records):
    (other,) = fail(OTHER_INTEGRATION, "run-9", "ORD-1")
    body = {"integration": OWN_INTEGRATION, "ids": [records[0].pk, other.pk]}
    response = api("admin").post("/api/v1/failed-records/acknowledge/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"ids": [f"not open failed records of {OWN_INTEGRATION}: {other.pk}"]}
    assert not FailedRecord.objects.filter(acknowledged_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"integration": OWN_INTEGRATION, "ids": []}, "ids"),
        ({"integration": OWN_INTEGRATION, "ids": ["one"]}, "ids"),
        ({"integration": "nope", "ids": [1]}, "integration"),
        ({"integration": OWN_INTEGRATION, "ids": [1], "action": "resolve"}, "action"),
        ({"ids": [1]}, "integration"),
    ],
)
def test_bulk_bodies_are_checked(api, records, body, named):
    response = api("admin").post("/api/v1/failed-records/acknowledge/", body, format="json")
    assert response.status_code == 400
    assert named in response.json()


def test_bulk_resync_of_a_replay_spec_is_a_replay_request_carrying_the_records(api, records, users):
    ids = [r.pk for r in records]
    body = {"integration": OWN_INTEGRATION, "ids": ids}
    response = api("owner").post("/api/v1/failed-records/resync/", body, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["method"], body["status"], body["requested_by"]) == ("replay", "open", users["owner"].email)
    assert body["failed_records"] == ids  # in their original order


def test_a_resync_of_a_spec_without_replay_is_manual(api, estate, users):
    (record,) = fail(OTHER_INTEGRATION, "run-9", "ORD-1")
    response = api("admin").post(f"/api/v1/failed-records/{record.pk}/resync/", {}, format="json")
    assert response.status_code == 201
    assert (response.json()["method"], response.json()["status"]) == ("manual", "manual")


# ---- re-sync requests ----


def test_resolving_a_resync_resolves_its_records_and_recounts(api, records):
    client = api("owner")
    body = {"integration": OWN_INTEGRATION, "ids": [records[0].pk, records[1].pk]}
    resync = client.post("/api/v1/failed-records/resync/", body, format="json").json()
    detail = client.get(f"/api/v1/resyncs/{resync['id']}/").json()
    assert detail["failed_records"] == [records[0].pk, records[1].pk]
    response = client.post(f"/api/v1/resyncs/{resync['id']}/resolve/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert sorted(FailedRecord.objects.filter(resolved_at=None).values_list("key", flat=True)) == ["INV-3"]
    assert open_count(OWN_INTEGRATION) == 1
    assert [r["id"] for r in results(client.get("/api/v1/resyncs/?status=resolved"))] == [resync["id"]]
    assert results(client.get("/api/v1/resyncs/?method=manual")) == []


def test_resync_filters_are_strict(api, records):
    for query in ("status=done", "method=fax", "integration=nope", "kind=replay"):
        response = api("viewer").get(f"/api/v1/resyncs/?{query}")
        assert response.status_code == 400, query
        assert query.split("=")[0] in response.json()


# ---- flips and alerts ----


def test_flips_carry_their_alerts(api, estate):
    flip = flip_with_alerts(OWN_INTEGRATION)
    flip_with_alerts(OTHER_INTEGRATION, at=T0 + H, sent=False)
    found = results(api("viewer").get(f"/api/v1/flips/?integration={OWN_INTEGRATION}&to_state=failing"))
    assert [f["id"] for f in found] == [flip.pk]
    assert sorted((a["channel"], a["status"]) for a in found[0]["alerts"]) == [("email", "sent"), ("webhook", "sent")]
    assert results(api("viewer").get("/api/v1/flips/?since=2026-05-01T10:30:00Z"))[0]["integration"] == (
        OTHER_INTEGRATION
    )
    assert api("viewer").get("/api/v1/flips/?to_state=sideways").status_code == 400


def test_alerts_filter_by_status_channel_and_acknowledged(api, estate):
    flip_with_alerts(OWN_INTEGRATION)
    flip_with_alerts(OTHER_INTEGRATION, sent=False, error="connection refused")
    client = api("viewer")
    assert {a["integration"] for a in results(client.get("/api/v1/alerts/?status=failed"))} == {OTHER_INTEGRATION}
    assert results(client.get("/api/v1/alerts/?status=pending")) == []
    assert len(results(client.get(f"/api/v1/alerts/?integration={OWN_INTEGRATION}&channel=webhook"))) == 1
    assert len(results(client.get("/api/v1/alerts/?acknowledged=false"))) == 4
    assert client.get("/api/v1/alerts/?acknowledged=maybe").status_code == 400


def test_acknowledging_an_alert_acknowledges_its_flip_and_stops_escalation(api, estate, users):
    flip = flip_with_alerts(OWN_INTEGRATION)
    alert = flip.alerts.order_by("pk").first()
    response = api("owner").post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == users["owner"].email
    assert Alert.objects.filter(flip=flip, acknowledged_at=None).count() == 0
    assert len(results(api("viewer").get("/api/v1/alerts/?acknowledged=true"))) == 2


# ---- maintenance windows ----


def test_planning_a_recurring_window_by_the_api_checks_it_as_the_page_does(api, estate):
    body = {
        "system": "ana-spare",
        "starts_at": "2030-01-06T02:00",
        "repeats": "weekly",
        "days": ["SU"],
        "duration_minutes": 120,
        "timezone": "Europe/Berlin",
        "reason": "patching",
    }
    response = api("owner").post("/api/v1/maintenance-windows/", body, format="json")
    assert response.status_code == 201, response.content
    found = response.json()
    assert (found["rrule"], found["timezone"], found["recurring"], found["active"]) == (
        "FREQ=WEEKLY;BYDAY=SU",
        "Europe/Berlin",
        True,
        False,
    )
    assert found["next_starts_at"] == "2030-01-06T01:00:00Z"  # 02:00 in Berlin
    assert ChangeRecord.objects.filter(kind="MaintenanceWindow", via="api", action="create").count() == 1


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"rrule": "FREQ=SECONDLY", "repeats": "rule"}, "rrule"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"duration_minutes": None}, "duration_minutes"),
        ({"starts_at": "2030-01-06T02:00+02:00"}, "starts_at"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_window_is_refused_naming_the_field_and_nothing_is_planned(api, estate, change, named):
    body = {
        "system": "ana-spare",
        "starts_at": "2030-01-06T02:00",
        "repeats": "daily",
        "duration_minutes": 60,
        "timezone": "UTC",
    } | change
    response = api("admin").post("/api/v1/maintenance-windows/", body, format="json")
    assert response.status_code == 400
    assert named in response.json()
    assert MaintenanceWindow.objects.count() == 0


def test_windows_filter_active_and_upcoming(api, estate):
    now_open = window("netsuite", starts=-H, ends=H)
    later = window("netsuite", starts=2 * H, ends=3 * H)
    window("chargebee", starts=-3 * H, ends=-2 * H)  # over
    client = api("viewer")
    assert [w["id"] for w in results(client.get("/api/v1/maintenance-windows/?active=true"))] == [now_open.pk]
    assert [w["id"] for w in results(client.get("/api/v1/maintenance-windows/?upcoming=true"))] == [later.pk]
    assert len(results(client.get("/api/v1/maintenance-windows/?system=netsuite&active=false"))) == 1
    assert client.get("/api/v1/maintenance-windows/?system=atlantis").status_code == 400


def test_cancelling_a_window_keeps_it_in_the_history_and_one_over_is_not_found(api, estate):
    planned = window("ana-spare", starts=H, ends=2 * H)
    over = window("ana-spare", starts=-2 * H, ends=-H)
    client = api("owner")
    assert client.delete(f"/api/v1/maintenance-windows/{over.pk}/").status_code == 404
    assert client.delete(f"/api/v1/maintenance-windows/{planned.pk}/").status_code == 204
    assert list(MaintenanceWindow.objects.values_list("pk", flat=True)) == [over.pk]
    deleted = ChangeRecord.objects.get(kind="MaintenanceWindow", action="delete")
    assert (deleted.via, deleted.before["reason"]) == ("api", "upgrade")


# ---- observed connections ----


def test_observed_connections_say_whether_a_spec_describes_them(api, estate):
    observed("celigo-prod", "flow-1", "Invoices")  # the own integration's health.ref
    stray = observed("celigo-prod", "flow-2", "Mystery flow")
    slug = observed(None, "payroll-export")
    client = api("viewer")
    undocumented = results(client.get("/api/v1/observed-connections/?documented=false"))
    assert {c["id"] for c in undocumented} == {stray.pk, slug.pk}
    assert [c["ref"] for c in results(client.get("/api/v1/observed-connections/?documented=true"))] == ["flow-1"]
    heartbeats = results(client.get("/api/v1/observed-connections/?kind=heartbeat"))
    assert [(c["ref"], c["account"], c["kind"]) for c in heartbeats] == [("payroll-export", None, "heartbeat")]
    assert len(results(client.get("/api/v1/observed-connections/?account=celigo-prod"))) == 2
    assert client.get("/api/v1/observed-connections/?documented=yes").status_code == 400


# ---- query counts ----


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def grow(n: int, start: int) -> None:
    """n more of everything each list shows, spread over the integrations."""
    keys = list(Integration.objects.values_list("key", flat=True))
    for i in range(start, start + n):
        key = keys[i % len(keys)]
        records = fail(key, f"run-{i}", f"R-{i}-a", f"R-{i}-b", at=T0 + dt.timedelta(minutes=i))
        resync = ResyncRequest.objects.create(
            integration_id=records[0].integration_id, method="manual", status="manual", requested_at=T0
        )
        resync.failed_records.set(records)
        flip_with_alerts(key, at=T0 + dt.timedelta(minutes=i))
        window("netsuite", starts=dt.timedelta(hours=i), ends=dt.timedelta(hours=i + 1))
        observed("celigo-prod", f"flow-x{i}")


LISTS = ["failed-records", "resyncs", "flips", "alerts", "maintenance-windows", "observed-connections"]


@pytest.mark.parametrize("endpoint", LISTS)
def test_list_query_count_does_not_grow_with_rows(api, estate, endpoint):
    client = api("viewer")
    grow(3, 0)
    small = count_queries(client, f"/api/v1/{endpoint}/?page_size=500")
    grow(20, 3)
    large = count_queries(client, f"/api/v1/{endpoint}/?page_size=500")
    assert large == small
    assert len(client.get(f"/api/v1/{endpoint}/?page_size=500").json()["results"]) >= 23


def test_an_owner_of_another_integration_is_refused_before_the_body_is_read(api, estate):
    (record,) = fail(OTHER_INTEGRATION, "run-9", "ORD-1")
    response = api("owner").post(f"/api/v1/failed-records/{record.pk}/resolve/", {"colour": "red"}, format="json")
    assert response.status_code == 403
    assert FailedRecord.objects.get(pk=record.pk).resolved_at is None
