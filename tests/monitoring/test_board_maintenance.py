"""/health/ says which integrations are in maintenance now (a window of a system they touch, one-off,
recurring or from the spec), until when, with a query count that does not grow with the windows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import System
from monitoring.models import HealthSource, MaintenanceWindow
from tests.monitoring.conftest import make_integration, make_system
from tests.pages.estate import make_user

pytestmark = pytest.mark.django_db
BOARD = reverse("health-board")


@pytest.fixture
def viewer(settings: Any) -> Client:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = Client()
    client.force_login(make_user("viewer@example.com", "viewer"))  # type: ignore[arg-type]
    return client


def daily_window(system: System, started_minutes_ago: int, minutes: int = 120) -> None:
    """A window every day, the occurrence of today begun that many minutes ago."""
    MaintenanceWindow.objects.create(
        system=system,
        starts_at=timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=3, minutes=started_minutes_ago),
        rrule="FREQ=DAILY",
        timezone="UTC",
        duration_minutes=minutes,
        reason="nightly ERP batch",
    )


def board_rows(client: Client) -> dict[str, str]:
    """Integration key -> the text of its state cell."""
    body = client.get(BOARD).content.decode()
    cells = re.findall(r'<div class="key">([a-z0-9-]+) · .*?<td class="state">(.*?)</td>', body, re.S)
    return dict(cells)


def test_an_integration_touching_a_system_in_a_recurring_window_shows_in_maintenance_until_its_end(viewer):
    make_integration("into-erp", source="billing", target="erp")
    make_integration("elsewhere", source="billing", target="crm")
    daily_window(make_system("erp"), started_minutes_ago=30)
    until = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=90)
    rows = board_rows(viewer)
    assert "in maintenance" in rows["into-erp"]
    assert f"until {until:%Y-%m-%d %H:%M}" in rows["into-erp"]
    assert 'href="/systems/erp/maintenance/"' in rows["into-erp"]
    assert "in maintenance" not in rows["elsewhere"]


def test_an_occurrence_that_is_over_shows_nothing(viewer):
    make_integration("into-erp", source="billing", target="erp")
    daily_window(make_system("erp"), started_minutes_ago=121, minutes=120)
    assert "in maintenance" not in board_rows(viewer)["into-erp"]


def test_a_window_the_spec_lists_shows_too(viewer):
    make_integration("into-erp", source="billing", target="erp")
    now = timezone.now().astimezone(dt.UTC)
    start = now - dt.timedelta(minutes=10)
    System.objects.filter(key="erp").update(
        maintenance=[
            {"rrule": "FREQ=DAILY", "start": f"{start:%H:%M}", "duration_minutes": 60, "timezone": "UTC"},
        ]
    )
    assert "in maintenance" in board_rows(viewer)["into-erp"]


def count_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(BOARD).status_code == 200
    return len(context.captured_queries)


def test_the_query_count_does_not_grow_with_the_windows(viewer):
    for n in range(4):
        make_integration(f"feed-{n}", source=f"shop-{n}", target="erp")
    daily_window(make_system("erp"), started_minutes_ago=30)
    one = count_queries(viewer)
    for n in range(4):
        for _ in range(5):
            daily_window(make_system(f"shop-{n}"), started_minutes_ago=600)
    System.objects.filter(key="erp").update(
        maintenance=[{"rrule": "FREQ=WEEKLY", "start": "03:00", "duration_minutes": 60, "timezone": "UTC"}] * 5
    )
    assert count_queries(viewer) == one
    assert HealthSource.objects.count() == 4
