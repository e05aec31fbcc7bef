"""Stale-spec reminders: who gets a digest and what it lists, one digest per owner per period,
the manager copied after three unanswered digests (and not before), snoozes, failed sends
retried, the /reminders/ page and the send_reminders command."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from catalog.models import ChangeRecord, Integration, Person, Reminder, ReviewSnooze, Waiver
from catalog.reminders import send_reminders
from catalog.reminders.digest import copies_manager, digests_by_owner, period_start
from catalog.rules.finding import Finding
from tests.catalog.test_readiness_support import ready_integration
from tests.pages.estate import make_user

NOW = timezone.now()
WEEK = dt.timedelta(days=7)
ANA = "ana.lopez@example.com"
BOSS = "cfo@example.com"


def week(n: int) -> dt.datetime:
    return NOW + n * WEEK


# Pure decisions


def test_a_weekly_period_starts_on_monday():
    assert period_start(dt.date(2026, 11, 26), 7) == dt.date(2026, 11, 23)  # a Thursday -> Monday
    assert period_start(dt.date(2026, 11, 23), 7) == dt.date(2026, 11, 23)
    assert period_start(dt.date(2026, 11, 22), 7) == dt.date(2026, 11, 16)  # Sunday is the period's last day


def test_a_one_day_period_is_the_day():
    assert period_start(dt.date(2026, 11, 26), 1) == dt.date(2026, 11, 26)


def finding(code: str, key: str, owner: str | None = ANA, severity: str = "warning", subject: str = "integration"):
    return Finding(code, severity, subject, key, f"{code} message", "remedy", owner)


def test_digests_list_stale_specs_first_then_by_most_severe_finding():
    found = [
        finding("SILENT_FAILURES", "b-quiet", severity="critical"),
        finding("STALE_SPEC", "c-stale"),
        finding("UNMONITORED", "a-unwatched"),
        finding("SPEC_INCOMPLETE", "c-stale"),
    ]
    digests = digests_by_owner(found, {"c-stale": "C stale"}, snoozed=set())
    items = digests[ANA]
    assert [item.key for item in items] == ["c-stale", "b-quiet", "a-unwatched"]
    assert items[0].name == "C stale" and items[1].name == "b-quiet"
    assert items[0].stale is not None and [f.code for f in items[0].findings] == ["SPEC_INCOMPLETE"]


def test_digests_leave_out_snoozed_specs_unowned_findings_and_other_subjects():
    found = [
        finding("STALE_SPEC", "snoozed"),
        finding("STALE_SPEC", "nobodys", owner=None),
        finding("OWNER_INACTIVE", "netsuite", subject="system"),
    ]
    assert digests_by_owner(found, {}, snoozed={"snoozed"}) == {}


def test_digests_are_per_owner():
    found = [finding("STALE_SPEC", "a"), finding("STALE_SPEC", "b", owner="sam@example.com")]
    assert set(digests_by_owner(found, {}, set())) == {ANA, "sam@example.com"}


def test_the_manager_is_not_copied_before_three_digests():
    assert not copies_manager([week(0), week(1)], None)


def test_the_manager_is_copied_after_three_digests_never_answered():
    assert copies_manager([week(0), week(1), week(2)], None)


def test_an_answer_after_the_oldest_of_the_last_three_digests_holds_off_the_manager():
    assert not copies_manager([week(0), week(1), week(2)], week(0) + dt.timedelta(hours=1))


def test_an_answer_before_the_last_three_digests_does_not_count():
    assert copies_manager([week(1), week(2), week(3)], week(0) + dt.timedelta(hours=1))


# A pass over the stored estate


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PLUMBLINE_BASE_URL = "https://plumbline.example.com"
    settings.DEFAULT_FROM_EMAIL = "plumbline@example.com"


def person(email: str, name: str, manager: Person | None = None, active: bool = True) -> Person:
    return Person.objects.create(email=email, name=name, manager=manager, active=active)


def stale(key: str, owner: Person, **fields) -> Integration:
    """A well-kept integration whose only finding is STALE_SPEC (never reviewed)."""
    return ready_integration(key, owner=owner, reviewed_at=None, **fields)


@pytest.fixture
def ana(db) -> Person:
    return person(ANA, "Ana Lopez", manager=person(BOSS, "Carla Finance"))


@pytest.mark.django_db
def test_each_owner_gets_one_digest_listing_their_stale_specs(ana, mailoutbox):
    sam = person("sam.ortiz@example.com", "Sam Ortiz")
    stale("invoices", ana, name="Chargebee invoices")
    stale("payments", ana, name="Stripe payments")
    stale("orders", sam, name="Shopify orders")
    ready_integration("fresh", owner=ana)  # reviewed today: nothing to say
    report = send_reminders(now=NOW)
    assert (report.owners, report.sent, report.skipped, report.copied) == (2, 2, 0, 0)
    by_recipient = {tuple(m.to): m for m in mailoutbox}
    assert set(by_recipient) == {(ANA,), ("sam.ortiz@example.com",)}
    message = by_recipient[(ANA,)]
    assert message.subject == "Plumbline: 2 stale specs to review on your integrations"
    assert message.from_email == "plumbline@example.com"
    assert message.cc == []
    assert "Chargebee invoices (invoices)" in message.body and "Stripe payments (payments)" in message.body
    assert "Shopify orders" not in message.body and "fresh" not in message.body
    assert "The spec has never been reviewed." in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<strong>Chargebee invoices</strong>" in html
    assert len(re.findall(r"https://plumbline\.example\.com/review/[^\s\"]+/", message.body)) == 2
    assert "https://plumbline.example.com/integrations/invoices/edit/" in message.body
    reminder = Reminder.objects.get(person=ana)
    assert reminder.sent_at == NOW and reminder.stale_count == 2
    assert [item["key"] for item in reminder.items] == ["invoices", "payments"]


@pytest.mark.django_db
def test_other_open_findings_on_owned_integrations_are_listed_too(ana, mailoutbox):
    stale("invoices", ana, error_surface="log-file")
    ready_integration("quiet", owner=ana, error_surface="log-file")
    send_reminders(now=NOW)
    (message,) = mailoutbox
    assert message.subject == "Plumbline: 1 stale spec to review and 2 open findings on your integrations"
    assert message.body.count("WARNING SILENT_FAILURES") == 2


@pytest.mark.django_db
def test_a_second_pass_in_the_same_period_sends_nothing(ana, mailoutbox):
    stale("invoices", ana)
    send_reminders(now=NOW)
    report = send_reminders(now=NOW + dt.timedelta(minutes=5))
    assert (report.sent, report.skipped) == (0, 1)
    assert len(mailoutbox) == 1
    assert Reminder.objects.count() == 1


@pytest.mark.django_db
def test_the_next_period_sends_again(ana, mailoutbox):
    stale("invoices", ana)
    send_reminders(now=week(0))
    send_reminders(now=week(1))
    assert len(mailoutbox) == 2
    assert Reminder.objects.count() == 2


@pytest.mark.django_db
def test_the_reminder_period_comes_from_the_setting(ana, mailoutbox, settings):
    settings.PLUMBLINE_REMINDER_DAYS = 1
    stale("invoices", ana)
    send_reminders(now=NOW)
    send_reminders(now=NOW + dt.timedelta(days=1))
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_an_owner_with_nothing_open_and_an_owner_who_left_get_nothing(mailoutbox):
    ready_integration("fine", owner=person(ANA, "Ana Lopez"))
    stale("orphaned", person("gone@example.com", "Gone", active=False))
    assert send_reminders(now=NOW).sent == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_waived_finding_is_not_listed(ana, mailoutbox):
    stale("invoices", ana)
    Waiver.objects.create(
        code="STALE_SPEC",
        subject_type="integration",
        subject_key="invoices",
        reason="spec rewrite in progress",
        expires_on=timezone.localdate(NOW) + dt.timedelta(days=30),
    )
    send_reminders(now=NOW)
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_snoozed_spec_is_left_out_until_its_date(ana, mailoutbox):
    invoices = stale("invoices", ana)
    stale("payments", ana)
    ReviewSnooze.objects.create(
        integration=invoices, until=timezone.localdate(week(1)), reason="vendor migration until next week"
    )
    send_reminders(now=week(0))
    assert "(invoices)" not in mailoutbox[0].body and "(payments)" in mailoutbox[0].body
    send_reminders(now=week(1))
    assert "(invoices)" in mailoutbox[1].body


@pytest.mark.django_db
def test_a_digest_whose_only_spec_is_snoozed_is_not_sent(ana, mailoutbox):
    invoices = stale("invoices", ana)
    ReviewSnooze.objects.create(integration=invoices, until=timezone.localdate(NOW) + dt.timedelta(days=1), reason="x")
    assert send_reminders(now=NOW).owners == 0
    assert mailoutbox == []


# Escalation


@pytest.mark.django_db
def test_the_manager_is_copied_after_three_unanswered_digests_and_not_before(ana, mailoutbox):
    stale("invoices", ana)
    for n in range(3):
        send_reminders(now=week(n))
        assert mailoutbox[-1].cc == [], f"digest {n + 1} copied the manager"
    report = send_reminders(now=week(3))
    assert report.copied == 1
    assert mailoutbox[-1].cc == [BOSS]
    assert "Carla Finance is copied because the last 3 reminders went unanswered." in mailoutbox[-1].body
    assert Reminder.objects.get(period_start=period_start(timezone.localdate(week(3)), 7)).cc == BOSS
    send_reminders(now=week(4))
    assert mailoutbox[-1].cc == [BOSS]  # until the owner answers


@pytest.mark.django_db
def test_an_answer_resets_the_count_of_unanswered_digests(ana, mailoutbox):
    stale("invoices", ana)
    send_reminders(now=week(0))
    send_reminders(now=week(1))
    Reminder.objects.filter(person=ana).update(answered_at=week(1) + dt.timedelta(days=1))
    for n in (2, 3, 4):
        send_reminders(now=week(n))
        assert mailoutbox[-1].cc == [], f"digest of week {n} copied the manager"
    send_reminders(now=week(5))  # weeks 2, 3 and 4 went unanswered
    assert mailoutbox[-1].cc == [BOSS]


@pytest.mark.django_db
def test_editing_a_spec_counts_as_an_answer(ana, mailoutbox):
    stale("invoices", ana)
    user = make_user(ANA, "owner")
    for n in range(3):
        send_reminders(now=week(n))
    ChangeRecord.objects.create(
        at=week(2) + dt.timedelta(days=1), actor=user, via="page", kind="Integration", key="invoices", action="update"
    )
    send_reminders(now=week(3))
    assert mailoutbox[-1].cc == []


@pytest.mark.django_db
def test_a_manager_who_left_is_not_copied(ana, mailoutbox):
    Person.objects.filter(email=BOSS).update(active=False)
    stale("invoices", ana)
    for n in range(4):
        send_reminders(now=week(n))
    assert [m.cc for m in mailoutbox] == [[], [], [], []]


@pytest.mark.django_db
def test_an_owner_without_a_manager_is_never_copied(mailoutbox):
    stale("invoices", person(ANA, "Ana Lopez"))
    for n in range(4):
        send_reminders(now=week(n))
    assert all(m.cc == [] for m in mailoutbox)


# Failures


@pytest.mark.django_db
def test_a_failed_send_releases_the_claim_and_a_later_pass_retries(ana, mailoutbox, monkeypatch):
    stale("invoices", ana)

    def refuse(self):
        raise OSError("mail server refused the connection")

    with monkeypatch.context() as patch:
        patch.setattr("catalog.reminders.sending.EmailMultiAlternatives.send", refuse)
        report = send_reminders(now=NOW)
    assert (report.sent, report.failed) == (0, 1)
    assert not Reminder.objects.exists()
    assert send_reminders(now=NOW).sent == 1
    assert len(mailoutbox) == 1


# The command and the page


@pytest.mark.django_db
def test_the_command_runs_one_pass(ana, mailoutbox):
    stale("invoices", ana)
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert "1 owner with something to review; 1 digest sent (0 copying a manager), 0 already sent" in out.getvalue()
    call_command("send_reminders", stdout=out)
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_the_daily_task_is_scheduled_and_runs_the_same_pass(ana, mailoutbox, settings):
    from catalog.tasks import send_reminders_task

    entry = settings.CELERY_BEAT_SCHEDULE["send-reminders-daily"]
    assert entry["task"] == send_reminders_task.name == "catalog.tasks.send_reminders"
    stale("invoices", ana)
    assert send_reminders_task()["sent"] == 1
    assert len(mailoutbox) == 1


@pytest.fixture
def sent_to_two(ana, mailoutbox):
    stale("invoices", ana)
    stale("orders", person("sam.ortiz@example.com", "Sam Ortiz"))
    send_reminders(now=NOW)


def client_for(email: str, role: str | None) -> Client:
    client = Client()
    user: Any = make_user(email, role)
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_admins_see_every_reminder(sent_to_two):
    response = client_for("admin@example.com", "admin").get("/reminders/")
    assert response.status_code == 200
    assert {r.person.email for r in response.context["page"].object_list} == {ANA, "sam.ortiz@example.com"}


@pytest.mark.django_db
def test_owners_see_only_their_own_reminders(sent_to_two):
    response = client_for(ANA, "owner").get("/reminders/")
    assert [r.person.email for r in response.context["page"].object_list] == [ANA]
    assert "sam.ortiz@example.com" not in response.content.decode()


@pytest.mark.django_db
def test_someone_not_in_the_catalog_sees_no_reminders(sent_to_two):
    response = client_for("viewer@example.com", "viewer").get("/reminders/")
    assert list(response.context["page"].object_list) == []


@pytest.mark.django_db
def test_the_reminders_page_needs_a_login(client):
    assert client.get("/reminders/")["Location"].startswith("/login/")
