"""The stale-spec digest also goes to the owner of a value map due for review: listed with a link to
its page, claimed once per period like every digest (a second pass sends nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from catalog.models import Person, Reminder, ValueMap
from catalog.reminders import send_reminders
from tests.catalog.test_readiness_support import ready_integration

pytestmark = pytest.mark.django_db

NOW = timezone.now()
TODAY = timezone.localdate(NOW)


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.PLUMBLINE_BASE_URL = "https://plumbline.example.com"
    settings.PLUMBLINE_REVIEW_DAYS = 180


@pytest.fixture
def marcus() -> Person:
    return Person.objects.create(email="marcus@example.com", name="Marcus Oyelaran")


def test_the_owner_of_a_stale_value_map_gets_one_digest_with_its_link(marcus, mailoutbox):
    ValueMap.objects.create(key="vat-codes", name="VAT codes", owner=marcus, reviewed_at=TODAY - dt.timedelta(days=181))
    ValueMap.objects.create(key="coa", owner=marcus, reviewed_at=TODAY - dt.timedelta(days=180))  # fresh
    report = send_reminders(now=NOW)
    assert (report.owners, report.sent) == (1, 1)
    [message] = mailoutbox
    assert message.to == ["marcus@example.com"]
    assert message.subject == "Plumbline: 1 value map to review on your value maps"
    assert "* VAT codes (vat-codes): last reviewed" in message.body
    assert "https://plumbline.example.com/value-maps/vat-codes/" in message.body
    assert "coa" not in message.body
    assert Reminder.objects.get(person=marcus).items[0]["kind"] == "ValueMap"
    assert send_reminders(now=NOW).sent == 0  # claimed: never twice in a period
    assert len(mailoutbox) == 1


def test_an_owner_of_a_stale_spec_and_a_stale_value_map_gets_both_in_one_digest(marcus, mailoutbox):
    ready_integration("invoices", owner=marcus, reviewed_at=None, name="Chargebee invoices")
    ValueMap.objects.create(key="vat-codes", owner=marcus, reviewed_at=None)
    send_reminders(now=NOW)
    [message] = mailoutbox
    assert message.subject == "Plumbline: 1 stale spec to review and 1 value map to review on your integrations"
    assert "Chargebee invoices (invoices)" in message.body
    assert "vat-codes (vat-codes): never reviewed" in message.body


def test_no_digest_for_fresh_value_maps(marcus, mailoutbox):
    ValueMap.objects.create(key="coa", owner=marcus, reviewed_at=TODAY)
    assert send_reminders(now=NOW).sent == 0
    assert mailoutbox == []
