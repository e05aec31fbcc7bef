"""/api/v1/findings/ and /api/v1/runs/: read-only lists with strict filters."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Integration
from catalog.rules.store import refresh_findings
from monitoring.models import Run

from .conftest import OWN_INTEGRATION

pytestmark = pytest.mark.django_db


def test_findings_list_has_the_cli_keys_and_filters_by_code(api, estate):
    refresh_findings()
    body = api("viewer").get("/api/v1/findings/?code=STALE_SPEC").json()
    assert body["count"] >= 1
    first = body["results"][0]
    assert first["code"] == "STALE_SPEC"
    assert {"code", "severity", "subject_type", "subject_key", "message", "remedy"} <= set(first)
    keys = {row["subject_key"] for row in body["results"]}
    assert "salesforce-customers-to-netsuite" in keys  # reviewed 2025-01-15


def test_estate_findings_have_a_null_subject_key(api, estate):
    refresh_findings()
    rows = api("viewer").get("/api/v1/findings/?subject_type=estate").json()["results"]
    assert all(row["subject_key"] is None for row in rows)


def test_findings_unknown_filter_and_bad_value_are_400(api, estate):
    client = api("viewer")
    assert "colour" in client.get("/api/v1/findings/?colour=red").json()
    assert "severity" in client.get("/api/v1/findings/?severity=dire").json()


def test_findings_are_read_only(api, estate):
    refresh_findings()
    before = api("admin").get("/api/v1/findings/").json()["count"]
    assert api("admin").post("/api/v1/findings/", {"code": "STALE_SPEC"}, format="json").status_code in (403, 405)
    assert api("admin").get("/api/v1/findings/").json()["count"] == before


def test_anonymous_may_not_read_findings_or_runs(api, estate):
    assert api("anonymous").get("/api/v1/findings/").status_code == 401
    assert api("anonymous").get("/api/v1/runs/").status_code == 401


def add_runs(integration: Integration, count: int, status: str = "success") -> None:
    now = timezone.now()
    Run.objects.bulk_create(
        Run(integration=integration, external_id=f"{status}-{n}", source_kind="http", status=status, run_at=now)
        for n in range(count)
    )


def test_runs_filter_by_integration_and_status_without_a_query_per_row(api, estate):
    integration = Integration.objects.get(key=OWN_INTEGRATION)
    add_runs(integration, 2, status="failed")
    client = api("viewer")
    url = f"/api/v1/runs/?integration={OWN_INTEGRATION}&status=failed"
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).json()["count"] == 2
    Run.objects.all().delete()
    add_runs(integration, 5)
    add_runs(integration, 20, status="failed")
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).json()
    assert body["count"] == 20
    assert {row["integration"] for row in body["results"]} == {OWN_INTEGRATION}
    assert body["results"][0]["id"].startswith("failed-")
    assert len(many) == len(few)


def test_runs_unknown_integration_is_400(api, estate):
    assert "integration" in api("viewer").get("/api/v1/runs/?integration=nope").json()


def test_test_executions_are_not_runs_unless_asked_for(api, estate):
    integration = Integration.objects.get(key=OWN_INTEGRATION)
    add_runs(integration, 2)
    now = timezone.now()
    Run.objects.create(
        integration=integration, external_id="test-1", source_kind="boomi", status="success", run_at=now, test=True
    )
    client = api("viewer")
    listed = client.get(f"/api/v1/runs/?integration={OWN_INTEGRATION}").json()["results"]
    assert sorted(row["id"] for row in listed) == ["success-0", "success-1"]
    assert all(row["test"] is False for row in listed)
    tests = client.get(f"/api/v1/runs/?integration={OWN_INTEGRATION}&test=true").json()["results"]
    assert [(row["id"], row["test"]) for row in tests] == [("test-1", True)]
    assert "test" in client.get("/api/v1/runs/?test=maybe").json()
