"""`manage.py findings`: fresh evaluation, the JSON contract, table and CSV, and --fail-on."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import StoredFinding, Waiver
from catalog.rules.finding import JSON_KEYS
from tests.catalog.test_rules_support import silence_monitoring
from tests.conftest import EXAMPLE_ESTATE

pytestmark = pytest.mark.django_db

CHARGEBEE = "chargebee-invoices-to-netsuite"
SALESFORCE = "salesforce-customers-to-netsuite"


@pytest.fixture(autouse=True)
def _no_monitoring(monkeypatch):
    silence_monitoring(monkeypatch)


@pytest.fixture
def example_estate():
    call_command("import_specs", str(EXAMPLE_ESTATE))


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("findings", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def findings_json(*args: str) -> list[dict]:
    return json.loads(run("--format", "json", *args))


def by_subject(findings: list[dict]) -> dict[tuple[str, str | None], dict]:
    return {(f["code"], f["subject_key"]): f for f in findings}


def test_example_estate_findings_print_as_one_json_array_of_contract_objects(example_estate):
    findings = findings_json()
    assert isinstance(findings, list) and findings
    assert all(tuple(f) == JSON_KEYS for f in findings)


def test_example_estate_billing_spec_is_incomplete_naming_mappings_and_frequency(example_estate):
    finding = by_subject(findings_json())[("SPEC_INCOMPLETE", CHARGEBEE)]
    assert finding["severity"] == "warning" and finding["subject_type"] == "integration"
    assert "mappings" in finding["message"] and "frequency" in finding["message"]
    assert "error handling" in finding["message"] and "maintenance" in finding["message"]


def test_example_estate_billing_failures_are_silent_and_resync_loses_sequence(example_estate):
    findings = by_subject(findings_json())
    assert "log file" in findings[("SILENT_FAILURES", CHARGEBEE)]["message"]
    assert "invoice and credit-memo" in findings[("RESYNC_LOSES_SEQUENCE", CHARGEBEE)]["message"]


def test_example_estate_salesforce_realtime_claim_is_an_hourly_poll(example_estate):
    finding = by_subject(findings_json())[("REALTIME_CLAIM_MISMATCH", SALESFORCE)]
    assert "polling every 60 minutes" in finding["message"]


def test_example_estate_billing_deferral_is_critical_and_costlier_than_building(example_estate):
    findings = by_subject(findings_json())
    # Deferred since 2026-02-01 with no target date: over 180 days from 2026-07-31 on.
    assert findings[("DEFERRED_PHASE_TWO", CHARGEBEE)]["severity"] == "critical"
    assert "Sam Ortiz" in findings[("DEFERRED_PHASE_TWO", CHARGEBEE)]["message"]
    assert "60 hours estimated" in findings[("WORKAROUND_EXCEEDS_BUILD", CHARGEBEE)]["message"]
    assert ("SINGLE_PERSON_DEPENDENCY", CHARGEBEE) in findings
    assert ("CONNECTOR_MAINTENANCE_UNOWNED", CHARGEBEE) in findings


def test_example_estate_salesforce_spec_is_complete_and_has_a_backup(example_estate):
    findings = by_subject(findings_json())
    assert ("SPEC_INCOMPLETE", SALESFORCE) not in findings
    assert ("SINGLE_PERSON_DEPENDENCY", SALESFORCE) not in findings


def test_json_is_sorted_by_severity_then_code_then_subject(example_estate):
    findings = findings_json()
    rank = {"critical": 0, "warning": 1, "info": 2}
    keys = [(rank[f["severity"]], f["code"], f["subject_type"], f["subject_key"] or "") for f in findings]
    assert keys == sorted(keys)


def test_findings_are_evaluated_fresh_without_stored_findings(example_estate):
    StoredFinding.objects.all().delete()
    assert findings_json()


def test_fail_on_critical_exits_1_when_a_critical_finding_is_raised(example_estate):
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("findings", "--format", "json", "--fail-on", "critical", stdout=out)
    assert raised.value.returncode == 1
    assert "at or above critical" in str(raised.value)
    assert json.loads(out.getvalue())  # printed before failing


def test_fail_on_warning_counts_critical_findings_too(example_estate):
    with pytest.raises(CommandError):
        run("--fail-on", "warning")


def waive_all_but(code: str) -> None:
    today = timezone.localdate()
    for finding in findings_json():
        if finding["code"] != code:
            Waiver.objects.create(
                code=finding["code"],
                subject_type=finding["subject_type"],
                subject_key=finding["subject_key"] or "",
                reason="accepted",
                expires_on=today + dt.timedelta(days=1),
            )


def test_waived_findings_are_not_printed_and_do_not_fail(example_estate):
    waive_all_but("REALTIME_CLAIM_MISMATCH")
    findings = findings_json("--fail-on", "critical")
    assert [f["code"] for f in findings] == ["REALTIME_CLAIM_MISMATCH"]
    with pytest.raises(CommandError):
        run("--fail-on", "warning")


def test_expired_waiver_fails_again(example_estate):
    Waiver.objects.create(
        code="DEFERRED_PHASE_TWO",
        subject_type="integration",
        subject_key=CHARGEBEE,
        reason="accepted",
        expires_on=timezone.localdate(),
    )
    with pytest.raises(CommandError):
        run("--fail-on", "critical")


def test_fail_on_warning_passes_with_only_info_findings(write_spec):
    deferred = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    spec = write_spec(
        "estate.yaml",
        f"""
        apiVersion: plumbline/v1
        kind: Person
        key: ana@example.com
        ---
        apiVersion: plumbline/v1
        kind: Person
        key: raj@example.com
        ---
        apiVersion: plumbline/v1
        kind: System
        key: netsuite
        ---
        apiVersion: plumbline/v1
        kind: System
        key: chargebee
        ---
        apiVersion: plumbline/v1
        kind: Integration
        key: chargebee-to-netsuite
        source: chargebee
        target: netsuite
        data_objects: [invoice]
        lifecycle: planned
        phase: phase-two
        deferred_since: {deferred}
        connector: {{type: ipaas, platform: celigo, maintained_by: ipaas-vendor, compatibility_sla_days: 30}}
        sync: {{trigger: schedule, interval_minutes: 15}}
        error_handling: {{surface: alert, notify: [ana@example.com], resync: replay-in-order}}
        owner: ana@example.com
        backup_owner: raj@example.com
        reviewed_at: {deferred}
        workaround: {{description: weekly upload, performed_by: ana@example.com, hours_per_month: 2}}
        build_estimate_hours: 40
        mappings: [{{source: invoice.id, target: invoice.externalId}}]
        """,
    )
    call_command("import_specs", str(spec))
    assert [(f["code"], f["severity"]) for f in findings_json("--fail-on", "warning")] == [
        ("DEFERRED_PHASE_TWO", "info")
    ]


def test_csv_has_the_contract_columns_and_one_row_per_finding(example_estate):
    rows = list(csv.DictReader(io.StringIO(run("--format", "csv"))))
    assert tuple(rows[0]) == JSON_KEYS
    assert len(rows) == len(findings_json())
    assert rows[0]["code"] == "DEFERRED_PHASE_TWO"


def test_table_shows_each_finding_with_its_remedy_and_a_summary(example_estate):
    table = run()
    assert "DEFERRED_PHASE_TWO" in table and f"integration {CHARGEBEE}" in table
    assert "-> Schedule and staff the build" in table
    assert "finding(s): 1 critical" in table


def test_an_estate_without_findings_says_so():
    assert run() == "No findings.\n"
    assert findings_json() == []
