"""API writes take a spec document and go through the importer: the same checks as
import_specs, errors keyed by field path, history recorded via the API with the user."""

from __future__ import annotations

import pytest

from catalog.models import ChangeRecord, Integration, Mapping
from tests.api.conftest import OTHER_INTEGRATION, OWN_INTEGRATION, OWNER_EMAIL, estate_state

pytestmark = pytest.mark.django_db

NEW = {
    "apiVersion": "plumbline/v1",
    "kind": "Integration",
    "key": "shopify-orders-to-netsuite",
    "name": "Shopify orders to NetSuite",
    "source": "shopify",
    "target": "netsuite",
    "connector": {"type": "ipaas", "platform": "celigo", "maintained_by": "ipaas-vendor", "compatibility_sla_days": 7},
    "sync": {"trigger": "event", "max_latency_minutes": 5},
    "error_handling": {"surface": "alert", "notify": [OWNER_EMAIL], "resync": "replay-in-order"},
    "owner": OWNER_EMAIL,
    "reviewed_at": "2026-10-01",
    "mappings": [{"source": "order.id", "target": "salesOrder.externalId", "required": True}],
}


def test_a_valid_document_creates_the_integration_with_history(estate, api, users):
    response = api("owner").post("/api/v1/integrations/", NEW, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["key"] == NEW["key"]
    assert body["sync"] == {"trigger": "event", "max_latency_minutes": 5}
    assert body["mappings"] == [{"source": "order.id", "target": "salesOrder.externalId", "required": True}]
    assert body["completeness"] == {"score": 1.0, "missing": []}
    assert body["url"] == "http://testserver/api/v1/integrations/shopify-orders-to-netsuite/"
    stored = Integration.objects.get(key=NEW["key"])
    assert (stored.source.key, stored.max_latency_minutes, stored.completeness_score) == ("shopify", 5, 1.0)
    record = ChangeRecord.objects.get(key=NEW["key"])
    assert (record.via, record.action, record.actor) == ("api", "create", users["owner"])
    assert record.after["connector"]["compatibility_sla_days"] == 7


def test_apiversion_and_kind_may_be_left_out(estate, api):
    body = {k: v for k, v in NEW.items() if k not in ("apiVersion", "kind")}
    assert api("owner").post("/api/v1/integrations/", body, format="json").status_code == 201


def test_put_replaces_the_document_and_records_before_and_after(estate, api, users):
    url = f"/api/v1/integrations/{OWN_INTEGRATION}/"
    document = api("owner").get(url).json()
    document["sync"] = {"trigger": "schedule", "interval_minutes": 60}
    document["mappings"].append({"source": "invoice.total", "target": "invoice.amount"})
    del document["backup_owner"]
    response = api("owner").put(url, document, format="json")
    assert response.status_code == 200, response.content
    stored = Integration.objects.get(key=OWN_INTEGRATION)
    assert (stored.interval_minutes, stored.backup_owner) == (60, None)
    assert list(Mapping.objects.filter(integration=stored).values_list("target", flat=True)) == [
        "invoice.externalId",
        "invoice.amount",
    ]
    record = ChangeRecord.objects.get(via="api")
    assert (record.action, record.actor) == ("update", users["owner"])
    assert record.before["sync"]["interval_minutes"] == 15
    assert record.after["sync"]["interval_minutes"] == 60


def test_put_of_an_unchanged_document_records_nothing(estate, api):
    url = f"/api/v1/integrations/{OWN_INTEGRATION}/"
    document = api("owner").get(url).json()
    before = estate_state()
    assert api("owner").put(url, document, format="json").status_code == 200
    assert estate_state() == before


def test_patch_merges_a_group_and_null_removes_a_field(estate, api):
    url = f"/api/v1/integrations/{OWN_INTEGRATION}/"
    response = api("owner").patch(url, {"sync": {"interval_minutes": 30}, "reviewed_at": None}, format="json")
    assert response.status_code == 200, response.content
    stored = Integration.objects.get(key=OWN_INTEGRATION)
    assert (stored.sync_trigger, stored.interval_minutes, stored.reviewed_at) == ("schedule", 30, None)
    assert stored.mappings.count() == 1


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"sync": {"trigger": "schedule", "interval_minutes": 0}}, "sync.interval_minutes", "positive integer"),
        ({"lifecycle": "alive"}, "lifecycle", "must be one of"),
        ({"owner": "nobody@example.com"}, "owner", "unknown person 'nobody@example.com'"),
        ({"source": "sap"}, "source", "unknown system 'sap'"),
        ({"conector": {"type": "native"}}, "conector", "did you mean connector?"),
        ({"mappings": [{"source": "a", "taget": "b"}]}, "mappings[0].taget", "unknown field"),
        ({"health": {"kind": "http"}}, "health.url", "is required when health.kind is http"),
        ({"health": {"kind": "boomi", "account": "celigo-prod", "ref": "p"}}, "health.account", "is a celigo account"),
        ({"reviewed_at": "last tuesday"}, "reviewed_at", "must be a date"),
        ({"reviewed_at": "2026-02-30"}, "reviewed_at", "2026-02-30 is not a day of the calendar"),
        ({"description": "x" * 65_537}, "description", "must be at most 65,536 characters"),
        ({"name": "Shopify\u0000orders"}, "name", "contains a NUL character (\\u0000), which cannot be stored"),
        ({"name": "Shopify\u0007orders"}, "name", "must not hold control character U+0007"),
        ({"data_objects": ["order"] * 101}, "data_objects", "must list at most 100 items"),
    ],
)
def test_an_invalid_document_is_a_400_naming_the_field_and_changes_nothing(estate, api, change, path, message):
    before = estate_state()
    response = api("admin").post("/api/v1/integrations/", {**NEW, **change}, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[path])
    assert estate_state() == before


def test_an_invalid_update_changes_nothing(estate, api):
    before = estate_state()
    response = api("owner").put(f"/api/v1/integrations/{OWN_INTEGRATION}/", {"lifecycle": "gone"}, format="json")
    assert response.status_code == 400
    assert "lifecycle" in response.json()
    assert estate_state() == before


def test_put_cannot_rename_the_key(estate, api):
    url = f"/api/v1/integrations/{OWN_INTEGRATION}/"
    document = {**api("admin").get(url).json(), "key": "renamed"}
    response = api("admin").put(url, document, format="json")
    assert response.status_code == 400
    assert "as in the URL" in response.json()["key"][0]
    assert not Integration.objects.filter(key="renamed").exists()


def test_post_of_an_existing_key_is_refused(estate, api):
    before = estate_state()
    response = api("admin").post("/api/v1/integrations/", {**NEW, "key": OTHER_INTEGRATION}, format="json")
    assert response.status_code == 400
    assert "already exists" in response.json()["key"][0]
    assert estate_state() == before


def test_a_document_of_another_kind_is_refused(estate, api):
    response = api("admin").post("/api/v1/integrations/", {**NEW, "kind": "System"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["kind"]


def test_a_body_that_is_not_a_document_is_refused(estate, api):
    response = api("admin").post("/api/v1/integrations/", [NEW], format="json")
    assert response.status_code == 400
    assert "JSON object" in response.json()["non_field_errors"][0]


def test_form_posts_are_refused(estate, api):
    response = api("admin").post("/api/v1/integrations/", {"key": "x"})
    assert response.status_code == 415


def test_owner_cannot_create_an_integration_naming_someone_else(estate, api):
    before = estate_state()
    response = api("owner").post("/api/v1/integrations/", {**NEW, "owner": "raj.patel@example.com"}, format="json")
    assert response.status_code == 403
    assert estate_state() == before


def test_deleting_a_referenced_person_is_a_409_and_changes_nothing(estate, api):
    before = estate_state()
    response = api("admin").delete("/api/v1/people/raj.patel@example.com/")
    assert response.status_code == 409
    assert "still referenced" in response.json()["detail"]
    assert estate_state() == before


def test_delete_records_the_document_it_removed(estate, api, users):
    assert api("owner").delete(f"/api/v1/integrations/{OWN_INTEGRATION}/").status_code == 204
    record = ChangeRecord.objects.get(via="api")
    assert (record.action, record.actor, record.after) == ("delete", users["owner"], None)
    assert record.before["key"] == OWN_INTEGRATION


def test_people_are_addressed_by_email(estate, api):
    response = api("admin").patch("/api/v1/people/spare@example.com/", {"active": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert response.json()["url"] == "http://testserver/api/v1/people/spare@example.com/"


ACCOUNT = {"key": "boomi-prod", "platform": "boomi", "base_url": "https://api.boomi.com", "account_id": "acme-1"}


@pytest.mark.parametrize(
    ("secret_env", "message"),
    [
        (
            "DATABASE_URL",
            "DATABASE_URL is a variable Plumbline itself reads, never a credential: "
            "keep the credential in PLUMBLINE_CRED_<NAME>",
        ),
        (
            "BOOMI_TOKEN",
            "BOOMI_TOKEN does not start with PLUMBLINE_CRED_: credentials are read only from variables named "
            "PLUMBLINE_CRED_<NAME>; rename the variable",
        ),
    ],
)
def test_a_platform_account_is_written_only_with_a_credential_variable(estate, api, secret_env, message):
    before = estate_state()
    response = api("admin").post("/api/v1/platform-accounts/", {**ACCOUNT, "secret_env": secret_env}, format="json")
    assert response.status_code == 400
    assert response.json() == {"secret_env": [message]}
    assert estate_state() == before


def test_a_platform_account_with_a_credential_variable_is_written(estate, api):
    response = api("admin").post(
        "/api/v1/platform-accounts/", {**ACCOUNT, "secret_env": "PLUMBLINE_CRED_BOOMI_PROD"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["secret_env"] == "PLUMBLINE_CRED_BOOMI_PROD"
