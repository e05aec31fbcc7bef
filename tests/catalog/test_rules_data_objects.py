"""NO_MASTER and CONFLICTING_WRITERS: who writes each data object into which system, decided from
the integrations' data_objects lists and the DataObject documents."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.data_objects import carriages
from catalog.models import DataObject, Integration, System
from catalog.rules import evaluate_estate
from catalog.rules.data_objects import conflicting_writers, no_master
from catalog.rules.finding import Finding
from tests.catalog.test_rules_support import integration, make_estate, person, silence_monitoring, system

SALESFORCE = system("salesforce", pk=10, name="Salesforce")
SHOPIFY = system("shopify", pk=11, name="Shopify")
NETSUITE = system("netsuite", pk=12, name="NetSuite")
HUBSPOT = system("hubspot", pk=13, name="HubSpot")


def carrying(key: str, source: System, target: System, **fields: object) -> Integration:
    return integration(key=key, source=source, target=target, data_objects=["customer"], **fields)


def document(master: System | None = None, *, sensitive: bool = False) -> DataObject:
    return DataObject(
        key="customer", master=master, sequence_sensitive=sensitive, owner=person("ana.lopez@example.com")
    )


def findings(*integrations: Integration, doc: DataObject | None = None) -> dict[str, Finding]:
    """The data-object findings about customer, by code."""
    carriage = carriages(integrations)["customer"]
    declared = {doc.key: doc.sequence_sensitive} if doc is not None else {}
    found = [no_master(carriage, doc), conflicting_writers(carriage, doc, declared)]
    return {f.code: f for f in found if f is not None}


def test_an_object_written_into_one_system_needs_no_master():
    assert findings(carrying("sf-to-ns", SALESFORCE, NETSUITE), carrying("sf-to-ns-2", SALESFORCE, NETSUITE)) == {}


def test_an_object_written_into_two_systems_without_a_master_is_no_master():
    found = findings(carrying("sf-to-ns", SALESFORCE, NETSUITE), carrying("sf-to-hub", SALESFORCE, HUBSPOT))
    assert set(found) == {"NO_MASTER"}
    finding = found["NO_MASTER"]
    assert (finding.severity, finding.subject_type, finding.subject_key) == ("warning", "data_object", "customer")
    assert "2 systems (HubSpot and NetSuite)" in finding.message
    assert "system of record (the master) of customer" in finding.remedy


def test_an_object_written_into_two_systems_with_a_declared_master_raises_nothing():
    both = (carrying("sf-to-ns", SALESFORCE, NETSUITE), carrying("sf-to-hub", SALESFORCE, HUBSPOT))
    assert findings(*both, doc=document(SALESFORCE)) == {}


def test_a_document_without_a_master_still_leaves_the_object_masterless():
    both = (carrying("sf-to-ns", SALESFORCE, NETSUITE), carrying("sf-to-hub", SALESFORCE, HUBSPOT))
    assert findings(*both, doc=document(None))["NO_MASTER"].owner == "ana.lopez@example.com"


def test_a_bidirectional_integration_writes_both_ends():
    found = findings(carrying("sf-ns", SALESFORCE, NETSUITE, direction="bidirectional"))
    assert "Salesforce" in found["NO_MASTER"].message and "NetSuite" in found["NO_MASTER"].message


def test_retired_integrations_write_nothing():
    retired = carrying("sf-to-hub", SALESFORCE, HUBSPOT, lifecycle="retired")
    assert findings(carrying("sf-to-ns", SALESFORCE, NETSUITE), retired) == {}


def test_two_integrations_into_one_system_from_the_same_source_do_not_conflict():
    same = (carrying("sf-to-ns", SALESFORCE, NETSUITE), carrying("sf-to-ns-2", SALESFORCE, NETSUITE))
    assert "CONFLICTING_WRITERS" not in findings(*same, doc=document(SALESFORCE))


def test_two_integrations_into_one_system_from_different_sources_conflict():
    two = (carrying("sf-to-ns", SALESFORCE, NETSUITE), carrying("shop-to-ns", SHOPIFY, NETSUITE))
    finding = findings(*two, doc=document(SALESFORCE))["CONFLICTING_WRITERS"]
    assert finding.severity == "warning"
    assert "NetSuite gets it from Salesforce (sf-to-ns) and Shopify (shop-to-ns)" in finding.message
    assert "route the others through its master (Salesforce)" in finding.remedy


def test_conflicting_writers_of_a_sequence_sensitive_object_are_critical():
    two = (carrying("sf-to-ns", SALESFORCE, NETSUITE), carrying("shop-to-ns", SHOPIFY, NETSUITE))
    assert findings(*two, doc=document(SALESFORCE, sensitive=True))["CONFLICTING_WRITERS"].severity == "critical"


def test_conflicting_writers_into_the_declared_master_are_critical():
    two = (carrying("shop-to-ns", SHOPIFY, NETSUITE), carrying("hub-to-ns", HUBSPOT, NETSUITE))
    finding = findings(*two, doc=document(NETSUITE))["CONFLICTING_WRITERS"]
    assert finding.severity == "critical"
    assert "NetSuite is its declared master, yet other systems write it" in finding.message


def test_the_built_in_list_makes_invoices_sequence_sensitive_without_a_document():
    invoices = [
        integration(key="a", source=SALESFORCE, target=NETSUITE, data_objects=["invoice"]),
        integration(key="b", source=SHOPIFY, target=NETSUITE, data_objects=["invoice"]),
    ]
    finding = conflicting_writers(carriages(invoices)["invoice"], None, {})
    assert finding is not None and finding.severity == "critical"


def test_a_document_saying_not_sequence_sensitive_overrides_the_built_in_list():
    invoices = [
        integration(key="a", source=SALESFORCE, target=NETSUITE, data_objects=["invoice"]),
        integration(key="b", source=SHOPIFY, target=NETSUITE, data_objects=["invoice"]),
    ]
    finding = conflicting_writers(carriages(invoices)["invoice"], None, {"invoice": False})
    assert finding is not None and finding.severity == "warning"


def test_an_integration_follows_its_data_objects_declared_sequence_sensitivity():
    item = integration(data_objects=["customer"], sequence_sensitive=None)
    assert not item.is_sequence_sensitive
    item.__dict__["sequence_declarations"] = {"customer": True}
    assert item.is_sequence_sensitive
    item.sequence_sensitive = False  # its own value wins
    assert not item.is_sequence_sensitive


@pytest.mark.django_db
def test_the_engine_raises_them_with_declared_masters_and_sensitivity(monkeypatch):
    silence_monitoring(monkeypatch)
    salesforce, shopify, netsuite = (System.objects.create(key=k, name=k.title()) for k in ("sf", "shop", "ns"))
    DataObject.objects.create(key="item", master=netsuite, sequence_sensitive=True)
    for key, source in (("sf-items", salesforce), ("shop-items", shopify)):
        Integration.objects.create(key=key, source=source, target=netsuite, data_objects=["item"])
    Integration.objects.create(key="ns-items-to-shop", source=netsuite, target=shopify, data_objects=["item", "sku"])
    Integration.objects.create(key="sf-skus", source=salesforce, target=netsuite, data_objects=["sku"])
    found = {(f.code, f.subject_key): f for f in evaluate_estate() if f.subject_type == "data_object"}
    assert set(found) == {("CONFLICTING_WRITERS", "item"), ("NO_MASTER", "sku")}
    assert found[("CONFLICTING_WRITERS", "item")].severity == "critical"
    # The declaration reaches the integration rules too: item is sequence-sensitive now.
    Integration.objects.filter(key="sf-items").update(resync="current-state")
    assert any(f.code == "RESYNC_LOSES_SEQUENCE" and f.subject_key == "sf-items" for f in evaluate_estate())


def data_object_query_count(size: int) -> tuple[int, int]:
    make_estate(size, prefix=f"d{size}")
    systems = list(System.objects.filter(key__startswith=f"d{size}-"))
    DataObject.objects.bulk_create(
        [DataObject(key=f"d{size}-obj-{n}", master=systems[n % len(systems)] if n % 3 else None) for n in range(size)]
    )
    objects = [f"d{size}-obj-{n}" for n in range(size)]
    for n, item in enumerate(Integration.objects.filter(key__startswith=f"d{size}-")):
        item.data_objects = [objects[n % size], objects[(n + 1) % size], "customer"]
        item.save(update_fields=["data_objects"])
    with CaptureQueriesContext(connection) as captured:
        findings = evaluate_estate()
    return len(captured), sum(f.subject_type == "data_object" for f in findings)


@pytest.mark.django_db
def test_data_objects_add_one_query_whatever_the_size(monkeypatch):
    silence_monitoring(monkeypatch)
    small, small_found = data_object_query_count(5)
    Integration.objects.all().delete()
    DataObject.objects.all().delete()
    large, large_found = data_object_query_count(40)
    assert small_found and large_found > small_found
    assert large == small <= 9  # the engine's nine catalog queries, one of them the data objects


@pytest.mark.django_db
def test_the_readiness_checklist_follows_a_declared_sequence_sensitive_object():
    from django.utils import timezone

    from catalog.readiness.load import readiness_by_golive
    from tests.catalog.test_readiness_support import ready_golive

    golive = ready_golive(1)
    Integration.objects.update(data_objects=["customer"], resync="current-state")

    def status() -> str:
        [row] = readiness_by_golive([golive.pk], timezone.localdate())[golive.pk].integrations
        return row.item("resync-sequence").status

    before = status()
    DataObject.objects.create(key="customer", sequence_sensitive=True)
    assert (before, status()) == ("n/a", "fail")


@pytest.mark.django_db
def test_the_findings_command_and_api_speak_of_data_objects(monkeypatch):
    import json
    from io import StringIO

    from django.core.management import call_command
    from rest_framework.test import APIClient

    from catalog.rules.store import refresh_findings
    from tests.api.conftest import make_user

    silence_monitoring(monkeypatch)
    salesforce, shopify, netsuite = (System.objects.create(key=k, name=k.title()) for k in ("sf", "shop", "ns"))
    Integration.objects.create(key="sf-to-ns", source=salesforce, target=netsuite, data_objects=["customer"])
    Integration.objects.create(key="shop-to-shop", source=netsuite, target=shopify, data_objects=["customer"])
    out = StringIO()
    call_command("findings", "--format", "json", stdout=out)
    assert {"code": "NO_MASTER", "subject_type": "data_object", "subject_key": "customer"}.items() <= next(
        f for f in json.loads(out.getvalue()) if f["code"] == "NO_MASTER"
    ).items()
    refresh_findings()
    client = APIClient()
    client.force_login(make_user("viewer@example.com", "viewer"))
    rows = client.get("/api/v1/findings/?subject_type=data_object").json()["results"]
    assert [(r["code"], r["subject_key"]) for r in rows] == [("NO_MASTER", "customer")]
