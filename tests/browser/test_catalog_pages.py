"""The catalog pages in a real browser: log in, filter, open, edit a mapping, read the
history; markup in names is shown as text and never runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from catalog.models import Integration, System
from tests.browser.session import log_in
from tests.pages.estate import load_estate, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY = "chargebee-invoices-to-netsuite"
MARKUP = "<script>alert(1)</script>"


def test_owner_filters_opens_edits_a_mapping_and_sees_it_in_history(live_server, page, screenshot):
    load_estate()
    make_user("ana.lopez@example.com", "owner")
    base = live_server.url
    log_in(page, base, "ana.lopez@example.com", "/integrations/")
    expect(page.get_by_role("status")).to_have_text("2 integrations.")
    screenshot("integrations-list")

    page.get_by_label("Phase").select_option("go-live")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"{base}/integrations/?phase=go-live")
    expect(page.get_by_role("status")).to_have_text("1 integration match these filters.")
    expect(page.get_by_role("link", name="Shopify orders to NetSuite")).to_have_count(0)

    page.get_by_role("link", name="Chargebee invoices to NetSuite").click()
    page.wait_for_url(f"{base}/integrations/{KEY}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Chargebee invoices to NetSuite")
    screenshot("integration-detail")

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Mapping 2 target").fill("invoice.netAmount")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"{base}/integrations/{KEY}/")
    expect(page.locator(".messages")).to_contain_text(f"Integration {KEY} saved.")
    history = page.locator("section[aria-labelledby=history-heading]")
    row = history.locator("tr", has=page.locator("code", has_text="mappings[1].target")).first
    expect(row.locator("td.before")).to_have_text("invoice.amount")
    expect(row.locator("td.after")).to_have_text("→ invoice.netAmount")
    expect(history).to_contain_text("by ana.lopez@example.com via page")
    screenshot("integration-history")
    assert [m.target for m in Integration.objects.get(key=KEY).mappings.all()][1] == "invoice.netAmount"


def test_mapping_rows_are_added_and_moved_with_the_buttons(live_server, page):
    load_estate()
    make_user("admin@example.com", "admin")
    base = live_server.url
    log_in(page, base, "admin@example.com", f"/integrations/{KEY}/edit/")
    page.get_by_role("button", name="Add a mapping").click()
    page.get_by_label("Mapping 4 source").fill("invoice.currency")
    page.get_by_label("Mapping 4 target").fill("invoice.currencyCode")
    # Move the new row above the blank row and the two stored ones.
    for _ in range(3):
        page.get_by_role("button", name="Move mapping 4 up").click()
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"{base}/integrations/{KEY}/")
    sources = [m.source for m in Integration.objects.get(key=KEY).mappings.all()]
    assert sources == ["invoice.currency", "invoice.id", "invoice.total"]


def test_a_bad_value_is_shown_at_its_field_in_the_browser(live_server, page, screenshot):
    load_estate()
    make_user("ana.lopez@example.com", "owner")
    base = live_server.url
    log_in(page, base, "ana.lopez@example.com", f"/integrations/{KEY}/edit/")
    page.get_by_label("Health source").select_option("http")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("The spec was not saved")
    status_url = page.get_by_label("Status URL")
    expect(status_url).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_health_url_error")).to_have_text("is required when health.kind is http")
    screenshot("integration-edit-error")
    assert Integration.objects.get(key=KEY).health_kind == "none"


def test_markup_in_names_is_shown_as_text_and_runs_nothing(live_server, page, screenshot):
    load_estate()
    make_user("viewer@example.com", "viewer")
    System.objects.filter(key="shopify").update(name=MARKUP)
    Integration.objects.filter(key=KEY).update(name=MARKUP, description=MARKUP)
    base = live_server.url
    log_in(page, base, "viewer@example.com", "/integrations/")
    expect(page.get_by_role("link", name=MARKUP)).to_have_count(2)  # the integration and its source system
    expect(page.get_by_role("link", name=MARKUP).first).to_be_visible()
    expect(page.locator(f"a[href='/integrations/{KEY}/']")).to_have_text(MARKUP)

    page.goto(f"{base}/integrations/{KEY}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(MARKUP)
    page.goto(f"{base}/systems/")
    expect(page.get_by_role("link", name=MARKUP)).to_be_visible()
    page.goto(f"{base}/systems/shopify/")
    expect(page.get_by_role("heading", level=1)).to_have_text(MARKUP)
    screenshot("markup-as-text")
    assert page.dialogs == []
    # Nothing the name carried became an element: the page has no inline script at all.
    assert page.locator("script:not([src])").count() == 0


def test_no_page_breaks_its_content_security_policy(live_server, page):
    """Every script and style the pages use is a vendored file: Chromium reports no refusal."""
    load_estate()
    make_user("admin@example.com", "admin")
    refusals: list[str] = []
    page.on(
        "console", lambda message: refusals.append(message.text) if "Content Security Policy" in message.text else None
    )
    base = live_server.url
    log_in(page, base, "admin@example.com", "/")
    for path in (
        "/",
        "/integrations/",
        f"/integrations/{KEY}/",
        f"/integrations/{KEY}/edit/",
        "/graph/",
        "/findings/",
        "/phase-two/",
        f"/integrations/{KEY}/health/",
        "/admin/catalog/integration/",
    ):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
    assert refusals == []
    # The mapping editor's script (a vendored file) still runs under the policy: it adds a row.
    page.goto(f"{base}/integrations/{KEY}/edit/")
    rows = page.locator("#mapping-rows tr.mapping-row").count()
    page.get_by_role("button", name="Add a mapping").click()
    assert page.locator("#mapping-rows tr.mapping-row").count() == rows + 1
