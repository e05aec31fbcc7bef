"""The estate over time in a real browser: the demo's 90 days of snapshots drawn as six trend
lines on the dashboard, each with its latest value; and the weekly email turned on from /me/."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from catalog.models import EstateSnapshot, WeeklySubscription
from tests.browser.session import log_in
from tests.pages.estate import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_draws_the_trend_from_90_days_of_snapshots(live_server, page, screenshot):
    call_command("seed_demo", verbosity=0)
    assert EstateSnapshot.objects.count() == 90
    latest = EstateSnapshot.objects.order_by("taken_on").last()
    make_user("viewer@example.com", "viewer")
    log_in(page, live_server.url, "viewer@example.com", "/")

    charts = page.locator(".trend-chart")
    expect(charts).to_have_count(6)
    for n in range(6):
        points = charts.nth(n).locator("svg.sparkline polyline").get_attribute("points") or ""
        assert len(points.split()) == 90
        expect(charts.nth(n).locator("svg.sparkline circle")).to_have_count(1)
    critical = page.locator("#trend-critical")
    expect(critical.locator(".trend-latest")).to_have_text(str(latest.findings_critical))
    expect(critical.locator(".trend-change")).to_contain_text("down ")
    expect(critical.locator(".trend-change")).to_have_class("trend-change better")
    expect(page.locator("#trend-completeness .trend-latest")).to_have_text(
        f"{round(latest.completeness_average * 100)}%"
    )
    expect(page.locator("#trend-critical svg title")).to_have_text("Critical findings, last 90 days")
    expect(page.get_by_text("From 90 daily snapshots")).to_be_visible()
    screenshot("dashboard-trend")

    critical.get_by_role("link", name="Critical findings").click()
    page.wait_for_url(f"{live_server.url}/findings/?severity=critical")


def test_a_user_turns_the_weekly_email_on_from_me(live_server, page, screenshot):
    user = make_user("lead@example.com", "viewer")
    log_in(page, live_server.url, "lead@example.com", "/me/")
    page.get_by_role("button", name="Turn the weekly email on").click()
    page.wait_for_url(f"{live_server.url}/me/")
    expect(page.locator("#h-weekly + p strong")).to_have_text("On.")
    expect(page.get_by_role("button", name="Turn the weekly email off")).to_be_visible()
    assert WeeklySubscription.objects.filter(user=user).exists()
    screenshot("me-weekly-email")
