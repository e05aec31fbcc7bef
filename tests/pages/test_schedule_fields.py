"""The edit forms carry schedules, calendars and freezes: shown, saved, refused like import."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from catalog.models import Calendar, Integration, System
from tests.pages.test_integration_edit import KEY, form_data
from tests.pages.test_system_edit import form, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(estate: None, client_for: Any) -> Client:
    Calendar.objects.create(key="finance-de", name="Finance Germany", timezone="Europe/Berlin")
    return client_for("owner")


def integration() -> Integration:
    return Integration.objects.get(key=KEY)


def test_the_edit_form_shows_the_schedule_fields_under_their_spec_paths(owner):
    body = owner.get(f"/integrations/{KEY}/edit/").content.decode()
    for name, path in (
        ("sync_schedule", "sync.schedule"),
        ("sync_timezone", "sync.timezone"),
        ("sync_calendar", "sync.calendar"),
        ("freeze", "freeze"),
    ):
        assert f'id="id_{name}"' in body
        assert f'<code class="path">{path}</code>' in body
    assert '<option value="finance-de">Finance Germany (finance-de)</option>' in body


def test_a_schedule_calendar_and_freeze_are_saved_from_the_form(owner):
    data = form_data(
        integration(),
        sync_schedule="0 6 * * 1-5",
        sync_timezone="Europe/Berlin",
        sync_calendar="finance-de",
        freeze="[{last_business_days: 2, calendar: finance-de, reason: close}, {from: 2027-01-01, to: 2027-01-04}]",
    )
    response = owner.post(f"/integrations/{KEY}/edit/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    saved = integration()
    assert (saved.sync_schedule, saved.sync_timezone, saved.sync_calendar.key) == (
        "0 6 * * 1-5",
        "Europe/Berlin",
        "finance-de",
    )
    assert saved.freeze == [
        {"last_business_days": 2, "calendar": "finance-de", "reason": "close"},
        {"from": "2027-01-01", "to": "2027-01-04"},
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sync_schedule", "0 6 * *", "must be a cron expression of 5 fields"),
        ("sync_timezone", "Europe/Atlantis", "unknown time zone"),
        ("freeze", "[{from: 2027-01-04, to: 2027-01-01}]", "must not be before from"),
        ("freeze", "[{last_business_days: 2, calendar: nowhere}]", "unknown calendar &#x27;nowhere&#x27;"),
        ("freeze", "[{from: 2027-01-01", "must be a YAML list of periods"),
    ],
)
def test_a_bad_schedule_value_is_refused_at_its_field(owner, field, value, message):
    body = owner.post(f"/integrations/{KEY}/edit/", form_data(integration(), **{field: value})).content.decode()
    block = body[body.index(f'for="id_{field}"') : body.index(f'id="id_{field}"')]
    assert message in block
    assert integration().sync_schedule == "" and integration().freeze == []


def test_a_system_freeze_is_saved_from_the_system_form(client):
    System.objects.create(key="netsuite", name="NetSuite")
    login(client, "admin@example.com", "admin")
    response = client.post("/systems/netsuite/edit/", form(freeze="[{from: 2027-01-01, to: 2027-01-04}]", owner=""))
    assert response.status_code == 302
    assert System.objects.get(key="netsuite").freeze == [{"from": "2027-01-01", "to": "2027-01-04"}]


def test_the_integration_page_shows_the_schedule_and_freezes(owner):
    Integration.objects.filter(key=KEY).update(
        sync_schedule="0 6 * * 1-5",
        sync_timezone="Europe/Berlin",
        sync_calendar=Calendar.objects.get(),
        freeze=[{"last_business_days": 2, "reason": "close"}, {"from": "2027-01-01", "to": "2027-01-04"}],
    )
    body = owner.get(f"/integrations/{KEY}/").content.decode()
    assert "<code>0 6 * * 1-5</code> Europe/Berlin, business days of Finance Germany" in body
    assert "last 2 business days of each month (close); 2027-01-01 to 2027-01-04" in body
    # First screen: the health card's "Runs" says the schedule, not an interval.
    runs = body.split('id="interval-answer">', 1)[1].split("</dd>", 1)[0]
    assert runs.startswith("on schedule <code>0 6 * * 1-5</code> Europe/Berlin, business days of Finance Germany")
