"""/findings/ and /phase-two/: login, grouping, filters (unknown ones are a 400), CSV of exactly the
filtered rows, waived findings, escaping, and query counts that do not grow with the rows."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Integration, Person, StoredFinding, Waiver
from catalog.rules.store import refresh_findings
from tests.catalog.test_rules_support import make_estate, silence_monitoring
from tests.conftest import EXAMPLE_ESTATE

pytestmark = pytest.mark.django_db

CHARGEBEE = "chargebee-invoices-to-netsuite"


@pytest.fixture(autouse=True)
def _no_monitoring(monkeypatch):
    silence_monitoring(monkeypatch)


@pytest.fixture
def estate():
    call_command("import_specs", str(EXAMPLE_ESTATE))
    refresh_findings()


def page(client, query: str = "", path: str = "/findings/"):
    return client.get(f"{path}?{query}" if query else path)


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("path", ["/findings/", "/phase-two/"])
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_findings_page_groups_by_severity_most_severe_first_by_default(viewer, estate):
    response = page(viewer)
    assert response.status_code == 200
    body = response.content.decode()
    assert "SILENT_FAILURES" in body and "REALTIME_CLAIM_MISMATCH" in body
    assert [g["key"] for g in response.context["groups"]] == ["critical", "warning"]


def test_findings_page_groups_by_code_with_the_most_severe_code_first(viewer, estate):
    response = page(viewer, "group=code")
    codes = [g["key"] for g in response.context["groups"]]
    assert codes[0] == "DEFERRED_PHASE_TWO"  # the one critical finding
    assert len(codes) == len(set(codes)) == StoredFinding.objects.values("code").distinct().count()


def test_findings_page_groups_by_owner_with_the_most_severe_owner_first(viewer, estate):
    response = page(viewer, "group=owner")
    owners = [g["key"] for g in response.context["groups"]]
    assert owners == ["sam.ortiz@example.com", "ana.lopez@example.com"]  # Sam's include the critical one


def test_findings_page_groups_by_severity_most_severe_first(viewer, estate):
    response = page(viewer, "group=severity")
    assert [g["key"] for g in response.context["groups"]] == ["critical", "warning"]


def shown(response) -> set[tuple[str, str]]:
    return {(row.finding.code, row.finding.subject_key) for g in response.context["groups"] for row in g["rows"]}


def test_findings_filter_by_code(viewer, estate):
    assert shown(page(viewer, "code=SILENT_FAILURES")) == {("SILENT_FAILURES", CHARGEBEE)}


def test_findings_filter_by_severity(viewer, estate):
    assert shown(page(viewer, "severity=critical")) == {("DEFERRED_PHASE_TWO", CHARGEBEE)}


def test_findings_filter_by_owner(viewer, estate):
    assert shown(page(viewer, "owner=ana.lopez@example.com")) == {
        ("REALTIME_CLAIM_MISMATCH", "salesforce-customers-to-netsuite")
    }


def test_findings_filter_by_subject(viewer, estate):
    assert {key for _, key in shown(page(viewer, "subject=salesforce"))} == {"salesforce-customers-to-netsuite"}


def test_submitting_the_form_with_every_filter_on_any_shows_everything(viewer, estate):
    response = page(viewer, "code=&severity=&owner=&subject_type=&subject=&waived=&group=code")
    assert response.status_code == 200
    assert len(shown(response)) == StoredFinding.objects.count()


def test_unknown_filter_parameter_is_a_400_naming_it(viewer, estate):
    response = page(viewer, "colour=red")
    assert response.status_code == 400
    assert "colour=&#x27;red&#x27;: unknown filter (known: code," in response.content.decode()


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("severity=urgent", "severity="),
        ("code=NOT_A_CODE", "code="),
        ("owner=nobody@example.com", "owner="),
        ("group=colour", "group="),
        ("format=xml", "format="),
        ("page=0", "page="),
        ("waived=maybe", "waived="),
    ],
)
def test_bad_filter_value_is_a_400_naming_the_parameter(viewer, estate, query, named):
    response = page(viewer, query)
    assert response.status_code == 400
    assert named in response.content.decode()


def test_csv_export_holds_exactly_the_filtered_rows(viewer, estate):
    response = page(viewer, "severity=warning&subject=chargebee&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    expected = StoredFinding.objects.filter(severity="warning", subject_key__icontains="chargebee")
    assert sorted(r["code"] for r in rows) == sorted(expected.values_list("code", flat=True))
    assert {r["subject_key"] for r in rows} == {CHARGEBEE}
    assert rows[0]["owner"] == "sam.ortiz@example.com" and rows[0]["waived"] == "no"


def waive_silent_failures(expires_on: dt.date) -> None:
    Waiver.objects.create(
        code="SILENT_FAILURES",
        subject_type="integration",
        subject_key=CHARGEBEE,
        reason="Logs are read daily until the rebuild",
        expires_on=expires_on,
    )


def test_waived_finding_is_shown_as_waived_and_not_counted(viewer, estate):
    before = page(viewer).context["totals"]
    waive_silent_failures(timezone.localdate() + dt.timedelta(days=30))
    response = page(viewer)
    totals = response.context["totals"]
    assert totals["warning"] == before["warning"] - 1 and totals["waived"] == 1
    assert "Logs are read daily until the rebuild" in response.content.decode()
    assert shown(page(viewer, "waived=yes")) == {("SILENT_FAILURES", CHARGEBEE)}
    assert ("SILENT_FAILURES", CHARGEBEE) not in shown(page(viewer, "waived=no"))


def test_expired_waiver_counts_again(viewer, estate):
    before = page(viewer).context["totals"]
    waive_silent_failures(timezone.localdate())
    assert page(viewer).context["totals"] == before


def test_findings_page_escapes_what_specs_say(viewer, estate):
    Integration.objects.filter(key=CHARGEBEE).update(workaround_description="<script>alert(1)</script>")
    refresh_findings()
    for body in (page(viewer).content.decode(), page(viewer, path="/phase-two/").content.decode()):
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/findings/",
        "/findings/?group=owner&severity=warning&owner=a-p1@example.com",
        "/findings/?format=csv",
        "/phase-two/",
        "/phase-two/?format=csv",
    ],
)
def test_page_queries_do_not_grow_with_the_rows(viewer, path):
    make_estate(5, prefix="a")
    refresh_findings()
    small = queries(viewer, path)
    make_estate(45, prefix="b")
    refresh_findings()
    assert StoredFinding.objects.count() > 100
    assert queries(viewer, path) == small


def test_phase_two_register_sorts_by_workaround_hours_to_date(viewer):
    ana = Person.objects.create(email="ana@example.com", name="Ana Lopez")
    today = timezone.localdate()
    for key, days, hours in [("cheap", 400, 1), ("costly", 100, 20), ("unknown", 50, None)]:
        Integration.objects.create(
            key=key,
            lifecycle="planned",
            phase="phase-two",
            deferred_since=today - dt.timedelta(days=days),
            workaround_performed_by=ana,
            workaround_hours_per_month=hours,
            build_estimate_hours=40,
            target_date=today - dt.timedelta(days=1),
        )
    Integration.objects.create(key="gone", lifecycle="retired", phase="phase-two", workaround_hours_per_month=99)
    Integration.objects.create(key="done", lifecycle="live", phase="go-live")
    response = page(viewer, path="/phase-two/")
    assert response.status_code == 200
    items = response.context["items"]
    assert [i.integration.key for i in items] == ["costly", "cheap", "unknown"]
    costly = items[0]
    assert costly.age_days == 100 and costly.hours_to_date == pytest.approx(20 * 100 / (365.25 / 12))
    assert costly.exceeds_build and costly.target_passed and costly.severity == "critical"
    body = response.content.decode()
    assert "Ana Lopez" in body and "passed" in body and "workaround exceeds build" in body


def test_phase_two_register_exports_csv(viewer, estate):
    rows = csv_rows(page(viewer, "format=csv", path="/phase-two/"))
    assert [(r["integration"], r["deferred_since"], r["workaround_by"]) for r in rows] == [
        (CHARGEBEE, "2026-02-01", "sam.ortiz@example.com")
    ]


def test_phase_two_register_rejects_unknown_parameters(viewer):
    response = page(viewer, "sort=age", path="/phase-two/")
    assert response.status_code == 400 and "sort" in response.content.decode()
