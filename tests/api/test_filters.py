"""Every API list filters through the strict filtersets of catalog.filters: each integration
filter works, and an unknown filter or a bad value is a 400 naming it."""

from __future__ import annotations

import pytest

from tests.api.conftest import BACKED_UP_INTEGRATION, OTHER_INTEGRATION, OWN_INTEGRATION

pytestmark = pytest.mark.django_db

CHARGEBEE, SALESFORCE, SHOPIFY = OWN_INTEGRATION, BACKED_UP_INTEGRATION, OTHER_INTEGRATION


def keys(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [item["key"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=ledger", [CHARGEBEE]),
        ("q=shopify", [SHOPIFY]),
        ("owner=raj.patel@example.com", [SALESFORCE]),
        ("backup_owner=ana.lopez@example.com", [SALESFORCE]),
        ("source=chargebee", [CHARGEBEE]),
        ("target=netsuite", [CHARGEBEE, SALESFORCE]),
        ("system=chargebee", [CHARGEBEE, SHOPIFY]),
        ("connector_type=native", [SALESFORCE]),
        ("platform=celigo", [CHARGEBEE]),
        ("lifecycle=building", [SALESFORCE]),
        ("phase=phase-two", [SHOPIFY]),
        ("complete=true", [CHARGEBEE]),
        ("complete=false", [SALESFORCE, SHOPIFY]),
        ("missing=mappings", [SALESFORCE, SHOPIFY]),
        ("missing=frequency", [SHOPIFY]),
        ("reviewed_before=2026-01-01", [SALESFORCE]),
        ("reviewed_after=2026-01-01", [CHARGEBEE]),
        ("lifecycle=live&target=chargebee", [SHOPIFY]),
        ("ordering=-completeness", [CHARGEBEE, SALESFORCE, SHOPIFY]),
        ("ordering=owner", [CHARGEBEE, SALESFORCE, SHOPIFY]),
    ],
)
def test_integration_filter(estate, api, query, expected):
    assert keys(api("viewer"), f"/api/v1/integrations/?{query}") == expected


def test_unknown_filter_is_a_400_naming_it(estate, api):
    response = api("viewer").get("/api/v1/integrations/?lifecyle=live")
    assert response.status_code == 400
    assert list(response.json()) == ["lifecyle"]
    assert "unknown filter" in response.json()["lifecyle"][0]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("lifecycle=alive", "lifecycle"),
        ("reviewed_before=yesterday", "reviewed_before"),
        ("owner=nobody@example.com", "owner"),
        ("system=no-such-system", "system"),
        ("complete=maybe", "complete"),
        ("missing=vibes", "missing"),
        ("ordering=password", "ordering"),
    ],
)
def test_bad_filter_value_is_a_400_naming_it(estate, api, query, parameter):
    response = api("viewer").get(f"/api/v1/integrations/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/v1/people/?team=it", ["raj.patel@example.com"]),
        ("/api/v1/systems/?category=billing", ["chargebee"]),
        ("/api/v1/systems/?owner=sam.ortiz@example.com", ["shopify"]),
        ("/api/v1/platform-accounts/?platform=boomi", ["spare-account"]),
        (f"/api/v1/golives/?integration={OWN_INTEGRATION}", ["netsuite-go-live"]),
        (f"/api/v1/golives/?integration={OTHER_INTEGRATION}", []),
    ],
)
def test_other_lists_filter_too(estate, api, url, expected):
    assert keys(api("viewer"), url) == expected


def test_a_bad_boolean_is_a_400_not_no_filter(estate, api):
    response = api("viewer").get("/api/v1/people/?active=perhaps")
    assert response.status_code == 400
    assert list(response.json()) == ["active"]


@pytest.mark.parametrize("endpoint", ["people", "systems", "platform-accounts", "golives"])
def test_other_lists_refuse_unknown_filters(estate, api, endpoint):
    response = api("viewer").get(f"/api/v1/{endpoint}/?colour=red")
    assert response.status_code == 400
    assert list(response.json()) == ["colour"]


def test_history_refuses_unknown_parameters(estate, api):
    response = api("viewer").get(f"/api/v1/integrations/{OWN_INTEGRATION}/history/?since=2026-01-01")
    assert response.status_code == 400
    assert list(response.json()) == ["since"]


def test_page_size_is_capped(estate, api):
    client = api("viewer")
    response = client.get("/api/v1/systems/?page_size=1")
    assert len(response.json()["results"]) == 1
    assert response.json()["count"] == 6
    assert response.json()["next"].endswith("page=2&page_size=1")
    assert len(client.get("/api/v1/systems/?page_size=100000").json()["results"]) == 6
