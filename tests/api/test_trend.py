"""/api/v1/trend/: the daily snapshots as JSON, oldest first; the last 90 days unless `days` (at
most 730) or `since` say; any other parameter or a bad value is a 400; one query whatever the window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import EstateSnapshot

pytestmark = pytest.mark.django_db


def store_days(*days_ago: int) -> None:
    today = timezone.localdate()
    for n in days_ago:
        EstateSnapshot.objects.create(
            taken_on=today - dt.timedelta(days=n),
            taken_at=timezone.now(),
            findings_critical=n,
            completeness_average=0.5,
            breakdown={"findings_by_code": {"STALE_SPEC": n}, "health": {}, "lifecycle": {"live": 3}},
        )


def days_ago_of(rows: list[dict]) -> list[int]:
    today = timezone.localdate()
    return [(today - dt.date.fromisoformat(row["taken_on"])).days for row in rows]


@pytest.fixture
def year_of_snapshots() -> None:
    store_days(0, 1, 2, 89, 90, 200, 729, 730)


def test_the_last_90_days_oldest_first_by_default(year_of_snapshots, api):
    response = api("viewer").get("/api/v1/trend/")
    assert response.status_code == 200
    rows = response.json()
    assert days_ago_of(rows) == [89, 2, 1, 0]
    latest = rows[-1]
    assert latest["findings_critical"] == 0 and latest["completeness_average"] == 0.5
    assert latest["breakdown"]["lifecycle"] == {"live": 3}
    assert {"taken_at", "health_down", "health_failing", "workaround_hours_per_month", "open_failed_records"} <= set(
        latest
    )


def test_days_widens_the_window_up_to_730(year_of_snapshots, api):
    assert days_ago_of(api("viewer").get("/api/v1/trend/?days=730").json()) == [729, 200, 90, 89, 2, 1, 0]
    assert days_ago_of(api("viewer").get("/api/v1/trend/?days=2").json()) == [1, 0]


def test_since_starts_the_window_at_a_date(year_of_snapshots, api):
    since = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    assert days_ago_of(api("viewer").get(f"/api/v1/trend/?since={since}").json()) == [2, 1, 0]
    # since reaches no further back than days does.
    old = (timezone.localdate() - dt.timedelta(days=300)).isoformat()
    assert days_ago_of(api("viewer").get(f"/api/v1/trend/?since={old}").json()) == [89, 2, 1, 0]
    assert days_ago_of(api("viewer").get(f"/api/v1/trend/?since={old}&days=365").json()) == [200, 90, 89, 2, 1, 0]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("days=0", "days"),
        ("days=731", "days"),
        ("days=-5", "days"),
        ("days=ninety", "days"),
        ("days=1.5", "days"),
        ("since=yesterday", "since"),
        ("since=2026-02-30", "since"),
        ("limit=5", "limit"),
        ("page=2", "page"),
    ],
)
def test_bad_or_unknown_parameters_are_a_400_naming_them(year_of_snapshots, api, query, parameter):
    response = api("viewer").get(f"/api/v1/trend/?{query}")
    assert response.status_code == 400
    assert parameter in response.json()


def test_no_snapshots_is_an_empty_list(api, db):
    assert api("viewer").get("/api/v1/trend/").json() == []


def queries(api, url: str) -> int:
    client = api("viewer")
    client.get(url)  # session and role lookups warmed
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_query_count_does_not_grow_with_the_window(api, db):
    store_days(0, 1)
    few = queries(api, "/api/v1/trend/?days=730")
    store_days(*range(2, 400))
    assert queries(api, "/api/v1/trend/?days=730") == few


def test_the_schema_documents_the_trend_and_its_parameters(api):
    schema = api("viewer").get("/api/v1/schema/").json()
    operation = schema["paths"]["/api/v1/trend/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"days", "since"}
    item = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert item["type"] == "array"
    snapshot = schema["components"]["schemas"]["Snapshot"]["properties"]
    assert {"taken_on", "findings_critical", "completeness_average", "breakdown"} <= set(snapshot)
