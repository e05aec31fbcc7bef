"""Systems and people pages: what connects to a system, its version history, what a
person owns, backs up and performs, and /me/ for the logged-in user."""

from __future__ import annotations

import pytest

from catalog.spec.importer import import_sources

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(estate, client_for):
    return client_for("viewer")


def _section(body: str, heading: str) -> str:
    start = body.index(f"<h2>{heading}</h2>")
    end = body.find("<h2", start + 1)
    return body[start : end if end != -1 else None]


def test_system_list_counts_integrations_in_and_out(viewer):
    body = viewer.get("/systems/").content.decode()
    assert "3 systems." in body
    assert '<a href="/integrations/?target=netsuite">2</a>' in body


def test_system_list_filters_by_category(viewer):
    body = viewer.get("/systems/?category=billing").content.decode()
    assert "Chargebee" in body
    assert "NetSuite" not in body


def test_system_list_refuses_an_unknown_filter(viewer):
    response = viewer.get("/systems/?vendorr=Oracle")
    assert response.status_code == 400
    assert "<code>vendorr</code>: unknown filter" in response.content.decode()


def test_system_page_shows_integrations_in_and_out_and_its_owner(viewer):
    body = viewer.get("/systems/netsuite/").content.decode()
    inbound = _section(body, "Integrations into NetSuite")
    assert "Chargebee invoices to NetSuite" in inbound
    assert "Shopify orders to NetSuite" in inbound
    assert "No integration takes data out of this system." in _section(body, "Integrations out of NetSuite")
    assert '<a href="/people/ana.lopez@example.com/">Ana Lopez</a>' in body


def test_system_page_shows_its_version_history(viewer):
    upgrade = """
apiVersion: plumbline/v1
kind: System
key: netsuite
name: NetSuite
category: erp
version: "2027.1"
owner: ana.lopez@example.com
"""
    import_sources([("upgrade.yaml", upgrade)])
    versions = _section(viewer.get("/systems/netsuite/").content.decode(), "Version history")
    assert versions.index("2027.1") < versions.index("2026.2")
    assert '<span class="badge warning">major</span>' in versions


def test_an_unknown_system_is_a_404(viewer):
    response = viewer.get("/systems/nothing/")
    assert response.status_code == 404
    assert "There is no system with the key “nothing”." in response.content.decode()


def test_person_page_shows_what_they_own_back_up_and_perform(viewer):
    body = viewer.get("/people/sam.ortiz@example.com/").content.decode()
    assert "Shopify orders to NetSuite" in _section(body, "Owns")
    assert "Chargebee invoices to NetSuite" in _section(body, "Backs up")
    assert "Shopify orders to NetSuite" in _section(body, "Performs as a workaround")
    assert 'href="/systems/chargebee/"' in _section(body, "Systems owned")


def test_people_list_counts_what_each_owns(viewer):
    body = viewer.get("/people/?team=finance systems").content.decode()
    assert "Ana Lopez" in body
    assert "Sam Ortiz" not in body


def test_me_shows_my_own_integrations(estate, client_for):
    body = client_for("owner").get("/me/").content.decode()
    assert "My specs: Ana Lopez" in body
    assert "Chargebee invoices to NetSuite" in _section(body, "Owns")


def test_me_without_a_person_explains_what_to_do(estate, client_for):
    body = client_for("viewer").get("/me/").content.decode()
    assert "No person in the catalog has your email" in body
    assert "key: viewer@example.com" in body


def test_a_busy_system_lists_the_first_integrations_and_links_to_all(viewer):
    from tests.pages.estate import bulk_integrations

    bulk_integrations(120)
    body = viewer.get("/systems/bulk-source/").content.decode()
    out = _section(body, "Integrations out of bulk-source")
    assert out.count('<th scope="row">') == 50  # the page lists the first 50 (issue 18: flat at any size)
    assert "Showing 50 of 120." in out
    assert '<a href="/integrations/?source=bulk-source">See all 120 in the integrations list</a>' in out
