"""A system's maintenance windows planned on a page: its owner or an admin, checked, in the history, and
holding alerts of the integrations touching it while open."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from catalog.models import ChangeRecord, Integration, System
from monitoring.health.pipeline import record_poll
from monitoring.health.specs import sync_sources
from monitoring.models import Alert, Flip, MaintenanceWindow
from monitoring.platforms.contract import PollResult, RunObservation

pytestmark = pytest.mark.django_db
URL = "/systems/netsuite/maintenance/"


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def window(hours_from_now: float, hours: float, reason: str = "NetSuite 2026.2 upgrade") -> dict[str, str]:
    start = timezone.now() + dt.timedelta(hours=hours_from_now)
    return {"starts_at": local(start), "ends_at": local(start + dt.timedelta(hours=hours)), "reason": reason}


def test_an_admin_plans_a_window_recorded_in_the_history_and_cancels_it(estate, client_for):
    admin = client_for("admin")
    response = admin.post(URL, window(24, 2))
    assert response.status_code == 302
    planned = MaintenanceWindow.objects.get()
    assert (planned.system.key, planned.reason) == ("netsuite", "NetSuite 2026.2 upgrade")
    record = ChangeRecord.objects.get(kind="MaintenanceWindow")
    assert (record.via, record.action, record.after["system"]) == ("page", "create", "netsuite")
    page = admin.get(URL).content.decode()
    assert "NetSuite 2026.2 upgrade" in page and "No maintenance under way" in page
    assert admin.post(f"{URL}{planned.pk}/cancel/").status_code == 302
    assert not MaintenanceWindow.objects.exists()
    assert ChangeRecord.objects.filter(kind="MaintenanceWindow", action="delete").count() == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (window(2, -1), "must be after the start"),
        (window(2, 24 * 15), "a window is at most 14 days"),
        (window(-5, 1), "is in the past"),
        ({"starts_at": "not a time", "ends_at": "", "reason": ""}, "Enter a valid date/time."),
    ],
)
def test_a_bad_window_is_refused_naming_the_field_and_nothing_is_written(estate, client_for, data, error):
    response = client_for("admin").post(URL, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_viewers_read_but_neither_plan_nor_cancel(estate, client_for):
    viewer = client_for("viewer")
    page = viewer.get(URL).content.decode()
    assert "Plan a window" not in page
    assert viewer.post(URL, window(24, 2)).status_code == 403
    client_for("admin").post(URL, window(24, 2))
    assert viewer.post(f"{URL}{MaintenanceWindow.objects.get().pk}/cancel/").status_code == 403
    assert MaintenanceWindow.objects.count() == 1


def test_a_window_planned_on_the_page_holds_the_alert_of_an_integration_touching_the_system(estate, client_for):
    assert client_for("admin").post(URL, window(-0.5, 2)).status_code == 302  # under way: accepted, not over
    assert MaintenanceWindow.objects.get().starts_at < timezone.now()
    integration = Integration.objects.get(key="chargebee-invoices-to-netsuite")  # into NetSuite
    Integration.objects.filter(pk=integration.pk).update(health_kind="http", health_url="https://x.example.com/s")
    sync_sources([integration.key])
    now = timezone.now()
    record_poll(integration, PollResult(runs=[RunObservation("r-1", "failed", finished_at=now)]), now=now)
    flip = Flip.objects.get(integration=integration, to_state="failing")
    assert flip.suppressed_reason.startswith("maintenance window of NetSuite")
    assert not Alert.objects.exists()


def test_the_system_page_links_to_its_maintenance(estate, client_for):
    assert f'href="{URL}"' in client_for("viewer").get("/systems/netsuite/").content.decode()


def weekly(days: list[str], **extra: str) -> dict[str, Any]:
    """A weekly window from next Sunday-ish, 02:00 Berlin, two hours."""
    first = (timezone.now() + dt.timedelta(days=1)).astimezone(ZoneInfo("Europe/Berlin"))
    return {
        "starts_at": first.strftime("%Y-%m-%dT02:00"),
        "repeats": "weekly",
        "days": days,
        "duration_minutes": "120",
        "timezone": "Europe/Berlin",
        "reason": "NetSuite weekly patching",
        **extra,
    }


def test_an_owner_plans_a_weekly_window_shown_in_words_with_its_next_occurrence(estate, client_for):
    owner = client_for("owner")  # ana owns NetSuite
    assert owner.post(URL, weekly(["SU", "WE"])).status_code == 302
    planned = MaintenanceWindow.objects.get()
    assert (planned.rrule, planned.timezone, planned.duration_minutes) == (
        "FREQ=WEEKLY;BYDAY=WE,SU",
        "Europe/Berlin",
        120,
    )
    assert planned.ends_at is None  # it repeats until cancelled
    assert planned.starts_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") == "02:00"
    record = ChangeRecord.objects.get(kind="MaintenanceWindow")
    assert record.after["rrule"] == "FREQ=WEEKLY;BYDAY=WE,SU"
    page = owner.get(URL).content.decode()
    assert "every Wednesday and Sunday, 02:00–04:00 Europe/Berlin" in page
    upcoming = planned.recurrence().next_occurrence(timezone.now())
    assert timezone.localtime(upcoming[0]).strftime("%Y-%m-%d %H:%M") in page


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"repeats": "rule", "rrule": "FREQ=MINUTELY"}, "rrule", "FREQ=MINUTELY is not allowed"),
        ({"repeats": "rule", "rrule": "FREQ=WEEKLY;BYHOUR=3"}, "rrule", "BYHOUR is not allowed"),
        ({"repeats": "rule", "rrule": ""}, "rrule", "is required when the window repeats by a rule"),
        ({"days": []}, "days", "choose at least one day"),
        ({"duration_minutes": ""}, "duration_minutes", "is required for a recurring window"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"repeats": "daily", "duration_minutes": str(25 * 60)}, "repeats", "cannot each last 25 hours"),
    ],
)
def test_a_bad_recurring_window_is_refused_naming_the_field_and_nothing_is_written(
    estate, client_for, data, field, error
):
    response = client_for("admin").post(URL, weekly(["SU"]) | data)
    assert response.status_code == 400
    assert error in str(response.context["form"].errors[field])
    assert not MaintenanceWindow.objects.exists()


def test_a_raw_rrule_is_planned_as_given(estate, client_for):
    data = weekly([], repeats="rule", rrule="FREQ=MONTHLY;BYDAY=1SU")
    assert client_for("admin").post(URL, data).status_code == 302
    assert MaintenanceWindow.objects.get().rrule == "FREQ=MONTHLY;BYDAY=1SU"
    assert "on the first Sunday of every month" in client_for("viewer").get(URL).content.decode()


def test_a_recurring_window_is_cancelled_like_a_one_off(estate, client_for):
    admin = client_for("admin")
    admin.post(URL, weekly(["SU"]))
    planned = MaintenanceWindow.objects.get()
    assert client_for("viewer").post(f"{URL}{planned.pk}/cancel/").status_code == 403
    assert admin.post(f"{URL}{planned.pk}/cancel/").status_code == 302
    assert not MaintenanceWindow.objects.exists()
    assert ChangeRecord.objects.get(kind="MaintenanceWindow", action="delete").before["rrule"] == "FREQ=WEEKLY;BYDAY=SU"


def test_the_spec_windows_are_listed_but_changed_only_in_the_spec(estate, client_for):
    System.objects.filter(key="netsuite").update(
        maintenance=[{"rrule": "FREQ=DAILY", "start": "01:00", "duration_minutes": 30, "timezone": "UTC"}]
    )
    page = client_for("admin").get(URL).content.decode()
    assert "every day, 01:00–01:30 UTC" in page
    assert "change it in the spec" in page
    assert "/cancel/" not in page
