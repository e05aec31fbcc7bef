"""Schedules, calendars and freezes through the API: shown in the document, accepted on write,
refused with 400 naming the field (nothing written)."""

from __future__ import annotations

import pytest

from catalog.models import Calendar, Integration, System
from tests.api.conftest import OWN_INTEGRATION, estate_state

pytestmark = pytest.mark.django_db

CALENDAR = {
    "key": "finance-de",
    "name": "Finance Germany",
    "timezone": "Europe/Berlin",
    "working_days": ["mon", "tue", "wed", "thu", "fri", "sat"],
    "holidays": ["2026-12-25", "2027-01-01"],
}
URL = f"/api/v1/integrations/{OWN_INTEGRATION}/"


@pytest.fixture
def calendar(estate, api):
    response = api("admin").post("/api/v1/calendars/", CALENDAR, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_an_admin_creates_a_calendar_and_reads_it_back(calendar, api):
    shown = {k: v for k, v in calendar.items() if k != "url"}
    assert shown == {"apiVersion": "plumbline/v1", "kind": "Calendar", **CALENDAR}
    assert api("viewer").get("/api/v1/calendars/finance-de/").json()["holidays"] == ["2026-12-25", "2027-01-01"]


def test_an_owner_may_not_create_a_calendar(estate, api):
    assert api("owner").post("/api/v1/calendars/", CALENDAR, format="json").status_code == 403
    assert not Calendar.objects.exists()


def test_a_schedule_calendar_and_freeze_are_accepted_and_shown(calendar, api):
    patch = {
        "sync": {"schedule": "0 6 * * 1-5", "timezone": "Europe/Berlin", "calendar": "finance-de"},
        "freeze": [{"last_business_days": 2, "calendar": "finance-de", "reason": "close"}],
    }
    response = api("owner").patch(URL, patch, format="json")
    assert response.status_code == 200, response.content
    body = api("owner").get(URL).json()
    assert body["sync"] == {
        "trigger": "schedule",
        "interval_minutes": 15,
        "schedule": "0 6 * * 1-5",
        "timezone": "Europe/Berlin",
        "calendar": "finance-de",
    }
    assert body["freeze"] == [{"last_business_days": 2, "calendar": "finance-de", "reason": "close"}]
    stored = Integration.objects.get(key=OWN_INTEGRATION)
    assert (stored.sync_schedule, stored.sync_calendar.key) == ("0 6 * * 1-5", "finance-de")


def test_a_system_freeze_is_accepted(estate, api):
    response = api("admin").patch(
        "/api/v1/systems/netsuite/", {"freeze": [{"from": "2027-01-01", "to": "2027-01-04"}]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert System.objects.get(key="netsuite").freeze == [{"from": "2027-01-01", "to": "2027-01-04"}]


@pytest.mark.parametrize(
    ("patch", "field", "message"),
    [
        ({"sync": {"schedule": "every day"}}, "sync.schedule", "must be a cron expression of 5 fields"),
        ({"sync": {"timezone": "Mars/Olympus"}}, "sync.timezone", "unknown time zone 'Mars/Olympus'"),
        ({"sync": {"calendar": "nowhere"}}, "sync.calendar", "unknown calendar 'nowhere'"),
        ({"freeze": [{"from": "2027-01-04", "to": "2027-01-01"}]}, "freeze[0].to", "must not be before from"),
        ({"freeze": [{"last_business_days": 2, "calendar": "nowhere"}]}, "freeze[0].calendar", "unknown calendar"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_field_and_nothing_is_written(estate, api, patch, field, message):
    before = estate_state()
    response = api("owner").patch(URL, patch, format="json")
    assert response.status_code == 400
    assert message in response.json()[field][0]
    assert estate_state() == before
