"""A data object's page in a real browser: its master, the system two sources write it into, its
finding, and the graph of the integrations carrying it with the master highlighted."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from catalog.rules.store import refresh_findings
from tests.browser.session import log_in
from tests.pages.estate import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_follows_a_data_object_from_the_list_to_its_graph(live_server, page, screenshot):
    call_command("seed_demo", verbosity=0)
    refresh_findings()
    make_user("viewer@example.com", "viewer")
    base = live_server.url
    log_in(page, base, "viewer@example.com", "/")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Data objects").click()
    page.wait_for_url(f"{base}/data-objects/")
    employee = page.locator("#data-objects tr", has_text="Employee")
    expect(employee).to_contain_text("none declared")
    expect(employee.locator(".badge")).to_have_text("Several systems hold it and none is its master")
    screenshot("data-objects-list")

    page.locator("#data-objects").get_by_role("link", name="Customer", exact=True).click()
    page.wait_for_url(f"{base}/data-objects/customer/")
    expect(page.locator("#master")).to_contain_text("Salesforce Sales Cloud")
    netsuite = page.locator("#written-into tr", has_text="NetSuite OneWorld")
    expect(netsuite.locator(".badge")).to_have_text("2 sources")
    expect(netsuite).to_contain_text("Shopify Plus")
    expect(page.locator(".findings-table")).to_contain_text("CONFLICTING_WRITERS")
    drawing = page.locator("#object-graph img")
    drawing.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('#object-graph img').naturalWidth > 100")
    screenshot("data-object-detail")

    drawing.click()
    page.wait_for_url(f"{base}/graph/?object=customer")
    master = page.locator("svg g.node.master")
    expect(master).to_have_count(1)
    expect(master).to_contain_text("Salesforce Sales Cloud (master)")
    expect(page.locator("figure.graph-canvas figcaption")).to_contain_text("carrying customer")
    screenshot("data-object-graph")
