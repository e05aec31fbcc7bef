"""Stored findings: refreshed after imports and nightly, first_seen_at kept, resolved ones deleted,
waivers shown as waived and not counted until they expire."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import tasks
from catalog.models import Integration, StoredFinding, Waiver
from catalog.rules import evaluate_estate
from catalog.rules.store import active_waivers, refresh_findings, split_waived, with_waivers
from tests.catalog.test_rules_support import make_estate, silence_monitoring
from tests.conftest import EXAMPLE_ESTATE

pytestmark = pytest.mark.django_db

CHARGEBEE = "chargebee-invoices-to-netsuite"


@pytest.fixture(autouse=True)
def _no_monitoring(monkeypatch):
    silence_monitoring(monkeypatch)


@pytest.fixture
def estate(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_specs", str(EXAMPLE_ESTATE))


def stored(code: str, key: str = CHARGEBEE) -> StoredFinding:
    return StoredFinding.objects.get(code=code, subject_type="integration", subject_key=key)


def test_a_committed_import_refreshes_the_stored_findings(estate):
    row = stored("SILENT_FAILURES")
    assert row.severity == "warning"
    assert row.owner is not None and row.owner.email == "sam.ortiz@example.com"
    assert StoredFinding.objects.filter(code="REALTIME_CLAIM_MISMATCH").count() == 1


def test_refresh_keeps_first_seen_at_of_a_finding_still_raised(estate):
    first = stored("SILENT_FAILURES").first_seen_at
    later = timezone.now() + dt.timedelta(days=3)
    refresh_findings(now=later)
    row = stored("SILENT_FAILURES")
    assert row.first_seen_at == first
    assert row.last_seen_at == later


def test_refresh_updates_a_finding_whose_message_changed(estate):
    refresh_findings(now=timezone.now() + dt.timedelta(days=3))
    row = stored("DEFERRED_PHASE_TWO")
    days = (timezone.localdate() + dt.timedelta(days=3) - dt.date(2026, 2, 1)).days
    assert f"{days} days ago" in row.message


def test_refresh_deletes_a_resolved_finding(estate):
    Integration.objects.filter(key=CHARGEBEE).update(error_surface="alert")
    report = refresh_findings()
    assert not StoredFinding.objects.filter(code="SILENT_FAILURES").exists()
    assert report.resolved == 1 and report.created == 0


def test_refresh_stores_estate_findings_with_an_empty_subject_key():
    for n in range(7):
        Integration.objects.create(key=f"script-{n}", lifecycle="live", connector_type="custom-api")
    refresh_findings()
    row = StoredFinding.objects.get(code="POINT_TO_POINT_SPRAWL")
    assert (row.subject_type, row.subject_key, row.owner) == ("estate", "", None)


def test_the_nightly_task_refreshes_the_findings(estate):
    StoredFinding.objects.all().delete()
    result = tasks.refresh_findings()
    assert result["created"] == StoredFinding.objects.count() > 0


def test_refreshing_an_unchanged_estate_takes_the_same_queries_for_5_and_50_integrations():
    def steady_queries(size: int) -> int:
        make_estate(size, prefix=f"s{size}")
        refresh_findings()
        with CaptureQueriesContext(connection) as captured:
            report = refresh_findings()
        assert report.created == report.updated == report.resolved == 0
        return len(captured)

    small = steady_queries(5)
    Integration.objects.all().delete()
    assert steady_queries(50) == small


def waive(code: str, key: str, expires_on: dt.date, subject_type: str = "integration") -> Waiver:
    return Waiver.objects.create(
        code=code,
        subject_type=subject_type,
        subject_key=key,
        reason="Accepted until the Q1 rebuild",
        expires_on=expires_on,
    )


def test_a_waived_stored_finding_shows_as_waived_with_its_reason(estate):
    today = timezone.localdate()
    waive("SILENT_FAILURES", CHARGEBEE, today + dt.timedelta(days=30))
    rows = {r.code: r for r in with_waivers(StoredFinding.objects.all(), today)}
    assert rows["SILENT_FAILURES"].waived and rows["SILENT_FAILURES"].waiver_reason == "Accepted until the Q1 rebuild"
    assert not rows["STALE_SPEC"].waived


def test_a_waiver_counts_again_from_its_expiry_day(estate):
    today = timezone.localdate()
    waive("SILENT_FAILURES", CHARGEBEE, today)
    row = with_waivers(StoredFinding.objects.filter(code="SILENT_FAILURES"), today).get()
    assert not row.waived
    assert active_waivers(today) == {}
    assert with_waivers(StoredFinding.objects.filter(code="SILENT_FAILURES"), today - dt.timedelta(days=1)).get().waived


def test_a_waiver_for_another_subject_waives_nothing(estate):
    today = timezone.localdate()
    waive("SILENT_FAILURES", "salesforce-customers-to-netsuite", today + dt.timedelta(days=1))
    counted, waived = split_waived(evaluate_estate(), active_waivers(today))
    assert waived == [] and any(f.code == "SILENT_FAILURES" for f in counted)
