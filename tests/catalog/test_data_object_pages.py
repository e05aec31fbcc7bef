"""The data-object pages: the list of every object (declared or only named by integrations), one
object with its master, writers and findings, the forms, the links to them, and flat query counts."""

from __future__ import annotations

import re
import textwrap

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import ChangeRecord, DataObject, Integration, System
from catalog.rules.store import refresh_findings
from catalog.spec.importer import import_sources
from plumbline.accounts.roles import assign_role
from tests.catalog.test_rules_support import silence_monitoring

pytestmark = pytest.mark.django_db

ESTATE = """
apiVersion: plumbline/v1
kind: Person
key: ana.lopez@example.com
name: Ana Lopez
---
apiVersion: plumbline/v1
kind: System
key: salesforce
name: Salesforce
category: crm
---
apiVersion: plumbline/v1
kind: System
key: shopify
name: Shopify
category: ecommerce
---
apiVersion: plumbline/v1
kind: System
key: netsuite
name: NetSuite
category: erp
---
apiVersion: plumbline/v1
kind: System
key: hubspot
name: HubSpot <Marketing>
category: crm
---
apiVersion: plumbline/v1
kind: DataObject
key: customer
name: Customer
master: salesforce
owner: ana.lopez@example.com
---
apiVersion: plumbline/v1
kind: Integration
key: sf-customers-to-ns
name: Salesforce customers to NetSuite
source: salesforce
target: netsuite
data_objects: [customer]
---
apiVersion: plumbline/v1
kind: Integration
key: shop-orders-to-ns
name: Shopify orders to NetSuite
source: shopify
target: netsuite
data_objects: [customer, sales-order]
---
apiVersion: plumbline/v1
kind: Integration
key: sf-hubspot-contacts
name: Salesforce and HubSpot contacts
source: salesforce
target: hubspot
direction: bidirectional
data_objects: [contact]
"""


@pytest.fixture(autouse=True)
def estate(monkeypatch):
    silence_monitoring(monkeypatch)
    import_sources([("estate.yaml", textwrap.dedent(ESTATE))])
    refresh_findings()


def client_as(role: str, email: str | None = None) -> Client:
    email = email or f"{role}@example.com"
    user = get_user_model().objects.create_user(email, email, "pw-0123456789")
    assign_role(user, role)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer() -> Client:
    return client_as("viewer")


def rows_of(page: str) -> dict[str, str]:
    """Each table row's text by its first cell's text, tags stripped."""
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        cells = [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if cells:
            rows[cells[0]] = " | ".join(cells[1:])
    return rows


def test_the_list_shows_declared_and_derived_objects_with_masters_and_findings(viewer):
    page = viewer.get("/data-objects/").content.decode()
    rows = rows_of(page)
    assert rows["Customer customer"] == (
        "Salesforce | Ana Lopez | 2 | NetSuite | Two sources write it into the same system"
    )
    assert rows["sales-order no document"] == "none declared | — | 1 | NetSuite | none"
    # Bidirectional: both ends are written into, and no master is declared.
    assert rows["contact no document"] == (
        "none declared | — | 1 | HubSpot &lt;Marketing&gt; , Salesforce | "
        "Several systems hold it and none is its master"
    )
    assert "3 data objects: 1 declared" in page


def test_the_detail_page_answers_master_writers_findings_and_history(viewer):
    page = viewer.get("/data-objects/customer/").content.decode()
    assert re.search(r'id="master"><a href="/systems/salesforce/">Salesforce</a>', page)
    written = rows_of(page.split('id="written-into"')[1].split("</table>")[0])
    assert written["NetSuite 2 sources"] == (
        "Salesforce , Shopify | Salesforce customers to NetSuite , Shopify orders to NetSuite"
    )
    assert "NetSuite gets it from Salesforce (sf-customers-to-ns) and Shopify (shop-orders-to-ns)" in page
    carriers = rows_of(page.split('id="carriers"')[1].split("</table>")[0])
    assert carriers["Salesforce customers to NetSuite"] == "Salesforce → NetSuite | Live"
    assert 'href="/graph/?object=customer"' in page
    assert '<img src="/graph/estate.svg?object=customer"' in page
    assert "Change history" in page and "Created with" in page
    assert "Nothing writes it into its master, Salesforce: the master originates it." in page


def test_a_bidirectional_carrier_is_shown_writing_both_ends(viewer):
    page = viewer.get("/data-objects/contact/").content.decode()
    assert "Salesforce ↔ HubSpot &lt;Marketing&gt; <small>(writes both ends)</small>" in page
    assert "no document" in page and 'href="/data-objects/new/?key=contact"' not in page  # viewers declare nothing


def test_an_admin_may_declare_the_master_of_a_derived_object(viewer):
    admin = client_as("admin")
    page = admin.get("/data-objects/contact/").content.decode()
    assert 'href="/data-objects/new/?key=contact"' in page
    form = admin.get("/data-objects/new/?key=contact").content.decode()
    assert 'name="key" value="contact"' in form
    response = admin.post("/data-objects/new/", {"key": "contact", "name": "Contact", "master": "salesforce"})
    assert response.status_code == 302 and response["Location"] == "/data-objects/contact/"
    assert DataObject.objects.get(key="contact").master.key == "salesforce"
    assert ChangeRecord.objects.filter(kind="DataObject", key="contact", via="page").exists()


def test_a_form_with_an_unknown_person_writes_nothing():
    admin = client_as("admin")
    response = admin.post("/data-objects/new/", {"key": "Not A Slug!", "owner": "nobody@example.com"})
    assert response.status_code == 400
    assert not DataObject.objects.filter(name="x").exists() and DataObject.objects.count() == 1


def test_an_owner_edits_the_objects_they_own_and_a_viewer_none(viewer):
    owner = client_as("owner", "ana.lopez@example.com")
    assert owner.get("/data-objects/customer/edit/").status_code == 200
    response = owner.post(
        "/data-objects/customer/edit/",
        {"key": "customer", "name": "Client", "master": "netsuite", "owner": "ana.lopez@example.com"},
    )
    assert response.status_code == 302
    assert DataObject.objects.get(key="customer").master.key == "netsuite"
    assert viewer.get("/data-objects/customer/edit/").status_code == 403
    assert viewer.post("/data-objects/new/", {"key": "item"}).status_code == 403
    assert not DataObject.objects.filter(key="item").exists()


def test_an_object_nobody_names_is_a_404(viewer):
    assert viewer.get("/data-objects/unicorn/").status_code == 404


def test_the_integration_page_links_its_data_objects(viewer):
    page = viewer.get("/integrations/shop-orders-to-ns/").content.decode()
    assert (
        '<a href="/data-objects/customer/">customer</a>, <a href="/data-objects/sales-order/">sales-order</a>' in page
    )


def test_the_findings_page_links_data_object_findings(viewer):
    page = viewer.get("/findings/?subject_type=data_object").content.decode()
    assert '<a href="/data-objects/customer/">Customer</a> <span class="meta">(data object)</span>' in page
    assert '<a href="/data-objects/contact/">contact</a>' in page


def test_the_navigation_links_the_data_objects(viewer):
    assert (
        '<a href="/data-objects/" aria-current="page">Data objects</a>' in viewer.get("/data-objects/").content.decode()
    )


def test_the_graph_by_object_escapes_what_it_is_given(viewer):
    response = viewer.get("/graph/?object=%3Cscript%3Ealert(1)%3C/script%3E")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_the_graph_by_object_draws_its_carriers_and_highlights_the_master(viewer):
    page = viewer.get("/graph/?object=customer").content.decode()
    assert "carrying customer (master Salesforce)" in page
    assert "Salesforce (master)" in page
    assert "HubSpot" not in page.split("<svg", 1)[1]  # carries only contacts


def test_the_drawing_the_page_shows_is_the_object_graph(viewer):
    svg = viewer.get("/graph/estate.svg?object=customer").content.decode()
    assert "Salesforce (master)" in svg and "Shopify" in svg and "HubSpot" not in svg


def grow(size: int) -> None:
    """`size` more integrations, each carrying a data object of its own and customer."""
    netsuite, shopify = System.objects.get(key="netsuite"), System.objects.get(key="shopify")
    extra = System.objects.bulk_create([System(key=f"sys-{n}-{size}") for n in range(size)])
    Integration.objects.bulk_create(
        Integration(
            key=f"i-{n}-{size}",
            source=extra[n],
            target=netsuite if n % 2 else shopify,
            data_objects=[f"obj-{n}", "customer"],
        )
        for n in range(size)
    )
    DataObject.objects.bulk_create(DataObject(key=f"obj-{n}", master=extra[n]) for n in range(0, size, 2))
    refresh_findings()


def queries_for(client: Client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured), response.content.decode()


@pytest.mark.parametrize("path", ["/data-objects/", "/data-objects/customer/", "/data-objects/obj-1/"])
def test_the_pages_make_the_same_queries_at_two_sizes(viewer, path):
    grow(4)
    small, _ = queries_for(viewer, path)
    DataObject.objects.filter(key__startswith="obj-").delete()
    Integration.objects.filter(key__startswith="i-").delete()
    grow(40)
    large, page = queries_for(viewer, path)
    assert large == small <= 15
    if path == "/data-objects/":
        assert "obj-39" in page


def test_the_django_admin_checks_and_records_a_data_object():
    admin = client_as("admin")
    get_user_model().objects.filter(email="admin@example.com").update(is_staff=True, is_superuser=True)
    bad = admin.post("/admin/catalog/dataobject/add/", {"key": "Not A Slug", "name": "x"})
    assert bad.status_code == 200 and not DataObject.objects.filter(name="x").exists()
    response = admin.post(
        "/admin/catalog/dataobject/add/", {"key": "vendor", "name": "Vendor", "master": "", "owner": ""}
    )
    assert response.status_code == 302
    assert ChangeRecord.objects.filter(kind="DataObject", key="vendor", via="admin", action="create").exists()
