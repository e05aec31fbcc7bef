"""The post-go-live review in a real browser: a go-live signed off 100 days ago is due for review; its
approver reads what is still deferred, running by hand and failing, signs with notes (shown as text,
not markup), and the GOLIVE_REVIEW_DUE finding goes; a viewer reads the same page without the form."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from catalog.models import ReviewSignOff, StoredFinding
from catalog.rules.store import refresh_findings
from tests.browser.session import log_in
from tests.catalog.test_golive_review_support import (
    KEY,
    deferred_integration,
    fail,
    signed_golive,
    start_of,
    workaround_integration,
)
from tests.catalog.test_readiness_support import APPROVER
from tests.pages.estate import make_user

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = f"/golives/{KEY}/review/"
NOTES = "Refunds move to Q3 <b>not bold</b>; Casey keeps the upload."


def test_the_approver_signs_a_due_review_and_the_finding_goes(live_server, page, browser, screenshot):
    golive = signed_golive(100)
    deferred_integration(golive)
    workaround = workaround_integration(golive)
    fail(workaround, start_of(golive))
    refresh_findings()
    assert StoredFinding.objects.filter(code="GOLIVE_REVIEW_DUE", subject_key=KEY).exists()
    make_user(APPROVER, "viewer")  # the approver signs whatever their role
    make_user("viewer@example.com", "viewer")

    log_in(page, live_server.url, APPROVER, URL)
    expect(page.locator("#review-status-heading").locator("..")).to_contain_text("Due since")
    expect(page.get_by_role("link", name="Deferred refunds")).to_be_visible()
    expect(page.get_by_role("link", name="Manual vendor upload").first).to_be_visible()
    screenshot("golive-review-due")

    page.get_by_label("Notes").fill(NOTES)
    page.get_by_role("button", name="Sign the review").click()
    page.wait_for_url(f"{live_server.url}{URL}")
    expect(page.locator(".messages")).to_contain_text("is signed")
    status = page.locator("#review-status-heading").locator("..")
    expect(status).to_contain_text("Signed by")
    expect(page.locator(".review-notes")).to_have_text(re.compile(re.escape(NOTES)))  # the tags as text
    assert page.locator(".review-notes b").count() == 0
    screenshot("golive-review-signed")
    signatures = page.locator("#signatures-heading").locator("..")
    expect(signatures).to_contain_text("1 deferred, 1 workaround, 2 failed runs, 1 flip, 3 open failed records")
    assert ReviewSignOff.objects.get().notes == NOTES
    assert not StoredFinding.objects.filter(code="GOLIVE_REVIEW_DUE").exists()

    viewer = browser.new_context().new_page()
    log_in(viewer, live_server.url, "viewer@example.com", URL)
    expect(viewer.locator("#review-status-heading").locator("..")).to_contain_text("Signed by")
    assert viewer.get_by_role("button", name="Sign the review").count() == 0
    viewer.context.close()
