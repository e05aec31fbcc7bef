"""Go-live readiness in a real browser: a go-live starts blocked, its integrations are fixed (one on
the edit page, one through the ORM and a heartbeat), the owner attests the rehearsals on the form,
and the approver, refused while it was blocked, signs it off."""

from __future__ import annotations

import os
import re
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import expect

from catalog.models import GoLiveIntegration, Integration, SignOff
from catalog.rules.store import refresh_findings
from monitoring.models import HealthSource
from tests.browser.conftest import ARTIFACTS
from tests.browser.session import log_in
from tests.catalog.test_readiness_support import APPROVER, BACKUP, OWNER, people, ready_golive, ready_integration
from tests.pages.estate import make_user

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOLIVE = "netsuite-go-live"
URL = f"/golives/{GOLIVE}/"
INVOICES = "chargebee-invoices"
PAYMENTS = "stripe-payments"


def blocked_golive() -> None:
    """Chargebee invoices: failures only in a log file, no backup owner. Stripe payments: re-sync
    loses order, health down (a critical finding). Neither has its rehearsals attested."""
    golive = ready_golive(0, key=GOLIVE)
    ana = people()[OWNER]
    invoices = ready_integration(INVOICES, "Chargebee invoices", owner=ana, backup_owner=None, error_surface="log-file")
    payments = ready_integration(PAYMENTS, "Stripe payments", owner=ana, resync="current-state")
    HealthSource.objects.filter(integration=payments).update(state="down")
    for position, integration in enumerate((invoices, payments)):
        GoLiveIntegration.objects.create(golive=golive, integration=integration, position=position)
    refresh_findings()


def attest(page: Any, base: str, key: str, item: str) -> None:
    """On the item's own row: open "Record it", link the evidence, record."""
    row = page.locator(f"#item-{key}-{item}")
    row.get_by_text("Record it").click()
    row.get_by_label("Evidence link").fill(f"https://tickets.example.com/{key}/{item}")
    row.get_by_role("button", name="Record attestation").click()
    page.wait_for_url(f"{base}{URL}")
    expect(page.locator(".messages")).to_contain_text("Recorded:")


def test_a_go_live_goes_from_blocked_to_signed_off_as_its_integrations_are_fixed(
    live_server, page, browser, screenshot
):
    blocked_golive()
    make_user(OWNER, "owner")
    make_user(APPROVER, "viewer")
    base = live_server.url

    log_in(page, base, OWNER, URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Go-live readiness: NetSuite go-live")
    # One blocker per cause: health down is not counted again as its critical finding.
    expect(page.locator(".readiness-summary")).to_contain_text("Blocked: 8 blockers on 2 integrations.")
    expect(page.locator(".blocker-group summary")).to_have_text(
        [re.compile(r"^Chargebee invoices\s+4 blocking$"), re.compile(r"^Stripe payments\s+4 blocking$")]
    )
    expect(page.locator(".blocker-list li")).to_have_text(
        [
            "Owner active with a backup: Ana Lopez owns it with no backup owner",
            "Failures reach a named person: failures only reach a log file",
            "Failure simulation done: no failure simulation is attested yet",
            "Re-sync after an outage rehearsed: no re-sync after an outage is attested as rehearsed yet",
            "Re-sync preserves sequence: the data is sequence-sensitive but the re-sync is current state only: "
            "replayed records lose their order",
            "Health monitored and up: health is down",
            "Failure simulation done: no failure simulation is attested yet",
            "Re-sync after an outage rehearsed: no re-sync after an outage is attested as rehearsed yet",
        ]
    )
    page.screenshot(path=str(ARTIFACTS / "golive-blocked-first-screen.png"))
    screenshot("golive-blocked")

    # A blocker links to its item's row in the checklist.
    page.locator(".blocker-list a", has_text="Health monitored and up").click()
    expect(page.locator(f"#item-{PAYMENTS}-health-up")).to_be_in_viewport()

    # The blockers-only view leaves the checklist out.
    page.get_by_role("link", name="Blockers only").click()
    page.wait_for_url(f"{base}{URL}?show=blockers")
    expect(page.locator(".blocker-list li")).to_have_count(8)
    expect(page.locator("#checklist-heading")).to_have_count(0)
    screenshot("golive-blockers-only")
    page.goto(f"{base}{URL}")

    # The approver may not sign off a blocked go-live without a reason.
    approver_context = browser.new_context(viewport={"width": 1360, "height": 900})
    approver = approver_context.new_page()
    log_in(approver, base, APPROVER, URL)
    approver.get_by_role("button", name="Sign off").click()
    expect(approver.locator(".field-errors")).to_contain_text("blockers remain")
    assert not SignOff.objects.exists()

    # Fix Chargebee invoices on the edit page: alert on failure, name a backup owner.
    page.goto(f"{base}/integrations/{INVOICES}/edit/")
    page.get_by_label("Failures surface as").select_option("alert")
    page.get_by_label("Backup owner").select_option(BACKUP)
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"{base}/integrations/{INVOICES}/")

    # Fix Stripe payments through the ORM and a heartbeat; the nightly refresh clears its finding.
    Integration.objects.filter(key=PAYMENTS).update(resync="replay-in-order")
    ping = Integration.objects.get(key=PAYMENTS).ping_uuid
    with urllib.request.urlopen(urllib.request.Request(f"{base}/ping/{ping}", data=b"", method="POST")) as answer:
        assert answer.status == 200
    refresh_findings()

    page.goto(f"{base}{URL}")
    expect(page.locator(".blocker-list li")).to_have_count(4)  # the four rehearsals
    expect(page.locator(".blockers")).not_to_contain_text("log file")

    for key in (INVOICES, PAYMENTS):
        for item in ("failure-simulation", "resync-rehearsal"):
            attest(page, base, key, item)
    expect(page.locator(".readiness-percent")).to_have_text("100%")
    expect(page.locator(".readiness-summary")).to_contain_text("Nothing blocks this go-live.")
    expect(page.locator(".blocker-list")).to_have_count(0)

    approver.goto(f"{base}{URL}")
    approver.get_by_role("button", name="Sign off").click()
    approver.wait_for_url(f"{base}{URL}")
    expect(approver.locator(".signoff-status")).to_contain_text(f"Signed off by {APPROVER}")
    expect(approver.locator(".signoff-status")).to_contain_text("at 100%")
    signoff = SignOff.objects.get()
    assert (signoff.signed_by_email, signoff.readiness_percent, signoff.blockers) == (APPROVER, 100, [])

    page.goto(f"{base}{URL}")
    history = page.locator(".readiness-history tbody tr")
    expect(history).to_have_count(5)
    expect(history.first).to_contain_text("Signed off")
    screenshot("golive-signed-off")

    # The printed record leaves the forms out and keeps every item and the sign-off.
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Record attestation")).to_be_hidden()
    expect(page.locator(".signoff-status")).to_be_visible()
    screenshot("golive-print")
    page.pdf(path=str(ARTIFACTS / "golive-readiness.pdf"))
    approver_context.close()
