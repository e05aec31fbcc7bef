"""The header in a real browser: "/" jumps to the search box, a non-ASCII name is found in
capitals, the current section is marked; the admin's /me/, a viewer kept out of the admin, the
graph drawn without an inner scroll box, and a system page with its integrations' health."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from catalog.models import System
from tests.browser.session import log_in
from tests.pages.estate import PASSWORD, load_estate, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_slash_focuses_the_search_box_and_finds_a_name_in_capitals(live_server, page, screenshot):
    load_estate()
    System.objects.create(key="angstrom", name="Ångström Lab Systems", vendor="Ångström AB")
    make_user("viewer@example.com", "viewer")
    base = live_server.url
    log_in(page, base, "viewer@example.com", "/systems/")
    expect(page.locator("nav.mainnav a[aria-current=page]")).to_have_text("Systems")
    screenshot("nav-systems")

    page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Search the estate")
    expect(box).to_be_focused()
    box.fill("ÅNGSTRÖM")
    box.press("Enter")
    page.wait_for_url(f"{base}/search/?q=%C3%85NGSTR%C3%96M")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search results for “ÅNGSTRÖM”")
    expect(page.get_by_role("link", name="Ångström Lab Systems")).to_be_visible()
    screenshot("search-results")

    page.goto(f"{base}/search/?q=netsuite")
    expect(page.get_by_role("status")).to_have_text("3 matches: 2 integrations, 1 system.")
    screenshot("search-netsuite")

    # Typing "/" in a field types it, and does not jump.
    page.goto(f"{base}/systems/")
    field = page.get_by_label("Search", exact=True)
    field.type("a/b")
    expect(field).to_have_value("a/b")
    expect(page.get_by_role("searchbox", name="Search the estate")).not_to_be_focused()


def test_the_favicon_is_served(live_server, page):
    make_user("viewer@example.com", "viewer")
    response = page.request.get(f"{live_server.url}/static/favicon.svg")
    assert response.ok
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in response.body()


def test_an_admin_with_no_person_sees_their_role_on_me_and_reaches_the_admin(live_server, page, screenshot):
    make_user("boss@example.com", "admin")
    base = live_server.url
    log_in(page, base, "boss@example.com", "/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Me: boss@example.com")
    expect(page.get_by_role("heading", name="What the admin role may do")).to_be_visible()
    screenshot("me-admin-without-person")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    page.wait_for_url(f"{base}/admin/")
    expect(page.get_by_text("Site administration")).to_be_visible()


def test_a_viewer_asking_for_the_admin_gets_our_page_with_a_way_back(live_server, page, screenshot):
    make_user("viewer@example.com", "viewer")
    base = live_server.url
    page.goto(f"{base}/admin/")
    page.wait_for_url(f"{base}/login/?next=/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Plumbline")
    page.get_by_label("Email").fill("viewer@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/")
    expect(page.get_by_text("The Django admin is for admins")).to_be_visible()
    screenshot("admin-refused-viewer")
    page.get_by_role("link", name="Back to the estate dashboard").click()
    page.wait_for_url(f"{base}/")


def test_graph_is_not_clipped_and_system_page_links_to_its_blast_radius(live_server, page, screenshot):
    load_estate()
    make_user("viewer@example.com", "viewer")
    base = live_server.url
    log_in(page, base, "viewer@example.com", "/systems/netsuite/")
    expect(page.get_by_role("status")).to_contain_text("Health of its integrations")
    screenshot("system-detail-health")
    page.get_by_role("link", name="Blast radius: what breaks if NetSuite is down").click()
    page.wait_for_url(f"{base}/graph/?blast=netsuite")
    expect(page.get_by_label("Blast radius of", exact=True)).to_have_value("netsuite")
    canvas = page.locator("figure.graph-canvas")
    clipped = canvas.evaluate("el => el.scrollHeight > el.clientHeight + 1")
    assert clipped is False
    page.get_by_label("Blast radius of", exact=True).select_option(label="Chargebee")
    page.get_by_role("button", name="Draw").click()
    page.wait_for_url(re.compile(r"/graph/\?.*blast=chargebee"))
    expect(page.get_by_role("heading", name="Blast radius of Chargebee")).to_be_visible()
    screenshot("graph-blast-chargebee")
