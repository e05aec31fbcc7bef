"""The health board in a real browser: from the dashboard's "down" bar to the board filtered by
it, the counts that filter, the filter panel, and on to an integration's health page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.choices import HealthState
from catalog.models import Integration
from monitoring.models import Flip, HealthSource
from tests.browser.session import log_in
from tests.monitoring.conftest import make_integration, make_person
from tests.pages.estate import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# key, name, health kind, state, owner, source -> target, what the state row says
ESTATE: list[tuple[str, str, str, HealthState, str, str, str, dict[str, Any]]] = [
    ("stripe-payouts", "Stripe payouts to NetSuite", "boomi", HealthState.DOWN, "ana", "stripe", "netsuite",
     {"platform_stopped": "Process undeployed from the Atom by j.kim on 2026-11-28", "open_failed_records": 3}),
    ("payroll-journal", "ADP payroll journal to NetSuite", "heartbeat", HealthState.DOWN, "raj", "adp", "netsuite",
     {"open_failed_records": 0}),
    ("sf-customers", "Salesforce customers to NetSuite", "celigo", HealthState.FAILING, "ana", "salesforce",
     "netsuite", {"open_failed_records": 12}),
    ("shopify-orders", "Shopify orders to NetSuite", "http", HealthState.LATE, "sam", "shopify", "netsuite", {}),
    ("bank-statements", "Bank statements to NetSuite", "heartbeat", HealthState.UNKNOWN, "raj", "bank", "netsuite",
     {}),
    ("hubspot-contacts", "HubSpot contacts to Salesforce", "workato", HealthState.UP, "sam", "hubspot", "salesforce",
     {"observed_median_minutes": 15.2}),
    ("expenses", "Expensify reports to NetSuite", "heartbeat", HealthState.PAUSED, "sam", "expensify", "netsuite", {}),
]  # fmt: skip
FLIP_REASONS = {
    "payroll-journal": "no successful run since 2026-11-30 02:00 UTC (interval 1440 min + grace 60 min)",
    "sf-customers": "run r-981 completed with 12 failed records",
    "shopify-orders": "no successful run since 2026-12-01 09:00 UTC (interval 15 min)",
}


def seed() -> None:
    now = timezone.now()
    for n, (key, name, kind, state, who, source, target, facts) in enumerate(ESTATE):
        make_person(f"{who}@example.com", name=who.title() + " Example")
        make_integration(key, kind=kind, owner=f"{who}@example.com", source=source, target=target, interval=60)
        Integration.objects.filter(key=key).update(name=name)
        HealthSource.objects.filter(integration__key=key).update(
            state=state,
            state_changed_at=now - dt.timedelta(hours=3 + n),
            last_success_at=now - dt.timedelta(hours=4 + n, minutes=7),
            **facts,
        )
        if key in FLIP_REASONS:
            Flip.objects.create(
                integration=Integration.objects.get(key=key),
                from_state=HealthState.UP,
                to_state=state,
                at=now - dt.timedelta(hours=3 + n),
                reason=FLIP_REASONS[key],
            )


def test_from_the_dashboards_down_bar_to_the_board_and_an_integrations_health(live_server, page, screenshot):
    seed()
    make_user("viewer@example.com", "viewer")
    base = live_server.url
    log_in(page, base, "viewer@example.com", "/")
    health = page.locator("section[aria-labelledby=h-health]")
    screenshot("dashboard-health-links")

    health.get_by_role("link", name="down", exact=True).click()
    page.wait_for_url(f"{base}/health/?state=down&lifecycle=live")
    expect(page.get_by_role("heading", level=1)).to_have_text("Health board")
    expect(page.get_by_role("status")).to_have_text("2 monitored integrations match these filters.")
    rows = page.locator("table.board tbody tr")
    expect(rows).to_have_count(2)
    # Within a state the longest outage comes first: the payroll journal has been down an hour longer.
    expect(rows.nth(0)).to_contain_text("Latest change: no successful run since 2026-11-30 02:00 UTC")
    expect(rows.nth(1)).to_contain_text("Stopped on the platform: Process undeployed from the Atom")
    screenshot("health-board-down")

    page.locator("nav.state-counts").get_by_role("link", name="7 all").click()
    expect(page.get_by_role("status")).to_have_text("7 monitored integrations match these filters.")
    names = page.locator("table.board tbody th a")
    expect(names).to_have_text(
        [
            "ADP payroll journal to NetSuite",
            "Stripe payouts to NetSuite",
            "Salesforce customers to NetSuite",
            "Shopify orders to NetSuite",
            "Bank statements to NetSuite",
            "HubSpot contacts to Salesforce",
            "Expensify reports to NetSuite",
        ]
    )
    screenshot("health-board")

    page.get_by_label("Platform / kind").select_option("heartbeat")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status")).to_have_text("3 monitored integrations match these filters.")
    expect(page.locator("nav.state-counts .state-count.down .figure")).to_have_text("1")

    page.get_by_role("link", name="Down", exact=True).click()
    page.wait_for_url(f"{base}/integrations/payroll-journal/health/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Health of ADP payroll journal to NetSuite")


def test_the_integration_list_sorts_by_health_worst_first(live_server, page, screenshot):
    seed()
    make_user("viewer@example.com", "viewer")
    base = live_server.url
    log_in(page, base, "viewer@example.com", "/integrations/")
    page.locator("#main").get_by_role("link", name="Health", exact=True).click()  # the column, not the nav
    page.wait_for_url(f"{base}/integrations/?ordering=health")
    badges = page.locator("table.list tbody .badge")
    expect(badges).to_have_text(["down", "down", "failing", "late", "unknown", "up", "paused"])
    expect(page.locator("table.list tbody tr", has_text="HubSpot")).to_contain_text("15.2 min")
    screenshot("integrations-by-health")


def test_a_bad_filter_shows_the_400_page_naming_it(live_server, page):
    make_user("viewer@example.com", "viewer")
    base = live_server.url
    log_in(page, base, "viewer@example.com", "/health/")
    response = page.goto(f"{base}/health/?state=sideways")
    assert response is not None and response.status == 400
    expect(page.locator("body")).to_contain_text("state")
    expect(page.locator("body")).to_contain_text("Select a valid choice.")
