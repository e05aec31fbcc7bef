"""The spec's `reconciliation` block through the API: shown, written, and a 400 naming the field."""

from __future__ import annotations

import pytest

from catalog.models import Integration
from tests.api.conftest import OWN_INTEGRATION, estate_state

pytestmark = pytest.mark.django_db


def test_the_api_shows_the_block_and_a_put_changes_it(estate, api):
    url = f"/api/v1/integrations/{OWN_INTEGRATION}/"
    document = api("owner").get(url).json()
    assert "reconciliation" not in document
    document["reconciliation"] = {"tolerance_percent": 1.5, "tolerance_records": 10}
    response = api("owner").put(url, document, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["reconciliation"] == {"tolerance_percent": 1.5, "tolerance_records": 10}
    stored = Integration.objects.get(key=OWN_INTEGRATION)
    assert (stored.reconciliation_tolerance_percent, stored.reconciliation_tolerance_records) == (1.5, 10)
    assert api("owner").get(url).json()["reconciliation"] == {"tolerance_percent": 1.5, "tolerance_records": 10}


@pytest.mark.parametrize(
    ("block", "path"),
    [
        ({"tolerance_percent": 150}, "reconciliation.tolerance_percent"),
        ({"tolerance_records": -3}, "reconciliation.tolerance_records"),
    ],
)
def test_a_bad_tolerance_through_the_api_is_a_400_naming_the_field_and_changes_nothing(estate, api, block, path):
    before = estate_state()
    url = f"/api/v1/integrations/{OWN_INTEGRATION}/"
    response = api("owner").patch(url, {"reconciliation": block}, format="json")
    assert response.status_code == 400
    assert path in response.json(), response.json()
    assert estate_state() == before
