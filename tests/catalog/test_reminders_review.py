"""/review/<token>/: the signed link in a digest. A genuine, current link opened by the owner,
backup owner or an admin confirms the spec (reviewed today, recorded in history) or snoozes it;
a forged or expired link, or someone else, is refused with a helpful page and nothing changes."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from catalog.models import ChangeRecord, Integration, Person, Reminder, ReviewSnooze
from catalog.reminders import send_reminders
from catalog.reminders.links import make_token, read_token
from tests.catalog.test_readiness_support import ready_integration
from tests.pages.estate import make_user

pytestmark = pytest.mark.django_db

ANA = "ana.lopez@example.com"
KEY = "invoices"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def integration() -> Integration:
    ana = Person.objects.create(email=ANA, name="Ana Lopez")
    return ready_integration(KEY, owner=ana, reviewed_at=None)


@pytest.fixture
def reminder(integration, mailoutbox) -> Reminder:
    send_reminders()
    return Reminder.objects.get()


def client_for(email: str, role: str | None = "owner") -> Client:
    client = Client()
    user: Any = make_user(email, role)
    client.force_login(user)
    return client


def url(token: str) -> str:
    return f"/review/{token}/"


def assert_nothing_changed(integration: Integration) -> None:
    integration.refresh_from_db()
    assert integration.reviewed_at is None
    assert not ChangeRecord.objects.exists()
    assert not ReviewSnooze.objects.exists()
    assert not Reminder.objects.filter(answered_at__isnull=False).exists()


def expired_token(monkeypatch, reminder_id: int | None = None) -> str:
    """A genuine token signed 31 days ago (links last 30)."""
    signed = time.time() - 31 * 86400
    with monkeypatch.context() as patch:
        patch.setattr("time.time", lambda: signed)
        return make_token(KEY, reminder_id)


# A genuine link


def test_the_link_in_the_digest_opens_the_review_page_for_the_owner(reminder, mailoutbox, settings):
    path = mailoutbox[0].body.split(settings.PLUMBLINE_BASE_URL, 2)[1].split()[0]
    assert path.startswith("/review/")
    response = client_for(ANA).get(path)
    assert response.status_code == 200
    assert response.context["integration"].key == KEY
    assert b"Confirm still accurate" in response.content


def test_opening_the_link_answers_the_digest(reminder):
    client_for(ANA).get(url(make_token(KEY, reminder.pk)))
    reminder.refresh_from_db()
    assert reminder.answered_at is not None


def test_confirming_sets_reviewed_today_and_records_history(integration, reminder):
    user: Any = make_user(ANA, "owner")
    client = Client()
    client.force_login(user)
    response = client.post(url(make_token(KEY, reminder.pk)), {"action": "confirm"})
    assert response.status_code == 302
    assert response["Location"] == f"/integrations/{KEY}/"
    integration.refresh_from_db()
    assert integration.reviewed_at == timezone.localdate()
    record = ChangeRecord.objects.get()
    assert (record.kind, record.key, record.action, record.via) == ("Integration", KEY, "update", "page")
    assert record.note == "confirmed still accurate"
    assert record.actor == user
    assert "reviewed_at" not in record.before  # never reviewed: the document leaves it out
    assert record.after["reviewed_at"] == timezone.localdate().isoformat()


def test_confirming_twice_on_one_day_records_it_once(integration):
    client = client_for(ANA)
    token = make_token(KEY)
    client.post(url(token), {"action": "confirm"})
    client.post(url(token), {"action": "confirm"})
    assert ChangeRecord.objects.count() == 1


@pytest.mark.parametrize(("email", "role"), [("raj.patel@example.com", "owner"), ("admin@example.com", "admin")])
def test_the_backup_owner_and_an_admin_may_confirm(integration, email, role):
    response = client_for(email, role).post(url(make_token(KEY)), {"action": "confirm"})
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.reviewed_at == timezone.localdate()


def test_the_edit_form_is_one_click_away(integration):
    response = client_for(ANA).get(url(make_token(KEY)))
    assert f'href="/integrations/{KEY}/edit/"'.encode() in response.content


# Refused links: nothing changes


def test_a_forged_link_is_refused_and_changes_nothing(integration, reminder):
    genuine = make_token("some-other-integration", reminder.pk)
    forged = signing.TimestampSigner(salt="plumbline.reminders.review-link").sign_object({"i": KEY, "r": reminder.pk})
    forged = forged[:-4] + ("AAAA" if not forged.endswith("AAAA") else "BBBB")  # a broken signature
    swapped = make_token(KEY, reminder.pk).rsplit(":", 1)[0] + ":" + genuine.rsplit(":", 1)[1]
    client = client_for(ANA)
    for token in (forged, swapped, "not-a-token", signing.dumps({"i": KEY, "r": reminder.pk})):
        for response in (client.get(url(token)), client.post(url(token), {"action": "confirm"})):
            assert response.status_code == 400
            assert b"This review link is not valid" in response.content
            assert b"Nothing was changed." in response.content
    assert_nothing_changed(integration)


def test_an_expired_link_is_refused_and_changes_nothing(integration, reminder, monkeypatch):
    token = expired_token(monkeypatch, reminder.pk)
    client = client_for(ANA)
    for response in (client.get(url(token)), client.post(url(token), {"action": "confirm"})):
        assert response.status_code == 410
        assert b"This review link has expired" in response.content
        assert b"Review links in reminder emails work for 30 days" in response.content
    assert_nothing_changed(integration)


def test_a_link_is_valid_until_its_last_day(integration, monkeypatch):
    signed = time.time() - 29 * 86400
    with monkeypatch.context() as patch:
        patch.setattr("time.time", lambda: signed)
        token = make_token(KEY)
    assert read_token(token).integration_key == KEY
    assert client_for(ANA).post(url(token), {"action": "confirm"}).status_code == 302


def test_the_link_lifetime_comes_from_the_setting(integration, monkeypatch, settings):
    settings.PLUMBLINE_REVIEW_LINK_DAYS = 60
    token = expired_token(monkeypatch)
    assert client_for(ANA).get(url(token)).status_code == 200


@pytest.mark.parametrize(("email", "role"), [("olivia.other@example.com", "owner"), ("viewer@example.com", "viewer")])
def test_someone_else_is_refused_and_changes_nothing(integration, reminder, email, role):
    client = client_for(email, role)
    token = make_token(KEY, reminder.pk)
    for response in (client.get(url(token)), client.post(url(token), {"action": "confirm"})):
        assert response.status_code == 403
        assert b"This review link is for someone else" in response.content
        assert ANA.encode() in response.content
    assert_nothing_changed(integration)


def test_an_anonymous_visitor_is_sent_to_log_in_first(integration):
    token = make_token(KEY)
    response = Client().post(url(token), {"action": "confirm"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/review/")
    assert_nothing_changed(integration)


def test_a_link_to_an_integration_that_is_gone_says_so(integration):
    token = make_token("renamed-since")
    response = client_for(ANA).get(url(token))
    assert response.status_code == 404
    assert b"This integration no longer exists" in response.content


# Snoozing


def test_the_owner_snoozes_a_spec_with_a_reason_until_a_date(integration):
    until = timezone.localdate() + dt.timedelta(days=30)
    client = client_for(ANA)
    response = client.post(
        url(make_token(KEY)), {"action": "snooze", "until": until.isoformat(), "reason": "NetSuite upgrade in Q1"}
    )
    assert response.status_code == 302 and response["Location"] == "/reminders/"
    snooze = ReviewSnooze.objects.get()
    assert (snooze.integration, snooze.until, snooze.reason) == (integration, until, "NetSuite upgrade in Q1")
    assert snooze.created_by.username == ANA
    assert "NetSuite upgrade in Q1" in client.get("/reminders/").content.decode()
    integration.refresh_from_db()
    assert integration.reviewed_at is None  # a snooze is not a review


@pytest.mark.parametrize(
    ("until_days", "reason", "field"),
    [(0, "busy", "until"), (-3, "busy", "until"), (181, "busy", "until"), (30, "   ", "reason")],
)
def test_a_snooze_needs_a_future_date_within_the_review_policy_and_a_reason(integration, until_days, reason, field):
    until = timezone.localdate() + dt.timedelta(days=until_days)
    response = client_for(ANA).post(
        url(make_token(KEY)), {"action": "snooze", "until": until.isoformat(), "reason": reason}
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not ReviewSnooze.objects.exists()


def test_an_unknown_action_changes_nothing(integration):
    response = client_for(ANA).post(url(make_token(KEY)), {"action": "delete"})
    assert response.status_code == 400
    integration.refresh_from_db()
    assert integration.reviewed_at is None
    assert not ChangeRecord.objects.exists()
