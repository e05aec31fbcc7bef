"""Data objects through the API: the document with its master, strict filters, validation like an
import, history, and the OpenAPI schema."""

from __future__ import annotations

import pytest

from catalog.models import ChangeRecord, DataObject

pytestmark = pytest.mark.django_db


def keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["key"] for row in response.json()["results"]]


def test_a_data_object_reads_as_its_spec_document(estate, api):
    body = api("viewer").get("/api/v1/data-objects/customer/").json()
    assert {k: v for k, v in body.items() if k != "url"} == {
        "apiVersion": "plumbline/v1",
        "kind": "DataObject",
        "key": "customer",
        "name": "Customer",
        "master": "salesforce",
        "owner": "ana.lopez@example.com",
        "sequence_sensitive": False,
    }
    assert body["url"].endswith("/api/v1/data-objects/customer/")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("master=salesforce", ["customer"]),
        ("owner=raj.patel@example.com", ["vendor"]),
        ("has_master=true", ["customer", "vendor"]),
        ("has_master=false", ["item"]),
        ("sequence_sensitive=true", ["item"]),
        ("q=vend", ["vendor"]),
    ],
)
def test_filters(estate, api, query, expected):
    DataObject.objects.create(key="item", sequence_sensitive=True)
    assert keys(api("viewer").get(f"/api/v1/data-objects/?{query}")) == expected


@pytest.mark.parametrize("query", ["colour=red", "has_master=maybe", "master=nowhere"])
def test_an_unknown_or_bad_filter_is_a_400(estate, api, query):
    assert api("viewer").get(f"/api/v1/data-objects/?{query}").status_code == 400


def test_an_unknown_master_is_refused_by_field_and_nothing_is_written(estate, api):
    response = api("admin").post("/api/v1/data-objects/", {"key": "item", "master": "sap"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"master": ["unknown system 'sap'"]}
    assert not DataObject.objects.filter(key="item").exists()


def test_a_change_is_in_the_history(estate, api):
    api("admin").patch("/api/v1/data-objects/customer/", {"master": "netsuite"}, format="json")
    assert DataObject.objects.get(key="customer").master.key == "netsuite"
    history = api("viewer").get("/api/v1/data-objects/customer/history/").json()["results"]
    assert history[0]["action"] == "update" and history[0]["via"] == "api"
    assert ChangeRecord.objects.filter(kind="DataObject", key="customer", via="api").count() == 1


def test_the_schema_has_the_data_objects_paths_and_filters(api):
    schema = api("viewer").get("/api/v1/schema/").json()
    assert {"/api/v1/data-objects/", "/api/v1/data-objects/{key}/", "/api/v1/data-objects/{key}/history/"} <= set(
        schema["paths"]
    )
    parameters = {p["name"] for p in schema["paths"]["/api/v1/data-objects/"]["get"]["parameters"]}
    assert {"q", "master", "owner", "has_master", "sequence_sensitive", "ordering"} <= parameters
    assert {"master", "owner", "sequence_sensitive"} <= set(schema["components"]["schemas"]["DataObject"]["properties"])
