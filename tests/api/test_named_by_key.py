"""A value map a mapping names, and a calendar a freeze names, are named by key inside a value, not
through a foreign key; deleting one that is still named is refused all the same (catalog/protection.py)."""

from __future__ import annotations

import textwrap

import pytest

from catalog.models import Calendar, ValueMap
from catalog.spec.importer import import_sources
from tests.api.conftest import estate_state, make_user

NAMED = """
apiVersion: plumbline/v1
kind: Calendar
key: finance-us
---
apiVersion: plumbline/v1
kind: Calendar
key: spare-calendar
---
apiVersion: plumbline/v1
kind: System
key: netsuite
name: NetSuite
category: erp
freeze: [{last_business_days: 2, calendar: finance-us}]
---
apiVersion: plumbline/v1
kind: Integration
key: salesforce-customers-to-netsuite
source: salesforce
target: netsuite
mappings:
  - {source: account.region, target: customer.subsidiary, transform: lookup, value_map: coa-chargebee-to-netsuite}
"""


@pytest.fixture
def named(estate):
    import_sources([("named.yaml", textwrap.dedent(NAMED))])


def test_deleting_a_value_map_a_mapping_names_is_a_409_naming_the_integration(named, api):
    before = estate_state()
    response = api("admin").delete("/api/v1/value-maps/coa-chargebee-to-netsuite/")
    assert response.status_code == 409
    assert "salesforce-customers-to-netsuite" in response.json()["detail"]
    assert estate_state() == before


def test_a_value_map_no_mapping_names_is_deleted(named, api):
    assert api("admin").delete("/api/v1/value-maps/tax-codes/").status_code == 204
    assert not ValueMap.objects.filter(key="tax-codes").exists()


def test_deleting_a_calendar_a_system_freeze_names_is_a_409(named, api):
    before = estate_state()
    response = api("admin").delete("/api/v1/calendars/finance-us/")
    assert response.status_code == 409
    assert "NetSuite" in response.json()["detail"]
    assert estate_state() == before
    assert api("admin").delete("/api/v1/calendars/spare-calendar/").status_code == 204
    assert list(Calendar.objects.values_list("key", flat=True)) == ["finance-us"]


def test_the_admin_lists_what_names_a_value_map_and_deletes_nothing(named, client):
    client.force_login(make_user("root@example.com", "admin"))
    value_map = ValueMap.objects.get(key="coa-chargebee-to-netsuite")
    url = f"/admin/catalog/valuemap/{value_map.pk}/delete/"
    page = client.get(url).content.decode()
    assert "Cannot delete value map" in page and "integration: salesforce-customers-to-netsuite" in page
    client.post(url, {"post": "yes"})
    assert ValueMap.objects.filter(pk=value_map.pk).exists()
