"""The change log across every document (/api/v1/changes/, JSON pages and a streamed CSV), the
reminders (/api/v1/reminders/) and the workaround runs (/api/v1/workaround-runs/): filters, strict
400s, paging, the CSV as the JSON says, formula cells neutralised, flat queries and memory, and
every actor against every endpoint."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import audit
from catalog.models import ChangeRecord, Integration, Person, Reminder, WorkaroundRun
from tests.api.conftest import OTHER_INTEGRATION, OWN_INTEGRATION, OWNER_EMAIL, estate_state, make_user

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "no_role", "viewer", "owner", "owner_token", "admin", "read_only_token")
READERS = {"viewer", "owner", "owner_token", "admin", "read_only_token"}
ENDPOINTS = ("/api/v1/changes/", "/api/v1/changes/?format=csv", "/api/v1/reminders/", "/api/v1/workaround-runs/")


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def every_page(client: Any, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while url:
        page = client.get(url).json()
        items += page["results"]
        url = page["next"]
    return items


@pytest.fixture
def edited(estate, api) -> None:
    """Two API edits on top of the import: the owner's and the admin's."""
    url = f"/api/v1/integrations/{OWN_INTEGRATION}/"
    assert api("owner").patch(url, {"sync": {"interval_minutes": 30}}, format="json").status_code == 200
    assert api("admin").patch(url, {"name": '=HYPERLINK("http://x")'}, format="json").status_code == 200


# The change log: JSON ------------------------------------------------------------------------


def test_change_log_lists_every_change_of_every_kind_newest_first(edited, api):
    items = every_page(api("viewer"), "/api/v1/changes/?page_size=500")
    assert len(items) == ChangeRecord.objects.count()
    assert [item["id"] for item in items] == list(
        ChangeRecord.objects.order_by("-at", "-id").values_list("id", flat=True)
    )
    assert {item["kind"] for item in items} >= {"Person", "System", "Integration", "GoLive", "ValueMap"}
    newest = items[0]
    assert (newest["actor"], newest["via"], newest["action"], newest["key"]) == (
        "admin@example.com",
        "api",
        "update",
        OWN_INTEGRATION,
    )
    assert newest["changes"] == [
        {"field": "name", "before": "Chargebee invoices to NetSuite", "after": '=HYPERLINK("http://x")'}
    ]
    assert newest["before"]["name"] == "Chargebee invoices to NetSuite"
    assert newest["after"]["name"] == '=HYPERLINK("http://x")'


def test_one_change_is_read_by_its_id(edited, api):
    record = ChangeRecord.objects.filter(actor__email=OWNER_EMAIL).get()
    item = api("viewer").get(f"/api/v1/changes/{record.pk}/").json()
    assert (item["id"], item["actor"], item["changes"]) == (
        record.pk,
        OWNER_EMAIL,
        [{"field": "sync.interval_minutes", "before": 15, "after": 30}],
    )
    assert api("viewer").get("/api/v1/changes/999999/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=integration", lambda r: r.kind == "Integration"),
        (f"key={OTHER_INTEGRATION}", lambda r: r.key == OTHER_INTEGRATION),
        (f"user={OWNER_EMAIL.upper()}", lambda r: r.actor is not None and r.actor.email == OWNER_EMAIL),
        ("via=api", lambda r: r.via == "api"),
        ("action=create", lambda r: r.action == "create"),
        ("kind=Integration&via=import", lambda r: r.kind == "Integration" and r.via == "import"),
    ],
)
def test_each_filter_keeps_exactly_the_matching_changes(edited, api, query, expected):
    items = every_page(api("viewer"), f"/api/v1/changes/?page_size=500&{query}")
    wanted = [r.pk for r in ChangeRecord.objects.select_related("actor").order_by("-at", "-id") if expected(r)]
    assert wanted, query  # the filter has something to find
    assert [item["id"] for item in items] == wanted


def test_since_and_until_bound_the_time_at_or_after_and_before(estate, api):
    ChangeRecord.objects.update(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    late = ChangeRecord.objects.order_by("id").first()
    assert late is not None
    ChangeRecord.objects.filter(pk=late.pk).update(at=dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC))
    client = api("viewer")
    since = client.get("/api/v1/changes/?since=2026-06-01T12:00:00Z").json()
    assert [item["id"] for item in since["results"]] == [late.pk]
    until = client.get("/api/v1/changes/?until=2026-06-01T12:00:00Z&page_size=1").json()
    assert until["count"] == ChangeRecord.objects.count() - 1


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("colour=red", "colour"),
        ("via=email", "via"),
        ("action=rename", "action"),
        ("since=yesterday", "since"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("page_size=none", "page_size"),
    ],
)
@pytest.mark.parametrize("csv_format", [False, True])
def test_an_unknown_filter_or_bad_value_is_a_400_naming_it_in_json(edited, api, query, named, csv_format):
    url = f"/api/v1/changes/?{query}" + ("&format=csv" if csv_format else "")
    response = api("viewer").get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert named in response.json()


def test_the_log_is_paginated_like_every_list(edited, api):
    client = api("viewer")
    total = ChangeRecord.objects.count()
    first = client.get("/api/v1/changes/?page_size=3").json()
    assert (first["count"], len(first["results"]), first["previous"]) == (total, 3, None)
    assert "page=2" in first["next"]
    last = client.get("/api/v1/changes/?page_size=3&page=last").json()
    assert len(last["results"]) == total - 3 * (-(-total // 3) - 1)
    assert client.get("/api/v1/changes/?page_size=3&page=999").status_code == 404


# The change log: CSV -------------------------------------------------------------------------


def expected_csv(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The rows the CSV must hold for these JSON items: one per changed field."""
    rows = []
    for item in items:
        head = {
            "at": dt.datetime.fromisoformat(item["at"].replace("Z", "+00:00")).isoformat(),
            "user": item["actor"] or "",
            "via": item["via"],
            "kind": item["kind"],
            "key": item["key"],
            "action": item["action"],
            "note": item["note"],
        }
        for change in item["changes"] or [{"field": None, "before": None, "after": None}]:
            cells = {name: audit.cell_text(change[name]) for name in ("field", "before", "after")}
            rows.append({**head, **cells})
    return [{name: audit.csv_cell(value) for name, value in row.items()} for row in rows]


@pytest.mark.parametrize("query", ["", "kind=Integration", f"user={OWNER_EMAIL}", "via=import&kind=System"])
def test_csv_holds_one_row_per_changed_field_of_the_same_filtered_set(edited, api, query):
    client = api("viewer")
    items = every_page(client, f"/api/v1/changes/?page_size=500&{query}")
    response = client.get(f"/api/v1/changes/?format=csv&{query}")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="changes.csv"'
    rows = csv_rows(response)
    assert rows == expected_csv(items)
    assert len(rows) == sum(max(len(item["changes"]), 1) for item in items)
    assert list(rows[0]) == list(audit.CHANGE_HEADER)


def test_accept_text_csv_answers_the_csv_too(edited, api):
    response = api("viewer").get(f"/api/v1/changes/?user={OWNER_EMAIL}", HTTP_ACCEPT="text/csv")
    rows = csv_rows(response)
    assert [(r["user"], r["field"], r["before"], r["after"]) for r in rows] == [
        (OWNER_EMAIL, "sync.interval_minutes", "15", "30")
    ]


def test_csv_cells_a_spreadsheet_would_run_are_neutralised(edited, api):
    ChangeRecord.objects.filter(actor__email="admin@example.com").update(note="+SUM(A1:A9)")
    rows = csv_rows(api("viewer").get("/api/v1/changes/?format=csv&user=admin@example.com"))
    assert [(r["field"], r["after"], r["note"]) for r in rows] == [("name", '\'=HYPERLINK("http://x")', "'+SUM(A1:A9)")]
    for value in ("-1", "@x", "\tx", "\rx"):
        assert audit.csv_cell(audit.cell_text(value)) == "'" + value


def test_csv_writes_lists_as_json_and_booleans_as_the_spec_does():
    assert audit.cell_text(["invoice", "payment"]) == '["invoice", "payment"]'
    assert audit.cell_text(True) == "true"
    assert audit.cell_text(None) == ""
    assert audit.cell_text(15) == "15"


def test_csv_of_100k_changes_streams_in_flat_memory(db, api, users):
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ChangeRecord.objects.bulk_create(
        [
            ChangeRecord(
                at=at, via="import", kind="System", key=f"s{i}", action="update", before={"a": i}, after={"a": i + 1}
            )
            for i in range(100_000)
        ],
        batch_size=5000,
    )
    response = api("viewer").get("/api/v1/changes/?format=csv")
    assert response.streaming
    tracemalloc.start()
    rows = 0
    try:
        for chunk in response.streaming_content:
            rows += chunk.count(b"\r\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == 100_001  # the header and one row per change
    # The whole file is about 6 MB; streaming keeps a few batches of records at a time.
    assert peak < 12 * 1024 * 1024, peak


# Query counts ----------------------------------------------------------------------------------


def grow(n: int) -> None:
    """n more changes by n users, n reminders and n workaround runs."""
    now = timezone.now()
    integration = Integration.objects.get(key=OWN_INTEGRATION)
    for i in range(n):
        actor = make_user(f"u{i}-{ChangeRecord.objects.count()}@example.com", "owner")
        ChangeRecord.objects.create(
            at=now, actor=actor, via="page", kind="System", key="netsuite", action="update", before={}, after={"a": i}
        )
        person = Person.objects.create(email=f"p{i}-{Person.objects.count()}@example.com")
        Reminder.objects.create(person=person, period_start=timezone.localdate(), claimed_at=now, items=[{"key": "k"}])
        WorkaroundRun.objects.create(integration=integration, due_at=now - dt.timedelta(days=Reminder.objects.count()))


def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/changes/?page_size=500",
        "/api/v1/changes/?format=csv",
        "/api/v1/reminders/?page_size=500",
        "/api/v1/workaround-runs/?page_size=500",
        "/api/v1/workaround-runs/?state=missed&page_size=500",
    ],
)
@pytest.mark.parametrize("actor", ["viewer", "admin"])
def test_query_count_does_not_grow_with_rows(estate, api, url, actor):
    client = api(actor)
    grow(3)
    small = count_queries(client, url)
    grow(30)
    large = count_queries(client, url)
    assert large == small, url


# Reminders -------------------------------------------------------------------------------------


@pytest.fixture
def reminders(estate) -> dict[str, Reminder]:
    now = timezone.now()
    ana = Person.objects.get(email=OWNER_EMAIL)
    raj = Person.objects.get(email="raj.patel@example.com")
    item = {
        "key": OWN_INTEGRATION,
        "name": "Invoices",
        "stale": True,
        "findings": [{"code": "X", "severity": "warning", "message": "m"}],
    }
    return {
        "ana_old": Reminder.objects.create(
            person=ana, period_start=dt.date(2026, 1, 5), claimed_at=now, sent_at=now, answered_at=now, items=[item]
        ),
        "ana_new": Reminder.objects.create(person=ana, period_start=dt.date(2026, 2, 2), claimed_at=now),
        "raj": Reminder.objects.create(person=raj, period_start=dt.date(2026, 2, 2), claimed_at=now, sent_at=now),
    }


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_admins_read_every_reminder_others_their_own(reminders, api):
    r = reminders
    assert ids(api("admin").get("/api/v1/reminders/")) == [r["ana_new"].pk, r["raj"].pk, r["ana_old"].pk]
    assert ids(api("owner").get("/api/v1/reminders/")) == [r["ana_new"].pk, r["ana_old"].pk]
    assert ids(api("owner_token").get("/api/v1/reminders/")) == [r["ana_new"].pk, r["ana_old"].pk]
    assert ids(api("viewer").get("/api/v1/reminders/")) == []  # no Person of that email: nothing sent to them


def test_a_reminder_says_what_the_digest_listed(reminders, api):
    item = api("owner").get(f"/api/v1/reminders/{reminders['ana_old'].pk}/").json()
    assert item["person"] == OWNER_EMAIL
    assert item["items"] == [
        {
            "kind": "Integration",
            "key": OWN_INTEGRATION,
            "name": "Invoices",
            "stale": True,
            "findings": [{"code": "X", "severity": "warning", "message": "m"}],
        }
    ]
    # Someone else's digest is not found, as it is not listed.
    assert api("owner").get(f"/api/v1/reminders/{reminders['raj'].pk}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("person=RAJ.PATEL@example.com", ["raj"]),
        ("sent=true", ["raj", "ana_old"]),
        ("sent=false", ["ana_new"]),
        ("answered=true", ["ana_old"]),
        ("since=2026-02-01", ["ana_new", "raj"]),
        ("until=2026-02-01", ["ana_old"]),
    ],
)
def test_reminder_filters(reminders, api, query, names):
    assert ids(api("admin").get(f"/api/v1/reminders/?{query}")) == [reminders[name].pk for name in names]


@pytest.mark.parametrize("query", ["sent=maybe", "since=soon", "owner=x"])
def test_a_bad_reminder_filter_is_a_400_naming_it(reminders, api, query):
    response = api("admin").get(f"/api/v1/reminders/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


# Workaround runs -------------------------------------------------------------------------------


@pytest.fixture
def runs(estate) -> dict[str, WorkaroundRun]:
    now = timezone.now()
    own = Integration.objects.get(key=OWN_INTEGRATION)
    other = Integration.objects.get(key=OTHER_INTEGRATION)
    return {
        "confirmed": WorkaroundRun.objects.create(
            integration=own,
            due_at=now - dt.timedelta(days=7),
            confirmed_at=now - dt.timedelta(days=7),
            confirmed_by=OWNER_EMAIL,
            confirmed_via="page",
            hours=1.5,
        ),
        "missed": WorkaroundRun.objects.create(integration=other, due_at=now - dt.timedelta(days=3)),
        "due": WorkaroundRun.objects.create(integration=own, due_at=now + dt.timedelta(days=2)),
    }


def test_every_role_reads_the_runs_latest_due_first_with_their_state(runs, api):
    for actor in READERS:
        response = api(actor).get("/api/v1/workaround-runs/")
        assert ids(response) == [runs["due"].pk, runs["missed"].pk, runs["confirmed"].pk], actor
    items = {item["id"]: item for item in api("viewer").get("/api/v1/workaround-runs/").json()["results"]}
    confirmed = items[runs["confirmed"].pk]
    assert (confirmed["state"], confirmed["missed"], confirmed["confirmed_by"], confirmed["hours"]) == (
        "confirmed",
        False,
        OWNER_EMAIL,
        1.5,
    )
    assert (items[runs["missed"].pk]["state"], items[runs["missed"].pk]["missed"]) == ("missed", True)
    assert (items[runs["due"].pk]["state"], items[runs["due"].pk]["integration"]) == ("due", OWN_INTEGRATION)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("state=confirmed", ["confirmed"]),
        ("state=missed", ["missed"]),
        ("state=due", ["due"]),
        (f"integration={OWN_INTEGRATION}", ["due", "confirmed"]),
        ("since=" + "2000-01-01T00:00:00Z", ["due", "missed", "confirmed"]),
    ],
)
def test_workaround_run_filters(runs, api, query, names):
    assert ids(api("viewer").get(f"/api/v1/workaround-runs/?{query}")) == [runs[name].pk for name in names]


def test_a_run_is_missed_from_the_end_of_its_due_day_where_the_integration_keeps_time(estate, api):
    # Due earlier today: not missed yet, wherever the integration keeps its time.
    integration = Integration.objects.get(key=OTHER_INTEGRATION)
    Integration.objects.filter(pk=integration.pk).update(sync_timezone="Pacific/Kiritimati")
    local_midnight = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=14))).replace(hour=0, minute=0, second=0)
    today = WorkaroundRun.objects.create(integration=integration, due_at=local_midnight + dt.timedelta(minutes=1))
    yesterday = WorkaroundRun.objects.create(integration=integration, due_at=local_midnight - dt.timedelta(minutes=1))
    client = api("viewer")
    assert ids(client.get("/api/v1/workaround-runs/?state=due")) == [today.pk]
    assert ids(client.get("/api/v1/workaround-runs/?state=missed")) == [yesterday.pk]


@pytest.mark.parametrize("query", ["state=late", "integration=nope", "since=monday", "who=x"])
def test_a_bad_run_filter_is_a_400_naming_it(runs, api, query):
    response = api("viewer").get(f"/api/v1/workaround-runs/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


# The permission matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize("actor", ACTORS)
def test_reads(edited, reminders, runs, api, actor, url):
    response = api(actor).get(url)
    if actor in READERS:
        assert response.status_code == 200, url
    else:
        assert response.status_code == (401 if actor == "anonymous" else 403), url
        assert "results" not in response.json()


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("actor", ACTORS)
def test_nobody_writes_through_these_endpoints(edited, reminders, runs, api, actor, method, url):
    record = ChangeRecord.objects.order_by("id").first()
    assert record is not None
    target = url.split("?")[0] + ("" if method == "post" else f"{record.pk}/")
    before = (estate_state(), Reminder.objects.count(), WorkaroundRun.objects.count())
    response = getattr(api(actor), method)(target, {"note": "x"}, format="json")
    # Read-only lists: the permission refuses every write before the method is even looked up.
    assert response.status_code == (401 if actor == "anonymous" else 403)
    assert (estate_state(), Reminder.objects.count(), WorkaroundRun.objects.count()) == before


# The schema ------------------------------------------------------------------------------------


def test_schema_documents_the_three_lists_and_the_csv_variant(api):
    schema = api("viewer").get("/api/v1/schema/").json()
    for path in ("/api/v1/changes/", "/api/v1/changes/{id}/", "/api/v1/reminders/", "/api/v1/workaround-runs/"):
        assert "get" in schema["paths"][path], path
    listing = schema["paths"]["/api/v1/changes/"]["get"]
    content = listing["responses"]["200"]["content"]
    assert content["text/csv"]["schema"]["type"] == "string"
    assert "results" in str(content["application/json"]["schema"]) or "$ref" in content["application/json"]["schema"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert {"kind", "key", "user", "via", "action", "since", "until", "page", "page_size"} <= names
    runs = {parameter["name"] for parameter in schema["paths"]["/api/v1/workaround-runs/"]["get"]["parameters"]}
    assert {"integration", "state", "since", "until"} <= runs
