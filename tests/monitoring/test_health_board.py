"""/health/: the estate's health board. Every monitored integration worst first, the reason it is
in its state, filters that are strict (400 naming a bad one), counts per state that link, pages
with database totals and a query count that does not grow with the page."""

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

from catalog.choices import HealthState
from catalog.models import Integration
from monitoring.health.specs import sync_sources
from monitoring.models import Flip, HealthSource
from tests.monitoring.conftest import make_integration, make_person, make_system
from tests.pages.estate import make_user

pytestmark = pytest.mark.django_db

BOARD = reverse("health-board")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_as(email: str | None, role: str | None = "viewer") -> Client:
    client = Client()
    if email:
        client.force_login(make_user(email, role))  # type: ignore[arg-type]
    return client


def set_health(key: str, state: str, **facts: Any) -> None:
    """Store a state row as the pipeline would leave it (the board only reads it)."""
    HealthSource.objects.filter(integration__key=key).update(state=state, **facts)


@pytest.fixture
def estate(db: Any) -> dict[HealthState, Integration]:
    """One integration per state, made in best-first order so the board must reorder them."""
    made = {}
    for state, kind in [
        (HealthState.PAUSED, "heartbeat"),
        (HealthState.UP, "http"),
        (HealthState.UNKNOWN, "heartbeat"),
        (HealthState.LATE, "heartbeat"),
        (HealthState.FAILING, "celigo"),
        (HealthState.DOWN, "boomi"),
    ]:
        made[state] = make_integration(f"{state}-feed", kind=kind, owner=f"{state}@example.com")
        set_health(f"{state}-feed", state)
    make_integration("silent-feed", kind="none")
    return made


@pytest.fixture
def viewer() -> Client:
    return client_as("viewer@example.com")


def body_of(response: Any) -> str:
    assert response.status_code == 200
    return response.content.decode()


def listed_keys(body: str) -> list[str]:
    """The integration keys of the board's rows, in order."""
    return re.findall(r'<div class="key">([a-z0-9-]+) · ', body)


def test_anonymous_visitors_are_sent_to_log_in(estate):
    response = Client().get(BOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_user_without_a_role_is_refused(estate):
    assert client_as("nobody@example.com", None).get(BOARD).status_code == 403


@pytest.mark.parametrize("role", ["viewer", "owner", "admin"])
def test_every_role_reads_the_board(estate, role):
    assert "down-feed" in body_of(client_as(f"{role}-reader@example.com", role).get(BOARD))


def test_the_board_takes_no_post(estate, viewer):
    assert viewer.post(BOARD).status_code == 405


def test_rows_come_worst_first_and_paused_last(estate, viewer):
    assert listed_keys(body_of(viewer.get(BOARD))) == [
        "down-feed",
        "failing-feed",
        "late-feed",
        "unknown-feed",
        "up-feed",
        "paused-feed",
    ]


def test_an_integration_with_health_kind_none_is_not_on_the_board(estate, viewer):
    body = body_of(viewer.get(BOARD))
    assert "silent-feed" not in body
    assert "6 monitored integrations." in body


def test_within_a_state_the_longest_outage_comes_first(estate, viewer):
    now = timezone.now()
    make_integration("older-outage", kind="heartbeat")
    set_health("older-outage", HealthState.DOWN, state_changed_at=now - dt.timedelta(days=3))
    set_health("down-feed", HealthState.DOWN, state_changed_at=now - dt.timedelta(hours=1))
    assert listed_keys(body_of(viewer.get(BOARD)))[:2] == ["older-outage", "down-feed"]


def test_a_row_shows_owner_kind_last_success_failed_records_and_interval(estate, viewer):
    success = dt.datetime(2026, 4, 30, 8, 15, tzinfo=dt.UTC)
    set_health("down-feed", HealthState.DOWN, last_success_at=success, open_failed_records=7, interval_minutes=60)
    HealthSource.objects.filter(integration__key="down-feed").update(observed_median_minutes=75.5)
    body = body_of(viewer.get(BOARD))
    row = body[body.index('<tr class="health-down">') : body.index("</tr>", body.index('<tr class="health-down">'))]
    assert reverse("person-detail", args=["down@example.com"]) in row
    assert "<td>Boomi</td>" in row
    assert "2026-04-30 08:15 UTC" in row
    assert " ago</time>" in row
    assert ">7</a>" in row
    assert "every 60 min" in row
    assert "observed 75.5 min" in row


def test_each_row_links_to_the_integration_and_its_health_page(estate, viewer):
    body = body_of(viewer.get(BOARD))
    assert f'href="{reverse("integration-detail", args=["late-feed"])}"' in body
    assert f'href="{reverse("integration-health", args=["late-feed"])}"' in body


def test_the_platform_saying_stopped_is_the_reason_shown_first(estate, viewer):
    set_health("down-feed", HealthState.DOWN, platform_stopped="Process stopped by admin", last_poll_error="429")
    body = body_of(viewer.get(BOARD))
    assert "Stopped on the platform:</span> Process stopped by admin" in body
    assert "Last poll failed:</span> 429" not in body


def test_a_poll_error_is_shown_as_the_poll_failing(estate, viewer):
    set_health("up-feed", HealthState.UP, last_poll_error="vendor answered 503")
    assert "Last poll failed:</span> vendor answered 503" in body_of(viewer.get(BOARD))


def test_otherwise_the_latest_flip_reason_explains_the_state(estate, viewer):
    integration = estate[HealthState.LATE]
    now = timezone.now()
    Flip.objects.create(integration=integration, from_state="unknown", to_state="up", at=now - dt.timedelta(hours=2))
    Flip.objects.create(
        integration=integration, from_state="up", to_state="late", at=now, reason="no successful run since 09:00 UTC"
    )
    assert "Latest change:</span> no successful run since 09:00 UTC" in body_of(viewer.get(BOARD))


def test_counts_per_state_sit_on_top_as_links_that_filter(estate, viewer):
    body = body_of(viewer.get(BOARD))
    link = re.search(r'<a class="state-count down" href="\?state=down"[^>]*>\s*<span class="figure">(\d+)</span>', body)
    assert link and link.group(1) == "1"
    assert re.search(r'<span class="figure">6</span> <span class="label">all</span>', body)


def test_the_state_filter_keeps_the_other_counts_visible(estate, viewer):
    make_integration("second-down", kind="heartbeat")
    set_health("second-down", HealthState.DOWN)
    body = body_of(viewer.get(BOARD + "?state=down"))
    assert listed_keys(body) == ["down-feed", "second-down"] or listed_keys(body) == ["second-down", "down-feed"]
    assert "2 monitored integrations match these filters." in body
    assert re.search(r'class="state-count up"[^>]*>\s*<span class="figure">1</span>', body)
    assert 'aria-current="page"' in body[body.index("state-count down") : body.index("state-count down") + 200]


def test_counts_follow_the_other_filters(estate, viewer):
    body = body_of(viewer.get(BOARD + "?owner=late@example.com"))
    assert listed_keys(body) == ["late-feed"]
    assert re.search(r'class="state-count late" href="\?owner=late%40example.com&amp;state=late"', body)
    assert re.search(r'class="state-count down none"[^>]*>\s*<span class="figure">0</span>', body)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=failing", ["failing-feed"]),
        ("owner=up@example.com", ["up-feed"]),
        ("platform=boomi", ["down-feed"]),
        ("platform=heartbeat", ["late-feed", "unknown-feed", "paused-feed"]),
        ("q=late", ["late-feed"]),
    ],
)
def test_each_filter_narrows_the_board(estate, viewer, query, expected):
    assert listed_keys(body_of(viewer.get(f"{BOARD}?{query}"))) == expected


def test_the_system_filter_matches_either_side(estate, viewer):
    crm = make_system("crm")
    Integration.objects.filter(key="up-feed").update(target=crm)
    Integration.objects.filter(key="late-feed").update(source=crm)
    assert listed_keys(body_of(viewer.get(BOARD + "?system=crm"))) == ["late-feed", "up-feed"]


def test_the_lifecycle_filter_matches_the_dashboard_counts(estate, viewer):
    Integration.objects.filter(key="failing-feed").update(lifecycle="building")
    assert listed_keys(body_of(viewer.get(BOARD + "?lifecycle=live&state=failing"))) == []


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("colour=blue", "colour", "unknown filter (known: "),
        ("state=sideways", "state", "Select a valid choice."),
        ("platform=none", "platform", "Select a valid choice."),
        ("owner=nobody@example.com", "owner", "Select a valid choice."),
        ("ordering=colour", "ordering", "Select a valid choice."),
        ("page_size=0", "page_size", "must be a number from 1 to "),
    ],
)
def test_an_unknown_filter_or_bad_value_is_a_400_page_naming_it(estate, viewer, query, parameter, message):
    response = viewer.get(f"{BOARD}?{query}")
    body = response.content.decode()
    assert response.status_code == 400
    assert f"<code>{parameter}</code>: {message}" in body
    assert "down-feed" not in body


def test_empty_parameters_of_the_filter_panel_are_dropped_by_redirect(estate, viewer):
    response = viewer.get(BOARD + "?q=&state=down&owner=")
    assert response.status_code == 302
    assert response["Location"] == BOARD + "?state=down"


def bulk_monitored(count: int, prefix: str) -> None:
    owner = make_person(f"{prefix}@example.com")
    source, target = make_system(f"{prefix}-a"), make_system(f"{prefix}-b")
    Integration.objects.bulk_create(
        Integration(
            key=f"{prefix}-{n:04d}",
            name=f"{prefix} {n}",
            health_kind="heartbeat",
            interval_minutes=15,
            owner=owner,
            source=source,
            target=target,
        )
        for n in range(count)
    )
    sync_sources()
    HealthSource.objects.filter(integration__key__startswith=prefix).update(state=HealthState.LATE)


def test_pages_carry_database_totals(db, viewer):
    bulk_monitored(60, "bulk")
    body = body_of(viewer.get(BOARD))
    assert "60 monitored integrations." in body
    assert "Page 1 of 2" in body
    assert len(listed_keys(body)) == 50
    assert re.search(r'class="state-count late"[^>]*>\s*<span class="figure">60</span>', body)
    assert len(listed_keys(body_of(viewer.get(BOARD + "?page=2")))) == 10


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        body_of(client.get(url))
    return len(context.captured_queries)


@pytest.mark.parametrize("query", ["", "?state=late&ordering=owner"])
def test_the_query_count_does_not_grow_with_the_page(estate, viewer, query):
    bulk_monitored(3, "few")
    few = queries(viewer, BOARD + query)
    bulk_monitored(45, "many")
    many = queries(viewer, BOARD + query)
    assert few == many
    assert many <= 10


def test_an_estate_with_nothing_monitored_says_how_to_start(db, viewer):
    make_integration("silent-feed", kind="none")
    body = body_of(viewer.get(BOARD))
    assert "No integration is monitored yet" in body
