"""workaround.every and cost.* through the API: written and read back in the document, refused with
400 naming the field (nothing written), and described in the OpenAPI schema."""

from __future__ import annotations

import pytest

from catalog.models import Integration
from tests.api.conftest import OWN_INTEGRATION, estate_state

pytestmark = pytest.mark.django_db

URL = f"/api/v1/integrations/{OWN_INTEGRATION}/"


def test_every_and_cost_are_written_and_read_back(estate, api):
    patch = {"workaround": {"every": "weekly"}, "cost": {"licence_per_month": 450, "maintenance_hours_per_month": 2.5}}
    response = api("owner").patch(URL, patch, format="json")
    assert response.status_code == 200, response.content
    body = api("viewer").get(URL).json()
    assert body["workaround"]["every"] == "weekly"
    assert body["cost"] == {"licence_per_month": 450.0, "maintenance_hours_per_month": 2.5}
    stored = Integration.objects.get(key=OWN_INTEGRATION)
    assert (stored.workaround_every, stored.cost_licence_per_month) == ("weekly", 450.0)


@pytest.mark.parametrize(
    ("patch", "field", "message"),
    [
        ({"workaround": {"every": "fortnightly"}}, "workaround.every", "must be weekly, monthly or a cron"),
        ({"workaround": {"every": "0 9 * *"}}, "workaround.every", "5 fields"),
        ({"cost": {"licence_per_month": -1}}, "cost.licence_per_month", ""),
        ({"cost": {"maintenance_hours_per_month": "3h"}}, "cost.maintenance_hours_per_month", ""),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_nothing_is_written(estate, api, patch, field, message):
    before = estate_state()
    response = api("owner").patch(URL, patch, format="json")
    assert response.status_code == 400
    text = response.content.decode()
    name = field.split(".")[1]
    assert name in text and message in text
    assert estate_state() == before


def test_the_schema_describes_every_and_cost(estate, api):
    schema = api("viewer").get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    workaround = next(v for k, v in components.items() if k.lower().startswith("integrationworkaround"))
    assert "every" in workaround["properties"]
    cost = next(v for k, v in components.items() if k.lower().startswith("integrationcost"))
    assert set(cost["properties"]) == {"licence_per_month", "maintenance_hours_per_month"}
