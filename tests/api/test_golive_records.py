"""/api/v1/golives/<key>/ readiness/, attestations/, sign-off/, review/, review/sign-off/: the same
rules and outcomes as the pages (one set of functions decides for both), strict parameters and
fields, and query counts that do not grow with the scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Attestation, ReviewSignOff, SignOff, StoredFinding
from catalog.rules.store import refresh_findings
from tests.api.conftest import OTHER_INTEGRATION, OWN_INTEGRATION, estate_state, make_user
from tests.catalog.test_golive_review_support import (
    change_spec,
    deferred_integration,
    fail,
    signed_golive,
    start_of,
    workaround_integration,
)
from tests.catalog.test_readiness_support import APPROVER

pytestmark = pytest.mark.django_db

BASE = "/api/v1/golives/netsuite-go-live"


def attestation(**overrides: Any) -> dict[str, Any]:
    values = {
        "integration": OWN_INTEGRATION,
        "item": "failure-simulation",
        "performed_by": "Ana Lopez",
        "performed_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "evidence_url": "https://tickets.example.com/OPS-7",
    }
    values.update(overrides)
    return values


@pytest.fixture
def approver(estate, users) -> APIClient:
    """Raj Patel, the API estate's go-live approver, with only the viewer role."""
    client = APIClient()
    client.force_login(make_user("raj.patel@example.com", "viewer"))
    return client


# readiness/


def test_readiness_is_the_pages_checklist(estate, api, users):
    body = api("viewer").get(f"{BASE}/readiness/").json()
    page = Client()
    page.force_login(users["viewer"])
    readiness = page.get("/golives/netsuite-go-live/").context["readiness"]
    assert body["percent"] == readiness.percent and body["blockers"] == list(readiness.blockers)
    [row] = body["integrations"]
    assert row["key"] == OWN_INTEGRATION
    assert [item["code"] for item in row["items"]] == [item.code for item in readiness.integrations[0].items]
    assert body["signoff"] is None


def test_readiness_refuses_an_unknown_parameter(estate, api):
    response = api("viewer").get(f"{BASE}/readiness/?show=all")
    assert response.status_code == 400 and "show" in response.json()


def test_readiness_of_an_unknown_golive_is_404(estate, api):
    assert api("viewer").get("/api/v1/golives/nope/readiness/").status_code == 404


# attestations/


def test_owner_records_an_attestation_and_lists_it(estate, api):
    response = api("owner").post(f"{BASE}/attestations/", attestation(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["integration"] == OWN_INTEGRATION
    assert response.json()["recorded_by_email"] == "ana.lopez@example.com"
    listed = api("viewer").get(f"{BASE}/attestations/").json()
    assert [row["item"] for row in listed["results"]] == ["failure-simulation"]
    checklist = api("viewer").get(f"{BASE}/readiness/").json()["integrations"][0]["items"]
    assert next(i for i in checklist if i["code"] == "failure-simulation")["status"] == "pass"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"performed_on": (dt.date.today() + dt.timedelta(days=3)).isoformat()}, "performed_on"),
        ({"evidence_url": "ftp://files.example.com/x"}, "evidence_url"),
        ({"item": "go-live-party"}, "item"),
        ({"performed_by": "   "}, "performed_by"),
        ({"integration": OTHER_INTEGRATION}, "integration"),  # not the owner's: as the page's form
    ],
)
def test_attestation_refused_like_the_page_form(estate, api, users, overrides, field):
    before = estate_state(), Attestation.objects.count()
    response = api("owner").post(f"{BASE}/attestations/", attestation(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    page = Client()
    page.force_login(users["owner"])
    page_response = page.post("/golives/netsuite-go-live/attest/", attestation(**overrides))
    assert page_response.status_code == 400
    assert response.json()[field] == page_response.context["attest_form"].errors[field]
    assert (estate_state(), Attestation.objects.count()) == before


def test_attestation_refuses_an_unknown_field(estate, api):
    response = api("admin").post(f"{BASE}/attestations/", attestation(notes="x"), format="json")
    assert response.status_code == 400 and "notes" in response.json()
    assert not Attestation.objects.exists()


@pytest.mark.parametrize("value", [20260105, ["2026-01-05"], None, {"day": 5}])
def test_attestation_values_must_be_text(estate, api, value):
    response = api("admin").post(f"{BASE}/attestations/", attestation(performed_on=value), format="json")
    assert response.status_code == 400
    assert response.json() == {"performed_on": ["must be a string"]}
    assert not Attestation.objects.exists()


def test_attestation_body_must_be_an_object(estate, api):
    response = api("admin").post(f"{BASE}/attestations/", [attestation()], format="json")
    assert response.status_code == 400
    assert not Attestation.objects.exists()


def test_viewer_may_not_attest(estate, api):
    response = api("viewer").post(f"{BASE}/attestations/", attestation(), format="json")
    assert response.status_code == 403
    assert not Attestation.objects.exists()


# sign-off/


def test_sign_off_while_blocked_needs_a_reason_as_on_the_page(estate, api):
    response = api("admin").post(f"{BASE}/sign-off/", {}, format="json")
    assert response.status_code == 400
    assert "write why the go-live goes ahead anyway" in response.json()["override_reason"][0]
    assert not SignOff.objects.exists()


def test_approver_signs_off_with_a_reason(approver):
    response = approver.post(f"{BASE}/sign-off/", {"override_reason": "Board approved"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["signed_by_email"] == "raj.patel@example.com" and body["override_reason"] == "Board approved"
    assert body["blockers"]
    assert SignOff.objects.get().readiness_percent == body["readiness_percent"]


@pytest.mark.parametrize("actor", ["viewer", "owner"])
def test_others_may_not_sign_off(estate, api, actor):
    response = api(actor).post(f"{BASE}/sign-off/", {"override_reason": "x"}, format="json")
    assert response.status_code == 403
    assert not SignOff.objects.exists()


def test_sign_off_refuses_an_unknown_field(estate, api):
    response = api("admin").post(f"{BASE}/sign-off/", {"override_reason": "x", "percent": 100}, format="json")
    assert response.status_code == 400 and "percent" in response.json()
    assert not SignOff.objects.exists()


# review/ and review/sign-off/


@pytest.fixture
def reviewed_estate(db, users) -> None:
    """The readiness builders' go-live, 100 days ago, with something in every section."""
    golive = signed_golive(100)
    deferred_integration(golive)
    workaround = workaround_integration(golive)
    fail(workaround, start_of(golive))
    change_spec(workaround, timezone.now())
    make_user(APPROVER, "viewer")


def test_review_lists_every_section(reviewed_estate, api):
    body = api("viewer").get(f"{BASE}/review/").json()
    assert body["pending"] is True and body["overdue_days"] == 10 and body["review_days"] == 90
    assert [d["integration"] for d in body["deferred"]] == ["netsuite-go-live-deferred"]
    assert body["workarounds"][0]["performed_by"] == "Casey Clerk"
    assert body["failures"] == [
        {"integration": "netsuite-go-live-workaround", "failed_runs": 2, "flips_down": 1, "open_failed_records": 3}
    ]
    assert body["spec_changes_total"] == 1 and body["spec_changes"][0]["key"] == "netsuite-go-live-workaround"
    assert body["review"] is None and body["signatures"] == []


def test_review_sign_off_by_the_approver_closes_the_finding(reviewed_estate, users):
    refresh_findings()
    assert StoredFinding.objects.filter(code="GOLIVE_REVIEW_DUE", subject_key="netsuite-go-live").exists()
    client = APIClient()
    client.force_login(_approver_user())
    response = client.post(f"{BASE}/review/sign-off/", {"notes": "Agreed"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["figures"]["failed_runs"] == 2
    assert ReviewSignOff.objects.get().notes == "Agreed"
    assert not StoredFinding.objects.filter(code="GOLIVE_REVIEW_DUE").exists()
    assert client.get(f"{BASE}/review/").json()["review"]["notes"] == "Agreed"


def _approver_user() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email=APPROVER)


@pytest.mark.parametrize("actor", ["viewer", "owner", "read_only_token"])
def test_others_may_not_sign_the_review(reviewed_estate, api, actor):
    response = api(actor).post(f"{BASE}/review/sign-off/", {"notes": "x"}, format="json")
    assert response.status_code == 403
    assert not ReviewSignOff.objects.exists()


def test_review_sign_off_of_an_unsigned_golive_is_400_as_on_the_page(estate, api):
    response = api("admin").post(f"{BASE}/review/sign-off/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == ["The go-live is not signed off yet: there is nothing to review."]
    assert not ReviewSignOff.objects.exists()


def test_review_sign_off_refuses_an_unknown_field(reviewed_estate, api):
    response = api("admin").post(f"{BASE}/review/sign-off/", {"notes": "x", "figures": {}}, format="json")
    assert response.status_code == 400 and "figures" in response.json()
    assert not ReviewSignOff.objects.exists()


def test_review_refuses_an_unknown_parameter(reviewed_estate, api):
    assert api("viewer").get(f"{BASE}/review/?since=2020-01-01").status_code == 400


def test_session_review_sign_off_needs_the_csrf_token(reviewed_estate):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(_approver_user())
    response = client.post(f"{BASE}/review/sign-off/", {"notes": "x"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not ReviewSignOff.objects.exists()


# Query counts


def queries(client: APIClient, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("endpoint", ["readiness", "review", "attestations"])
def test_queries_do_not_grow_with_the_scope(db, api, endpoint):
    for key, count in (("small", 2), ("large", 30)):
        golive = signed_golive(100, count=count, key=key)
        for row in golive.scope.select_related("integration"):
            fail(row.integration, timezone.now() - dt.timedelta(days=5), runs=1, flips=1, records=1)
            change_spec(row.integration, timezone.now())
    client = api("admin")
    small = queries(client, f"/api/v1/golives/small/{endpoint}/")
    assert queries(client, f"/api/v1/golives/large/{endpoint}/") == small <= 15


def test_findings_api_lists_the_review_due_about_the_golive(reviewed_estate, api):
    refresh_findings()
    body = api("viewer").get("/api/v1/findings/?subject_type=golive").json()
    [finding] = body["results"]
    assert (finding["code"], finding["subject_type"], finding["subject_key"]) == (
        "GOLIVE_REVIEW_DUE",
        "golive",
        "netsuite-go-live",
    )
    assert finding["owner"] == APPROVER and finding["severity"] == "warning"
