"""The weekly "what changed" email: what it says about last week, that each subscriber gets it once
(claimed before sending, even with two passes racing), and the /me/ switch that turns it on and off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from catalog.models import (
    ChangeRecord,
    GoLive,
    GoLiveIntegration,
    StoredFinding,
    Waiver,
    WeeklyEmail,
    WeeklySubscription,
)
from catalog.trend.weekly import send_weekly_changes, week_of
from monitoring.models import Flip
from plumbline.accounts.roles import assign_role
from tests.catalog.test_readiness_support import ready_integration
from tests.racing import racing

BASE = "https://plumbline.example.com"
# A Monday morning; "last week" is Monday 23 to Sunday 29 November 2026.
MONDAY = timezone.make_aware(dt.datetime(2026, 11, 30, 7, 0))
LAST_WEEK = timezone.make_aware(dt.datetime(2026, 11, 25, 10, 0))
THIS_WEEK = timezone.make_aware(dt.datetime(2026, 11, 30, 6, 0))
BEFORE = timezone.make_aware(dt.datetime(2026, 11, 20, 10, 0))


def lead(email: str, subscribed: bool = True):
    user = get_user_model().objects.create_user(email, email, "pw-0123456789")
    assign_role(user, "viewer")
    if subscribed:
        WeeklySubscription.objects.create(user=user)
    return user


def critical(code: str, key: str, first_seen: dt.datetime, message: str = "It broke.") -> None:
    StoredFinding.objects.create(
        code=code,
        severity="critical",
        subject_type="integration",
        subject_key=key,
        message=message,
        remedy="Fix it.",
        first_seen_at=first_seen,
        last_seen_at=first_seen,
    )


@pytest.fixture
def week(db, settings):
    """Last week: a new critical finding on orders (plus one waived, one from the week before and one
    from this week), orders went down and came back, refunds went late (not news), invoices was
    reviewed; a go-live in ten days."""
    settings.PLUMBLINE_BASE_URL = BASE
    orders = ready_integration("orders", name="Orders to NetSuite")
    refunds = ready_integration("refunds")
    ready_integration("invoices")
    critical("HEALTH_DOWN", "orders", LAST_WEEK, "Orders to NetSuite has stopped <running>.")
    critical("API_RETIREMENT_DUE", "refunds", LAST_WEEK)
    Waiver.objects.create(
        code="API_RETIREMENT_DUE",
        subject_type="integration",
        subject_key="refunds",
        reason="r",
        expires_on=dt.date(2027, 1, 1),
    )
    critical("SILENT_FAILURES", "invoices", BEFORE)
    critical("HEALTH_FAILING", "invoices", THIS_WEEK)
    Flip.objects.create(integration=orders, from_state="up", to_state="down", at=LAST_WEEK)
    Flip.objects.create(integration=orders, from_state="down", to_state="up", at=LAST_WEEK + dt.timedelta(hours=3))
    Flip.objects.create(integration=refunds, from_state="up", to_state="late", at=LAST_WEEK)
    Flip.objects.create(integration=refunds, from_state="up", to_state="down", at=BEFORE)
    ChangeRecord.objects.create(
        at=LAST_WEEK,
        actor=lead("reviewer@example.com", subscribed=False),
        via="page",
        kind="Integration",
        key="invoices",
        action="update",
        before={"key": "invoices", "reviewed_at": "2026-05-01"},
        after={"key": "invoices", "name": "Invoices", "reviewed_at": "2026-11-25"},
    )
    ChangeRecord.objects.create(
        at=LAST_WEEK,
        via="page",
        kind="Integration",
        key="refunds",
        action="update",
        before={"key": "refunds", "owner": "a"},
        after={"key": "refunds", "owner": "b"},
    )
    # Importing a spec last reviewed in May is no review last week.
    ChangeRecord.objects.create(
        at=LAST_WEEK,
        via="import",
        kind="Integration",
        key="refunds",
        action="create",
        before=None,
        after={"key": "refunds", "name": "Refunds", "reviewed_at": "2026-05-01"},
    )
    golive = GoLive.objects.create(key="wave-two", name="Wave two", date=dt.date(2026, 12, 10))
    GoLiveIntegration.objects.create(golive=golive, integration=orders, position=0)
    GoLive.objects.create(key="long-ago", date=dt.date(2026, 1, 1))
    return orders


def test_last_week_runs_monday_to_sunday_before_today():
    assert week_of(dt.date(2026, 11, 30)) == (dt.date(2026, 11, 23), dt.date(2026, 11, 30))
    assert week_of(dt.date(2026, 12, 6)) == (dt.date(2026, 11, 23), dt.date(2026, 11, 30))
    assert week_of(dt.date(2026, 12, 7)) == (dt.date(2026, 11, 30), dt.date(2026, 12, 7))


def test_the_email_says_what_changed_last_week_with_absolute_links(week):
    lead("lead@example.com")
    report = send_weekly_changes(now=MONDAY)
    assert (report.sent, report.week_start) == (1, "2026-11-23")
    [message] = mail.outbox
    assert message.to == ["lead@example.com"]
    assert message.subject == "Plumbline, week of 23 Nov: 1 new critical finding, 2 health flips, 1 spec reviewed"
    text = message.body
    assert (
        "New critical findings (1)\n"
        "- Orders to NetSuite: It has stopped running (HEALTH_DOWN): Orders to NetSuite has stopped <running>."
    ) in text
    assert f"{BASE}/integrations/orders/" in text
    assert "API_RETIREMENT_DUE" not in text  # waived
    assert "SILENT_FAILURES" not in text and "HEALTH_FAILING" not in text  # the week before, this week
    assert "Health flips into down or failing, and back (2)" in text
    assert "- Orders to NetSuite: up → down" in text and "- Orders to NetSuite: down → up" in text
    assert "late" not in text
    assert f"{BASE}/integrations/orders/health/" in text
    assert "- Wave two on 2026-12-10: " in text and "% ready (in 10 days;" in text
    assert f"{BASE}/golives/wave-two/" in text and "long-ago" not in text
    assert "Specs reviewed (1)\n- Invoices reviewed by reviewer@example.com on 2026-11-25" in text
    assert "Refunds" not in text
    assert f"turn it off on {BASE}/me/" in text
    html = message.alternatives[0][0]
    assert "stopped &lt;running&gt;" in html and "<running>" not in html
    assert f'<a href="{BASE}/integrations/invoices/">Invoices reviewed</a>' in html
    assert WeeklyEmail.objects.get().summary == {"critical": 1, "flips": 2, "golives": 1, "reviewed": 1}


def test_a_quiet_week_is_sent_and_says_so(db, settings):
    settings.PLUMBLINE_BASE_URL = BASE
    lead("lead@example.com")
    send_weekly_changes(now=MONDAY)
    [message] = mail.outbox
    assert message.subject == "Plumbline: a quiet week (23 Nov to 29 Nov)"
    assert "A quiet week: no new critical finding" in message.body
    assert "Upcoming go-lives (0)\n- none planned" in message.body


def test_each_subscriber_gets_it_once_a_week(week):
    lead("a@example.com")
    lead("b@example.com")
    lead("c@example.com", subscribed=False)
    inactive = lead("gone@example.com")
    inactive.is_active = False
    inactive.save()
    first = send_weekly_changes(now=MONDAY)
    again = send_weekly_changes(now=MONDAY + dt.timedelta(hours=5))
    assert (first.subscribers, first.sent, again.sent, again.skipped) == (2, 2, 0, 2)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.com", "b@example.com"]
    send_weekly_changes(now=MONDAY + dt.timedelta(days=7))
    assert len(mail.outbox) == 4


def test_a_failed_send_releases_the_claim_for_a_later_pass(week, settings):
    lead("lead@example.com")
    settings.EMAIL_BACKEND = "tests.catalog.test_trend_weekly.BrokenBackend"
    assert send_weekly_changes(now=MONDAY).failed == 1
    assert not WeeklyEmail.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_weekly_changes(now=MONDAY).sent == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages) -> int:
        raise OSError("SMTP is down")


@pytest.mark.django_db(transaction=True)
def test_two_passes_racing_send_each_email_once(settings):
    settings.PLUMBLINE_BASE_URL = BASE
    for n in range(5):
        lead(f"lead{n}@example.com")
    reports = racing(lambda: send_weekly_changes(now=MONDAY))
    assert sum(r.sent for r in reports) == 5
    assert sorted(m.to[0] for m in mail.outbox) == [f"lead{n}@example.com" for n in range(5)]


# The switch on /me/


@pytest.fixture
def csrf_client(db) -> tuple[Client, object]:
    user = lead("me@example.com", subscribed=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client, user


def csrf_token(client: Client) -> str:
    page = client.get("/me/")
    assert page.status_code == 200
    return page.cookies["csrftoken"].value if "csrftoken" in page.cookies else client.cookies["csrftoken"].value


def test_me_turns_the_weekly_email_on_and_off_for_its_own_user(csrf_client):
    client, user = csrf_client
    other = lead("other@example.com")
    page = client.get("/me/").content.decode()
    assert "Turn the weekly email on" in page and "<strong>Off.</strong>" in page
    token = csrf_token(client)
    response = client.post("/me/weekly-email/", {"subscribed": "on", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert WeeklySubscription.objects.filter(user=user).exists()
    page = client.get("/me/").content.decode()
    assert "<strong>On.</strong>" in page and "Turn the weekly email off" in page
    client.post("/me/weekly-email/", {"subscribed": "on", "csrfmiddlewaretoken": token})
    assert WeeklySubscription.objects.filter(user=user).count() == 1
    client.post("/me/weekly-email/", {"subscribed": "off", "csrfmiddlewaretoken": token})
    assert not WeeklySubscription.objects.filter(user=user).exists()
    # Only the user's own subscription moved: a user field in the form is ignored.
    client.post("/me/weekly-email/", {"subscribed": "off", "user": other.pk, "csrfmiddlewaretoken": token})
    assert WeeklySubscription.objects.filter(user=other).exists()


def test_the_switch_needs_its_csrf_token(csrf_client):
    client, _user = csrf_client
    assert client.post("/me/weekly-email/", {"subscribed": "on"}).status_code == 403
    assert not WeeklySubscription.objects.exists()


@pytest.mark.parametrize("value", ["", "yes", "ON", "1"])
def test_the_switch_refuses_anything_but_on_or_off(csrf_client, value):
    client, _user = csrf_client
    token = csrf_token(client)
    response = client.post("/me/weekly-email/", {"subscribed": value, "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    assert b"must be on or off" in response.content
    assert not WeeklySubscription.objects.exists()


def test_the_switch_needs_login_and_a_post(db):
    client = Client()
    assert client.post("/me/weekly-email/", {"subscribed": "on"}).status_code == 302
    user = lead("me@example.com", subscribed=False)
    client.force_login(user)
    assert client.get("/me/weekly-email/").status_code == 405


def test_me_says_when_the_last_weekly_email_went(week):
    user = lead("lead@example.com")
    send_weekly_changes(now=MONDAY)
    client = Client()
    client.force_login(user)
    page = client.get("/me/").content.decode()
    assert "The last one covered the week of 2026-11-23." in page
