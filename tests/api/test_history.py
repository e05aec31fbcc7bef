"""The change history of a document, newest first, with the changed fields computed."""

from __future__ import annotations

import pytest

from catalog.api.history import changed_fields
from tests.api.conftest import OWN_INTEGRATION

pytestmark = pytest.mark.django_db


def test_changed_fields_lists_dotted_paths_with_before_and_after():
    before = {"key": "a", "sync": {"trigger": "schedule", "interval_minutes": 15}, "owner": "x@example.com"}
    after = {"key": "a", "sync": {"trigger": "schedule", "interval_minutes": 60}, "name": "A"}
    assert changed_fields(before, after) == [
        {"field": "sync.interval_minutes", "before": 15, "after": 60},
        {"field": "name", "before": None, "after": "A"},
        {"field": "owner", "before": "x@example.com", "after": None},
    ]


def test_changed_fields_indexes_mappings():
    before = {"mappings": [{"source": "a", "target": "b"}]}
    after = {"mappings": [{"source": "a", "target": "c"}, {"source": "d", "target": "e"}]}
    assert changed_fields(before, after) == [
        {"field": "mappings[0].target", "before": "b", "after": "c"},
        {"field": "mappings[1].source", "before": None, "after": "d"},
        {"field": "mappings[1].target", "before": None, "after": "e"},
    ]


def test_changed_fields_compares_plain_lists_whole():
    before = {"data_objects": ["invoice"]}
    after = {"data_objects": ["invoice", "payment"]}
    assert changed_fields(before, after) == [
        {"field": "data_objects", "before": ["invoice"], "after": ["invoice", "payment"]}
    ]


def test_integration_history_is_newest_first_with_actor_and_changes(estate, api):
    url = f"/api/v1/integrations/{OWN_INTEGRATION}/"
    api("owner").patch(url, {"sync": {"interval_minutes": 30}}, format="json")
    api("admin").patch(url, {"name": "Invoices"}, format="json")
    response = api("viewer").get(url + "history/")
    assert response.status_code == 200
    records = response.json()["results"]
    assert [(r["action"], r["via"], r["actor"]) for r in records] == [
        ("update", "api", "admin@example.com"),
        ("update", "api", "ana.lopez@example.com"),
        ("create", "import", None),
    ]
    assert records[0]["changes"] == [{"field": "name", "before": "Chargebee invoices to NetSuite", "after": "Invoices"}]
    assert records[1]["changes"] == [{"field": "sync.interval_minutes", "before": 15, "after": 30}]
    assert records[1]["before"]["sync"]["interval_minutes"] == 15


def test_history_outlives_a_deleted_document(estate, api):
    api("admin").delete("/api/v1/systems/raj-spare/")
    response = api("viewer").get("/api/v1/systems/raj-spare/history/")
    assert response.status_code == 200
    assert [r["action"] for r in response.json()["results"]] == ["delete", "create"]


def test_history_of_an_unknown_key_is_404(estate, api):
    assert api("viewer").get("/api/v1/integrations/no-such-thing/history/").status_code == 404


def test_people_have_history_too(estate, api):
    api("admin").patch("/api/v1/people/spare@example.com/", {"team": "Ops"}, format="json")
    response = api("viewer").get("/api/v1/people/spare@example.com/history/")
    assert response.json()["results"][0]["changes"] == [{"field": "team", "before": None, "after": "Ops"}]
