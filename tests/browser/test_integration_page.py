"""The integration page in a real browser: the first screen answers "is it working, since when,
why, how often does it really run, is its spec current?"; the owner confirms a stale spec."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import GoLive, GoLiveIntegration, Integration, System
from catalog.rules.store import refresh_findings
from monitoring.health.pipeline import record_poll
from monitoring.health.specs import sync_sources
from monitoring.platforms.contract import FailedRecordObservation, PollResult, RunObservation
from tests.browser.conftest import ARTIFACTS
from tests.browser.session import log_in
from tests.pages.estate import load_estate, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY = "chargebee-invoices-to-netsuite"


def failing_estate() -> None:
    """The Chargebee integration runs every 47 minutes against a declared 15, its last run failed,
    its spec was last reviewed 200 days ago; it is in a go-live and feeds a warehouse load."""
    load_estate()
    now = timezone.now()
    Integration.objects.filter(key=KEY).update(
        health_kind="heartbeat", health_grace_minutes=30, reviewed_at=timezone.localdate() - dt.timedelta(days=200)
    )
    sync_sources([KEY])
    integration = Integration.objects.get(key=KEY)
    runs = [RunObservation(f"r-{n}", "success", finished_at=now - dt.timedelta(minutes=47 * (5 - n))) for n in range(5)]
    record_poll(integration, PollResult(runs=runs), now=now - dt.timedelta(minutes=2))
    record_poll(
        integration,
        PollResult(
            runs=[RunObservation("r-9", "failed", finished_at=now, records_failed=2, message="2 invoices refused")],
            failed_records=[
                FailedRecordObservation("INV-1", "currency missing", occurred_at=now, run_external_id="r-9"),
                FailedRecordObservation("INV-2", "currency missing", occurred_at=now, run_external_id="r-9"),
            ],
        ),
        now=now,
    )
    golive = GoLive.objects.create(key="netsuite-go-live", name="NetSuite go-live", date=dt.date(2027, 1, 4))
    GoLiveIntegration.objects.create(golive=golive, integration=integration)
    warehouse = System.objects.create(key="warehouse", name="Data warehouse")
    Integration.objects.create(
        key="netsuite-to-warehouse",
        name="Ledger to warehouse",
        source=integration.target,
        target=warehouse,
        lifecycle="live",
    )
    refresh_findings()


def test_the_first_screen_answers_and_the_owner_confirms_the_spec(live_server: Any, page: Any, screenshot: Any):
    failing_estate()
    make_user("ana.lopez@example.com", "owner")
    base = live_server.url
    log_in(page, base, "ana.lopez@example.com", f"/integrations/{KEY}/")

    state = page.locator("#health-state")
    expect(state).to_have_text("Failing")
    expect(state).to_be_in_viewport()
    assert state.evaluate("e => getComputedStyle(e).fontSize") == "34px"
    expect(page.locator("#interval-answer")).to_contain_text("every 15 minutes declared; observed every 47 minutes")
    expect(page.locator("#review-answer")).to_contain_text("stale")
    expect(page.locator("#review-answer")).to_be_in_viewport()
    expect(page.get_by_role("link", name="2 open")).to_be_in_viewport()
    expect(page.locator("section[aria-labelledby=findings-heading]")).to_contain_text("HEALTH_FAILING")
    expect(page.locator("section[aria-labelledby=golives-heading]")).to_contain_text("NetSuite go-live")
    expect(page.locator("section[aria-labelledby=downstream-heading]")).to_contain_text("Ledger to warehouse")
    screenshot("integration-page-failing")
    page.screenshot(path=str(ARTIFACTS / "integration-page-first-screen.png"))  # what shows without scrolling

    page.get_by_role("button", name="Spec still accurate: mark reviewed today").click()
    page.wait_for_url(f"{base}/integrations/{KEY}/")
    expect(page.locator(".messages")).to_contain_text("is still accurate (reviewed today)")
    expect(page.locator("#review-answer")).to_contain_text("reviewed today")
    expect(page.locator("#review-answer")).not_to_contain_text("stale")
    history = page.locator("section[aria-labelledby=history-heading]")
    expect(history).to_contain_text("by ana.lopez@example.com via page")
    screenshot("integration-page-reviewed")
    assert Integration.objects.get(key=KEY).reviewed_at == timezone.localdate()


def test_a_viewer_sees_the_answers_but_no_review_button(live_server: Any, page: Any, screenshot: Any):
    failing_estate()
    make_user("viewer@example.com", "viewer")
    log_in(page, live_server.url, "viewer@example.com", f"/integrations/{KEY}/")
    expect(page.locator("#health-state")).to_have_text("Failing")
    expect(page.get_by_role("button", name="Spec still accurate: mark reviewed today")).to_have_count(0)

    page.goto(f"{live_server.url}/integrations/shopify-orders-to-netsuite/")
    expect(page.locator("#health-state")).to_have_text("Not monitored")
    expect(page.locator(".answers")).to_contain_text("missing field mappings, frequency, error handling, maintenance")
    page.set_viewport_size({"width": 420, "height": 900})
    expect(page.locator("#health-state")).to_be_in_viewport()
    screenshot("integration-page-unmonitored-narrow")
