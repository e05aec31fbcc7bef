"""A workaround run confirmed from its reminder in a real browser: the reminder's link (taken from
the outbox) opens the confirm page without a login, the hours are logged, and the phase-two register
then counts the run as done."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import WorkaroundRun
from catalog.workarounds.reminders import send_workaround_reminders
from catalog.workarounds.runs import current_due
from tests.browser.session import log_in
from tests.catalog.workaround_support import PERFORMER, deferred_integration
from tests.pages.estate import make_user

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("PLUMBLINE_SHOTS", "/tmp/shots-B"))


def keep(path: Path, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / f"{name}.png")


def test_a_run_confirmed_from_its_reminder_link_shows_as_done_in_the_register(
    live_server: Any, page: Any, screenshot: Any, settings: Any
) -> None:
    settings.PLUMBLINE_BASE_URL = live_server.url
    today = timezone.localdate()
    # Due today at 09:00 UTC (today's weekday), deferred today: one run due in the register's window.
    integration = deferred_integration(every=f"0 9 * * {today.isoweekday() % 7}", deferred_since=today)
    due = current_due(integration, timezone.now())
    assert due.date() == today
    assert send_workaround_reminders(now=max(due, timezone.now())).sent == 1
    [message] = mail.outbox
    assert message.to == [PERFORMER]
    link = next(word for word in message.body.split() if "/workaround/confirm/" in word)
    assert link.startswith(live_server.url)

    page.goto(link)  # no login: the link is the credential
    expect(page.locator("#run-status")).to_contain_text("not confirmed yet")
    page.get_by_label("Hours it took").fill("1.75")
    page.get_by_label("Note").fill("Loaded 212 invoices")
    keep(screenshot("workaround-confirm-page"), "confirm-page")
    page.get_by_role("button", name="Done: confirm this run").click()
    expect(page.locator("#run-status")).to_contain_text("Confirmed")
    expect(page.locator("#run-status")).to_contain_text("1.75 h logged")
    run = WorkaroundRun.objects.get()
    assert (run.confirmed_via, run.confirmed_by, run.hours) == ("link", PERFORMER, 1.75)

    make_user("auditor@example.com", "viewer")
    log_in(page, live_server.url, "auditor@example.com", "/phase-two/")
    row = page.locator("tr", has_text=integration.display_name)
    expect(row.locator(".runs-tally")).to_contain_text("1 / 1")
    expect(row).to_contain_text("1.75 h")  # hours logged, beside the declared 6/month
    expect(row).not_to_contain_text("not confirmed")
    keep(screenshot("workaround-register"), "register-after-confirm")
    page.goto(f"{live_server.url}/integrations/{integration.key}/")
    expect(page.locator("#workaround-current")).to_contain_text("done")
    expect(page.locator("#workaround-current")).to_contain_text(f"by {PERFORMER}")
    assert due - dt.timedelta(days=1) < run.due_at <= due
