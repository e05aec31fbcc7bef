"""An admin finds the audit trail in the navigation, chooses a period and a kind, reads how many
rows each file will hold, and downloads both files in a real browser."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import ChangeRecord, GoLive, SignOff
from catalog.spec.importer import import_sources
from tests.browser.session import log_in
from tests.pages.estate import load_estate, make_user

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("PLUMBLINE_SHOTS", "/tmp/shots-D"))
GOLIVE = """
apiVersion: plumbline/v1
kind: GoLive
key: netsuite-go-live
integrations: [chargebee-invoices-to-netsuite]
"""


def keep(path: Path, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / f"{name}.png")


def read_download(download: Any) -> list[dict[str, str]]:
    with open(download.path(), encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_an_admin_counts_and_downloads_the_audit_trail(live_server: Any, page: Any, screenshot: Any) -> None:
    load_estate()
    import_sources([("golive.yaml", textwrap.dedent(GOLIVE))])
    admin: Any = make_user("admin@example.com", "admin")
    SignOff.objects.create(
        golive=GoLive.objects.get(key="netsuite-go-live"),
        signed_by=admin,
        signed_by_email=admin.email,
        signed_at=timezone.now(),
        readiness_percent=100,
        override_reason="-all green",
    )
    integrations = ChangeRecord.objects.filter(kind="Integration").count()
    assert integrations == 2

    log_in(page, live_server.url, "admin@example.com", "/")
    page.get_by_role("navigation").get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    today = timezone.localdate()
    page.get_by_label("From").fill((today - dt.timedelta(days=7)).isoformat())
    page.get_by_label("Kind").select_option("Integration")
    page.get_by_role("button", name="Count rows").click()
    files = page.locator("table.audit-files")
    expect(files).to_contain_text(f"of {integrations} changes")
    keep(screenshot("audit-page"), "audit-page")

    with page.expect_download() as changes:
        page.get_by_role("link", name="changes.csv").click()
    assert changes.value.suggested_filename == "changes.csv"
    rows = read_download(changes.value)
    assert {row["kind"] for row in rows} == {"Integration"}
    assert {row["key"] for row in rows} == {"chargebee-invoices-to-netsuite", "shopify-orders-to-netsuite"}
    assert {row["action"] for row in rows} == {"create"}
    expect(files.locator("tr", has_text="changes.csv").locator("td").nth(1)).to_have_text(str(len(rows)))

    page.get_by_label("Kind").select_option("")
    page.get_by_role("button", name="Count rows").click()
    expect(files.locator("tr", has_text="signoffs.csv").locator("td").nth(1)).to_have_text("1")
    with page.expect_download() as signoffs:
        page.get_by_role("link", name="signoffs.csv").click()
    [row] = read_download(signoffs.value)
    assert (row["record"], row["key"], row["by"], row["notes"]) == (
        "go-live sign-off",
        "netsuite-go-live",
        "admin@example.com",
        "'-all green",
    )


def test_an_owner_meets_the_refusal_page_and_no_link(live_server: Any, page: Any) -> None:
    load_estate()
    make_user("ana.lopez@example.com", "owner")
    log_in(page, live_server.url, "ana.lopez@example.com", "/")
    expect(page.get_by_role("navigation").get_by_role("link", name="Audit trail")).to_have_count(0)
    response = page.goto(f"{live_server.url}/audit/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not do that")
