"""OpenAPI 3 at /api/v1/schema/ and a readable, offline docs page at /api/v1/docs/."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_3_json_with_the_integrations_paths(api):
    response = api("viewer").get("/api/v1/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/integrations/", "/api/v1/integrations/{key}/", "/api/v1/integrations/{key}/history/"} <= set(
        schema["paths"]
    )
    integration = schema["components"]["schemas"]["Integration"]["properties"]
    assert {"key", "source", "connector", "sync", "mappings", "completeness", "url"} <= set(integration)
    list_parameters = {p["name"] for p in schema["paths"]["/api/v1/integrations/"]["get"]["parameters"]}
    assert {"q", "owner", "system", "missing", "reviewed_before", "page", "page_size"} <= list_parameters
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_schema_is_also_served_as_yaml(api):
    response = api("viewer").get("/api/v1/schema/?format=yaml")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


def test_docs_page_lists_endpoints_filters_and_fields_without_a_cdn(api):
    response = api("viewer").get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/v1/integrations/{key}/history/" in page
    assert "<code>reviewed_before</code>" in page
    assert 'id="component-Integration"' in page
    assert "<code>compatibility_sla_days</code>" in page
    assert "cdn" not in page.lower()
    # No script but the app's own (the header's search shortcut): the docs need none.
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == ['<script src="/static/js/search.js" defer>']


def test_docs_page_needs_login(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_every_operation_documents_the_errors_it_can_answer(api):
    schema = api("viewer").get("/api/v1/schema/").json()
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        assert {"400", "401", "403", "429"} <= codes, (method, path)
        assert ("404" in codes) == ("{" in path or method == "GET"), (method, path)
        assert ("409" in codes) == (method == "DELETE"), (method, path)
        assert ("415" in codes) == (method in ("POST", "PUT", "PATCH")), (method, path)
    responses = schema["components"]["responses"]
    assert responses["NotFound"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert responses["BadRequest"]["content"]["application/json"]["schema"]["oneOf"] == [
        {"$ref": "#/components/schemas/FieldErrors"},
        {"$ref": "#/components/schemas/Error"},
    ]


def test_a_findings_owner_may_be_null(api):
    finding = api("viewer").get("/api/v1/schema/").json()["components"]["schemas"]["Finding"]
    assert finding["properties"]["owner"]["nullable"] is True


def test_integration_health_documents_the_observed_keys_read_only(api):
    schemas = api("viewer").get("/api/v1/schema/").json()["components"]["schemas"]
    health = schemas["IntegrationHealth"]
    assert set(health["required"]) == {"state", "last_success_at", "observed_interval_minutes", "open_failed_records"}
    assert health["properties"]["last_success_at"]["nullable"] is True
    assert health["properties"]["ping_url"]["readOnly"] is True
    assert schemas["HealthStateEnum"]["enum"] == ["unknown", "up", "late", "down", "failing", "paused"]
    assert schemas["ObservedInterval"]["properties"]["median"]["nullable"] is True
    # A request body carries only the written half.
    assert set(schemas["IntegrationHealthRequest"]["properties"]) == {
        *("kind", "grace_minutes", "url", "account", "ref"),
        *("path", "items", "fields", "status_map", "next", "failed_records"),  # health.kind json
    }
    completeness = schemas["Completeness"]["properties"]["score"]
    assert (completeness["type"], completeness["minimum"], completeness["maximum"]) == ("number", 0, 1)


def test_a_page_always_carries_count_next_previous_and_results(api):
    page = api("viewer").get("/api/v1/schema/").json()["components"]["schemas"]["PaginatedIntegrationList"]
    assert page["required"] == ["count", "next", "previous", "results"]
    assert page["properties"]["next"]["nullable"] is True


def test_numbers_carry_the_ranges_the_spec_checks_enforce(api):
    schemas = api("viewer").get("/api/v1/schema/").json()["components"]["schemas"]
    interval = schemas["IntegrationSync"]["properties"]["interval_minutes"]
    assert (interval["minimum"], interval["maximum"]) == (1, 2_000_000_000)
    hours = schemas["Integration"]["properties"]["build_estimate_hours"]
    assert (hours["minimum"], hours["maximum"]) == (0, 1_000_000)
