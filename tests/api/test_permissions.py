"""The permission matrix of the API: every actor against every endpoint, reading and
writing. A refusal has the right status and changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from catalog.models import Attestation, ChangeRecord, GoLive, ReviewSignOff, SignOff
from tests.api.conftest import (
    BACKED_UP_INTEGRATION,
    OTHER_INTEGRATION,
    OWN_INTEGRATION,
    OWNER_EMAIL,
    estate_state,
)

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "no_role", "viewer", "owner", "owner_token", "admin", "read_only_token")
READERS = {"viewer", "owner", "owner_token", "admin", "read_only_token"}

# endpoint -> (an object to read, the owner user's object or None, an object not theirs)
OBJECTS: dict[str, tuple[str, str | None, str]] = {
    "people": ("ana.lopez@example.com", None, "spare@example.com"),
    "systems": ("netsuite", "ana-spare", "raj-spare"),
    "platform-accounts": ("celigo-prod", None, "spare-account"),
    "integrations": (OWN_INTEGRATION, OWN_INTEGRATION, OTHER_INTEGRATION),
    "golives": ("netsuite-go-live", None, "netsuite-go-live"),
    "data-objects": ("customer", "customer", "vendor"),
    "value-maps": ("coa-chargebee-to-netsuite", None, "tax-codes"),
}


def new_document(endpoint: str, own: bool) -> dict[str, Any]:
    """A valid document to POST; `own` names the owner user as its owner."""
    owner = OWNER_EMAIL if own else "raj.patel@example.com"
    documents: dict[str, dict[str, Any]] = {
        "people": {"key": "new.person@example.com", "name": "New Person"},
        "systems": {"key": "new-system", "category": "crm", "owner": owner},
        "platform-accounts": {
            "key": "workato-prod",
            "platform": "workato",
            "base_url": "https://www.workato.com",
            "secret_env": "PLUMBLINE_CRED_WORKATO_PROD",
        },
        "integrations": {"key": "new-integration", "source": "netsuite", "target": "shopify", "owner": owner},
        "golives": {"key": "phase-two-go-live", "integrations": [OTHER_INTEGRATION]},
        "data-objects": {"key": "item", "name": "Item", "master": "netsuite", "owner": owner},
        "value-maps": {"key": "new-map", "owner": owner, "rows": [{"source": "1", "target": "2"}]},
    }
    return documents[endpoint]


def refusal(actor: str) -> int:
    return 401 if actor == "anonymous" else 403


def may_write(actor: str, endpoint: str, own: bool) -> bool:
    if actor == "admin":
        return True
    if actor in ("owner", "owner_token"):
        return own and endpoint in ("systems", "integrations", "data-objects")
    return False


@pytest.mark.parametrize("endpoint", OBJECTS)
@pytest.mark.parametrize("actor", ACTORS)
def test_reads(estate, api, actor, endpoint):
    client = api(actor)
    key = OBJECTS[endpoint][0]
    for url in (f"/api/v1/{endpoint}/", f"/api/v1/{endpoint}/{key}/", f"/api/v1/{endpoint}/{key}/history/"):
        response = client.get(url)
        assert response.status_code == (200 if actor in READERS else refusal(actor)), url


@pytest.mark.parametrize("actor", ACTORS)
def test_the_trend_is_read_by_any_role_and_never_written(estate, api, actor):
    client = api(actor)
    assert client.get("/api/v1/trend/").status_code == (200 if actor in READERS else refusal(actor))
    for method in ("post", "put", "patch", "delete"):
        # ReadAnyRole allows reading only: every write is refused, before the method is looked at.
        assert getattr(client, method)("/api/v1/trend/", {}, format="json").status_code == refusal(actor), method


@pytest.mark.parametrize("actor", ACTORS)
def test_schema_and_root_need_a_role(estate, api, actor):
    client = api(actor)
    for url in ("/api/v1/", "/api/v1/schema/"):
        assert client.get(url).status_code == (200 if actor in READERS else refusal(actor)), url


WRITE_CASES = [
    (endpoint, own) for endpoint, (_, own_key, _) in OBJECTS.items() for own in ((True, False) if own_key else (False,))
]


@pytest.mark.parametrize(("endpoint", "own"), WRITE_CASES)
@pytest.mark.parametrize("actor", ACTORS)
def test_create(estate, api, actor, endpoint, own):
    before = estate_state()
    response = api(actor).post(f"/api/v1/{endpoint}/", new_document(endpoint, own), format="json")
    if may_write(actor, endpoint, own):
        assert response.status_code == 201, response.content
        assert ChangeRecord.objects.filter(via="api", action="create").count() == 1
    else:
        assert response.status_code == refusal(actor), response.content
        assert estate_state() == before


# A field every document of the endpoint has (platform accounts have no name).
CHANGED_FIELD = {"platform-accounts": "account_id"}


def target_key(endpoint: str, own: bool) -> str:
    return OBJECTS[endpoint][1] if own else OBJECTS[endpoint][2]  # type: ignore[return-value]


@pytest.mark.parametrize(("endpoint", "own"), WRITE_CASES)
@pytest.mark.parametrize("actor", ACTORS)
def test_put(estate, api, actor, endpoint, own):
    url = f"/api/v1/{endpoint}/{target_key(endpoint, own)}/"
    field = CHANGED_FIELD.get(endpoint, "name")
    document = api("admin").get(url).json()
    document[field] = "Renamed"
    before = estate_state()
    response = api(actor).put(url, document, format="json")
    if may_write(actor, endpoint, own):
        assert response.status_code == 200, response.content
        assert response.json()[field] == "Renamed"
        assert ChangeRecord.objects.filter(via="api", action="update").count() == 1
    else:
        assert response.status_code == refusal(actor), response.content
        assert estate_state() == before


@pytest.mark.parametrize(("endpoint", "own"), WRITE_CASES)
@pytest.mark.parametrize("actor", ACTORS)
def test_patch(estate, api, actor, endpoint, own):
    url = f"/api/v1/{endpoint}/{target_key(endpoint, own)}/"
    field = CHANGED_FIELD.get(endpoint, "name")
    before = estate_state()
    response = api(actor).patch(url, {field: "Patched"}, format="json")
    if may_write(actor, endpoint, own):
        assert response.status_code == 200, response.content
        assert response.json()[field] == "Patched"
    else:
        assert response.status_code == refusal(actor), response.content
        assert estate_state() == before


@pytest.mark.parametrize(("endpoint", "own"), WRITE_CASES)
@pytest.mark.parametrize("actor", ACTORS)
def test_delete(estate, api, actor, endpoint, own):
    key = target_key(endpoint, own)
    before = estate_state()
    response = api(actor).delete(f"/api/v1/{endpoint}/{key}/")
    if may_write(actor, endpoint, own):
        assert response.status_code == 204, response.content
        assert api("admin").get(f"/api/v1/{endpoint}/{key}/").status_code == 404
        assert ChangeRecord.objects.filter(via="api", action="delete", key=key).count() == 1
    else:
        assert response.status_code == refusal(actor), response.content
        assert estate_state() == before


# Marking a value map reviewed: its owner (the owner user owns the chart of accounts) or an admin.
REVIEWERS = {("owner", True), ("owner_token", True), ("admin", True), ("admin", False)}


@pytest.mark.parametrize("own", (True, False))
@pytest.mark.parametrize("actor", ACTORS)
def test_value_map_reviewed(estate, api, actor, own):
    key = "coa-chargebee-to-netsuite" if own else "tax-codes"
    before = estate_state()
    response = api(actor).post(f"/api/v1/value-maps/{key}/reviewed/")
    if (actor, own) in REVIEWERS:
        assert response.status_code == 200, response.content
        assert response.json()["stale"] is False
        assert ChangeRecord.objects.filter(via="api", key=key, note="rows confirmed still accurate").count() == 1
    else:
        assert response.status_code == refusal(actor), response.content
        assert estate_state() == before


def test_owner_edits_an_integration_they_back_up(estate, api):
    response = api("owner").patch(f"/api/v1/integrations/{BACKED_UP_INTEGRATION}/", {"name": "X"}, format="json")
    assert response.status_code == 200


def test_read_only_token_refusal_says_so(estate, api):
    response = api("read_only_token").patch(f"/api/v1/integrations/{OWN_INTEGRATION}/", {"name": "X"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "This API token is read-only."


def test_session_write_without_csrf_token_is_refused(estate, users):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    before = estate_state()
    response = client.patch(f"/api/v1/integrations/{OWN_INTEGRATION}/", {"name": "X"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert estate_state() == before


def test_token_write_needs_no_csrf_token(estate, users):
    from rest_framework.test import APIClient

    from plumbline.accounts.tokens import create_token

    _, raw = create_token(users["admin"])
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    response = client.patch(f"/api/v1/integrations/{OWN_INTEGRATION}/", {"name": "X"}, format="json")
    assert response.status_code == 200


def test_platform_accounts_never_carry_a_secret_value(estate, api, monkeypatch):
    monkeypatch.setenv("PLUMBLINE_CRED_CELIGO_PROD", "s3cr3t-value")
    body = api("admin").get("/api/v1/platform-accounts/celigo-prod/").content.decode()
    assert "PLUMBLINE_CRED_CELIGO_PROD" in body
    assert "s3cr3t-value" not in body


# The go-live record (readiness, attestations, sign-off, review): reads for every role; writes by the
# pages' rules: attest an integration you own (or as admin), sign off and sign the review as the
# approver or an admin (the approver's own path is in test_golive_records.py).
GOLIVE = "/api/v1/golives/netsuite-go-live"
RECORD_WRITES: dict[str, tuple[dict[str, Any], set[str]]] = {
    "attestations/": (
        {
            "integration": OWN_INTEGRATION,
            "item": "resync-rehearsal",
            "performed_by": "Ana Lopez",
            "performed_on": "2026-01-05",
            "evidence_url": "https://tickets.example.com/OPS-9",
        },
        {"owner", "owner_token", "admin"},
    ),
    "sign-off/": ({"override_reason": "Board approved"}, {"admin"}),
    "review/sign-off/": ({"notes": "Reviewed"}, {"admin"}),
}


def record_counts() -> tuple[int, int, int]:
    return Attestation.objects.count(), SignOff.objects.count(), ReviewSignOff.objects.count()


@pytest.mark.parametrize("path", ["readiness/", "attestations/", "review/"])
@pytest.mark.parametrize("actor", ACTORS)
def test_golive_record_reads(estate, api, actor, path):
    response = api(actor).get(f"{GOLIVE}/{path}")
    assert response.status_code == (200 if actor in READERS else refusal(actor)), response.content


@pytest.mark.parametrize("path", RECORD_WRITES)
@pytest.mark.parametrize("actor", ACTORS)
def test_golive_record_writes(estate, api, actor, path):
    if path == "review/sign-off/":  # there is a review only after a sign-off
        SignOff.objects.create(
            golive=GoLive.objects.get(key="netsuite-go-live"),
            signed_by_email="raj.patel@example.com",
            signed_at=timezone.now() - dt.timedelta(days=1),
            readiness_percent=50,
        )
    body, allowed = RECORD_WRITES[path]
    before = record_counts()
    response = api(actor).post(f"{GOLIVE}/{path}", body, format="json")
    if actor in allowed:
        assert response.status_code == 201, response.content
        assert sum(record_counts()) == sum(before) + 1
    else:
        assert response.status_code == refusal(actor), response.content
        assert record_counts() == before
