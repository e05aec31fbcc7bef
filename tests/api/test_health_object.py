"""The integration API object carries `health` exactly as DESIGN.md shows, ping_url included
for the integration's owners and admins only; the observed half is read-only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Integration
from catalog.spec.importer import import_sources

from .conftest import OWN_INTEGRATION, OWNER_EMAIL

pytestmark = pytest.mark.django_db

HEARTBEAT = f"""
apiVersion: plumbline/v1
kind: Integration
key: payroll-to-netsuite
source: netsuite
target: chargebee
owner: {OWNER_EMAIL}
sync: {{trigger: schedule, interval_minutes: 15}}
health: {{kind: heartbeat, grace_minutes: 10}}
"""


@pytest.fixture
def heartbeat(estate):
    import_sources([("hb.yaml", HEARTBEAT)])
    return Integration.objects.get(key="payroll-to-netsuite")


def test_health_after_a_success_ping_shows_state_interval_and_ping_url(api, heartbeat):
    ping = Client().post(f"/ping/{heartbeat.ping_uuid}", b'{"records_in": 3, "records_out": 3}', "application/json")
    assert ping.status_code == 200
    health = api("owner").get("/api/v1/integrations/payroll-to-netsuite/").json()["health"]
    assert set(health) == {
        "kind",
        "grace_minutes",
        "state",
        "last_success_at",
        "observed_interval_minutes",
        "open_failed_records",
        "ping_url",
    }
    assert health["kind"] == "heartbeat" and health["grace_minutes"] == 10
    assert health["state"] == "up"
    assert health["last_success_at"] is not None
    assert health["observed_interval_minutes"] == {"median": None, "p95": None}
    assert health["open_failed_records"] == 0
    assert health["ping_url"] == f"http://testserver/ping/{heartbeat.ping_uuid}"


def test_ping_url_is_hidden_from_viewers(api, heartbeat):
    health = api("viewer").get("/api/v1/integrations/payroll-to-netsuite/").json()["health"]
    assert "ping_url" not in health
    assert health["state"] == "unknown"


def test_a_get_body_put_back_ignores_the_observed_health(api, heartbeat):
    client = api("owner")
    body = client.get("/api/v1/integrations/payroll-to-netsuite/").json()
    response = client.put("/api/v1/integrations/payroll-to-netsuite/", body, format="json")
    assert response.status_code == 200, response.json()
    heartbeat.refresh_from_db()
    assert heartbeat.health_kind == "heartbeat" and heartbeat.health_grace_minutes == 10


def test_health_in_lists_costs_no_query_per_row(api, estate):
    client = api("viewer")
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/integrations/").json()["results"]) == 3
    import_sources([("hb.yaml", HEARTBEAT)])
    import_sources([("more.yaml", HEARTBEAT.replace("payroll-to-netsuite", "expenses-to-netsuite"))])
    with CaptureQueriesContext(connection) as more:
        results = client.get("/api/v1/integrations/").json()["results"]
    assert len(results) == 5 and all("state" in r["health"] for r in results)
    assert len(more) == len(few)


def test_celigo_health_keeps_its_spec_fields(api, estate):
    health = api("admin").get(f"/api/v1/integrations/{OWN_INTEGRATION}/").json()["health"]
    assert (health["kind"], health["account"], health["ref"]) == ("celigo", "celigo-prod", "flow-1")
    assert "ping_url" not in health
