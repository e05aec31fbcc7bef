"""The findings page in a real browser: titles in words first, most severe first, subjects by name,
a filter bar whose filters stay on as others are added or removed, and waiving in a dialog."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Waiver
from catalog.rules.store import refresh_findings
from tests.browser.conftest import ARTIFACTS
from tests.browser.session import log_in
from tests.pages.estate import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_reads_filters_and_waives_findings(live_server, page, screenshot):
    call_command("seed_demo", verbosity=0)
    refresh_findings()
    make_user("admin@example.com", "admin")
    base = live_server.url
    log_in(page, base, "admin@example.com", "/findings/")

    first = page.locator("tr.finding").first
    expect(first.locator(".badge").first).to_have_text("critical")
    expect(first.locator(".title")).not_to_be_empty()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "findings-first-screen.png"))  # what a reader sees first

    page.get_by_label("Severity").select_option("warning")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"{base}/findings/?*severity=warning*")
    expect(page.locator("tr.finding.critical")).to_have_count(0)
    # A second filter keeps the first one.
    page.get_by_label("Finding", exact=True).select_option("SILENT_FAILURES")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".chip")).to_have_count(2)
    rows = page.locator("tr.finding")
    expect(rows.first.locator(".title")).to_have_text("Errors go only to a log file, or nowhere")
    count = rows.count()
    assert count >= 1
    # Removing one chip keeps the other.
    page.locator(".chip", has_text="Severity").click()
    expect(page.locator(".chip")).to_have_count(1)
    expect(page.locator(".chip")).to_contain_text("Errors go only to a log file")

    row = page.locator("tr.finding").first
    subject = row.locator("td.about a").first.inner_text()
    row.get_by_role("button", name="Waive…").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "findings-waive-dialog.png"))
    dialog.get_by_role("button", name="Waive").click()  # no reason: the browser refuses to send
    expect(dialog).to_be_visible()
    dialog.get_by_label("Why is this accepted for now?").fill("Logs are read daily until the rebuild")
    until = timezone.localdate() + dt.timedelta(days=30)
    dialog.get_by_label("Counts again on").fill(until.isoformat())
    dialog.get_by_role("button", name="Waive").click()
    expect(page.locator(".messages")).to_contain_text(f"is waived until {until.isoformat()}")
    # Back on the same filtered page.
    expect(page.locator(".chip")).to_have_count(1)
    waiver = Waiver.objects.get(reason="Logs are read daily until the rebuild")  # the demo holds one of its own
    assert waiver.code == "SILENT_FAILURES" and waiver.reason == "Logs are read daily until the rebuild"
    assert subject  # the subject is shown by name, as a link
    screenshot("findings-after-waiver")
