"""The API and the edit form refuse a notify entry with an unknown transport or a malformed name, naming the item."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import estate_state
from tests.api.test_writes import NEW

pytestmark = pytest.mark.django_db


def with_notify(*entries: str) -> dict[str, Any]:
    handling: Any = NEW["error_handling"]
    return {**NEW, "error_handling": {**handling, "notify": list(entries)}}


def test_an_unknown_transport_is_a_400_naming_the_item_and_changes_nothing(estate, api):
    before = estate_state()
    response = api("admin").post(
        "/api/v1/integrations/", with_notify("a@example.com", "#ops", "sms:oncall"), format="json"
    )
    assert response.status_code == 400
    assert "unknown transport 'sms'" in response.json()["error_handling.notify[2]"][0]
    assert estate_state() == before


def test_a_malformed_name_is_a_400_naming_the_item(estate, api):
    response = api("admin").post("/api/v1/integrations/", with_notify("slack:#finance alerts"), format="json")
    assert response.status_code == 400
    assert "the name after 'slack:'" in response.json()["error_handling.notify[0]"][0]


def test_transport_entries_are_stored_and_read_back(estate, api):
    entries = ["slack:#finance-alerts", "teams:finance", "pagerduty:erp"]
    response = api("admin").post("/api/v1/integrations/", with_notify(*entries), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["error_handling"]["notify"] == entries
