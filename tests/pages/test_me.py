"""/me/ shows the logged-in owner's specs and the reminders sent to them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Integration, Person, Reminder, ReviewSnooze
from plumbline.accounts.roles import assign_role

pytestmark = pytest.mark.django_db


def test_me_lists_my_reminders_and_snoozed_reviews(client):
    person = Person.objects.create(email="ana@example.com", name="Ana Lopez")
    integration = Integration.objects.create(key="orders-to-erp", name="Orders to ERP", owner=person)
    Reminder.objects.create(
        person=person,
        period_start=dt.date(2026, 11, 23),
        claimed_at=timezone.now(),
        sent_at=timezone.now(),
        stale_count=3,
    )
    ReviewSnooze.objects.create(
        integration=integration, until=timezone.localdate() + dt.timedelta(days=10), reason="Rebuild under way"
    )
    user = get_user_model().objects.create_user("ana@example.com", "ana@example.com", "pw-0123456789")
    assign_role(user, "owner")
    client.force_login(user)
    page = client.get("/me/").content.decode()
    assert "Orders to ERP" in page
    assert "Nov. 23, 2026" in page and ">3<" in page
    assert "Rebuild under way" in page
