"""OpenAPI 3 at /api/v1/schema/ and a readable, offline docs page at /api/v1/docs/."""

from __future__ import annotations

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
    assert "<script" not in page


def test_docs_page_needs_login(client, db):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
