"""/audit/: admins download the change log and the sign-offs of a period as CSV, told first how
many rows each file holds; everyone else is refused as on every admin page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import (
    Attestation,
    ChangeRecord,
    GoLive,
    Integration,
    ReviewSignOff,
    SignOff,
    Waiver,
    WorkaroundRun,
)
from catalog.reminders.review import CONFIRM_NOTE, confirm_review
from catalog.spec.importer import import_sources
from tests.pages.test_methods import GOLIVE, OWNED  # the go-live of the sample estate and its integration

pytestmark = pytest.mark.django_db

INSIDE = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
OUTSIDE = dt.datetime(2026, 5, 10, 12, tzinfo=dt.UTC)
PERIOD = "since=2026-03-01&until=2026-03-31"
DOWNLOADS = ("/audit/changes.csv", "/audit/signoffs.csv")


def rows_of(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def sign_everything(at: dt.datetime, users: dict[str, Any], tag: str, reviewed: dt.date | None = None) -> None:
    """One record of each kind the signoffs file holds, all at `at` (the spec reviewed on `reviewed`,
    by default that day: one confirmation a day is recorded)."""
    golive = GoLive.objects.get(key="netsuite-go-live")
    integration = Integration.objects.get(key=OWNED)
    admin = users["admin"]
    SignOff.objects.create(
        golive=golive,
        signed_by=admin,
        signed_by_email=admin.email,
        signed_at=at,
        readiness_percent=80,
        blockers=["no failure simulation"],
        override_reason=f"=go anyway {tag}",
    )
    Attestation.objects.create(
        golive=golive,
        integration=integration,
        item="failure-simulation",
        performed_by="Ana",
        performed_on=at.date(),
        evidence_url="https://wiki.example.com/evidence",
        recorded_by=admin,
        recorded_by_email=admin.email,
        recorded_at=at,
    )
    ReviewSignOff.objects.create(
        golive=golive,
        signed_by=admin,
        signed_by_email=admin.email,
        signed_at=at,
        notes=f"fine {tag}",
        figures={"failures": 2},
    )
    waiver = Waiver.objects.create(
        code="SINGLE_PERSON_DEPENDENCY",
        subject_type="integration",
        subject_key=OWNED,
        reason=f"accepted {tag}",
        expires_on=dt.date(2027, 1, 1),
        created_by=admin,
    )
    Waiver.objects.filter(pk=waiver.pk).update(created_at=at)  # auto_now_add
    WorkaroundRun.objects.create(
        integration=integration,
        due_at=at - dt.timedelta(hours=3),
        confirmed_at=at,
        confirmed_by="ana.lopez@example.com",
        confirmed_via="page",
        hours=2,
        note=f"done {tag}",
    )
    record = confirm_review(integration, users["owner"], today=reviewed or at.date())
    assert record is not None
    ChangeRecord.objects.filter(pk=record.pk).update(at=at)


@pytest.fixture
def trail(estate, users) -> None:
    """The estate imported before the period, an edit inside it and one after it, and a full set of
    sign-offs inside and outside the period."""
    import_sources([("golive.yaml", textwrap.dedent(GOLIVE))])
    ChangeRecord.objects.update(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    sign_everything(INSIDE, users, "inside")
    sign_everything(OUTSIDE, users, "outside")
    ChangeRecord.objects.create(
        at=INSIDE + dt.timedelta(hours=1),
        actor=users["admin"],
        via="page",
        kind="System",
        key="netsuite",
        action="update",
        before={"key": "netsuite", "name": "NetSuite", "category": "erp"},
        after={"key": "netsuite", "name": "@NetSuite", "category": "finance"},
        note="renamed",
    )


def test_changes_csv_holds_the_periods_changes_one_row_per_field_as_the_api(trail, client_for):
    admin = client_for("admin")
    rows = rows_of(admin.get(f"/audit/changes.csv?{PERIOD}"))
    assert [(r["kind"], r["key"], r["field"], r["before"], r["after"], r["note"]) for r in rows] == [
        ("System", "netsuite", "name", "NetSuite", "'@NetSuite", "renamed"),
        ("System", "netsuite", "category", "erp", "finance", "renamed"),
        ("Integration", OWNED, "reviewed_at", rows[2]["before"], "2026-03-10", CONFIRM_NOTE),
    ]
    assert rows[0]["user"] == "admin@example.com"
    assert rows[0]["at"] == (INSIDE + dt.timedelta(hours=1)).isoformat()
    # The same bytes as the API's CSV for the same period.
    zone = timezone.get_current_timezone()
    since = dt.datetime(2026, 3, 1, tzinfo=zone).isoformat()
    until = dt.datetime(2026, 4, 1, tzinfo=zone).isoformat()
    api = admin.get("/api/v1/changes/", {"format": "csv", "since": since, "until": until})
    assert rows_of(api) == rows


def test_signoffs_csv_holds_every_kind_of_signoff_in_the_period_newest_first(trail, client_for):
    rows = rows_of(client_for("admin").get(f"/audit/signoffs.csv?{PERIOD}"))
    assert sorted(r["record"] for r in rows) == [
        "attestation",
        "finding waiver",
        "go-live sign-off",
        "post-go-live review sign-off",
        "still accurate review",
        "workaround run confirmation",
    ]
    assert all("outside" not in r["notes"] for r in rows)
    by_record = {r["record"]: r for r in rows}
    signoff = by_record["go-live sign-off"]
    assert (signoff["by"], signoff["kind"], signoff["key"]) == ("admin@example.com", "GoLive", "netsuite-go-live")
    assert signoff["decision"] == "signed off at 80% ready despite blockers: no failure simulation"
    assert signoff["notes"] == "'=go anyway inside"  # neutralised: a spreadsheet shows it, never runs it
    assert by_record["finding waiver"]["decision"] == "waived SINGLE_PERSON_DEPENDENCY until 2027-01-01"
    assert (by_record["finding waiver"]["kind"], by_record["finding waiver"]["key"]) == ("Integration", OWNED)
    run = by_record["workaround run confirmation"]
    assert (run["by"], run["notes"]) == ("ana.lopez@example.com", "done inside")
    assert "via the integration page, 2 h" in run["decision"]
    review = by_record["still accurate review"]
    assert (review["by"], review["decision"], review["after"]) == ("ana.lopez@example.com", CONFIRM_NOTE, "2026-03-10")
    assert by_record["attestation"]["decision"].startswith(f"Failure simulation done for {OWNED}: done by Ana")
    assert [r["at"] for r in rows] == sorted((r["at"] for r in rows), reverse=True)


def test_the_kind_narrows_both_files(trail, client_for):
    admin = client_for("admin")
    signoffs = rows_of(admin.get(f"/audit/signoffs.csv?{PERIOD}&kind=GoLive"))
    assert sorted(r["record"] for r in signoffs) == ["attestation", "go-live sign-off", "post-go-live review sign-off"]
    changes = rows_of(admin.get(f"/audit/changes.csv?{PERIOD}&kind=System"))
    assert {r["key"] for r in changes} == {"netsuite"}


def test_the_page_says_what_each_file_holds_and_how_many_rows(trail, client_for):
    response = client_for("admin").get(f"/audit/?{PERIOD}")
    assert response.status_code == 200
    assert (response.context["change_count"], response.context["change_rows"]) == (2, 3)
    assert response.context["signoff_rows"] == 6
    page = response.content.decode()
    assert "2026-03-01 to 2026-03-31" in page
    assert f'href="/audit/changes.csv?{PERIOD.replace("&", "&amp;")}"' in page
    assert f'href="/audit/signoffs.csv?{PERIOD.replace("&", "&amp;")}"' in page
    assert "1 go-live sign-off" in page


def test_the_page_opens_on_the_last_90_days(trail, client_for):
    response = client_for("admin").get("/audit/")
    today = timezone.localdate()
    assert (response.context["since"], response.context["until"]) == (today - dt.timedelta(days=90), today)


@pytest.mark.parametrize(
    ("query", "named"),
    [("since=2026-04-01&until=2026-03-01", "until"), ("since=March", "since"), ("kind=Nothing", "kind"), ("x=1", "x")],
)
def test_a_bad_period_or_parameter_is_a_400_naming_it(trail, client_for, query, named):
    admin = client_for("admin")
    page = admin.get(f"/audit/?{query}")
    assert page.status_code == 400
    assert "change_count" not in page.context
    for url in DOWNLOADS:
        refused = admin.get(f"{url}?{query}")
        assert refused.status_code == 400
        assert named in refused.content.decode()


@pytest.mark.parametrize("url", ["/audit/", *DOWNLOADS])
@pytest.mark.parametrize("who", ["viewer", "owner", "no_role"])
def test_only_admins_open_the_audit_trail(trail, client_for, who, url):
    response = client_for(who).get(url)
    assert response.status_code == 403
    assert "You may not do that" in response.content.decode()


@pytest.mark.parametrize("url", ["/audit/", *DOWNLOADS])
def test_anonymous_is_sent_to_the_login_page(trail, client_for, url):
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_the_audit_page_takes_no_post(trail, client_for):
    assert client_for("admin").post("/audit/").status_code == 405


def test_admins_find_it_in_the_navigation_and_others_do_not(trail, client_for):
    assert 'href="/audit/"' in client_for("admin").get("/").content.decode()
    assert 'href="/audit/"' not in client_for("owner").get("/").content.decode()


def queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/audit/", *DOWNLOADS])
def test_query_count_does_not_grow_with_the_trail(trail, client_for, users, url):
    admin = client_for("admin")
    queries(admin, f"{url}?{PERIOD}")  # the session's first read is not what is measured
    small = queries(admin, f"{url}?{PERIOD}")
    for i in range(20):
        sign_everything(
            INSIDE + dt.timedelta(minutes=i + 1), users, f"more {i}", INSIDE.date() - dt.timedelta(days=i + 1)
        )
    large = queries(admin, f"{url}?{PERIOD}")
    assert large == small
    assert len(rows_of(admin.get(f"/audit/signoffs.csv?{PERIOD}"))) == 6 * 21
