"""Spec-as-code: an estate split over several files imports, exports, re-imports into an
empty database and exports again to the very same documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from catalog.models import (
    ChangeRecord,
    GoLive,
    Integration,
    Mapping,
    Person,
    PlatformAccount,
    System,
    SystemVersion,
)
from catalog.spec.importer import import_paths
from tests.conftest import EXAMPLE_ESTATE

pytestmark = pytest.mark.django_db

PEOPLE = """
apiVersion: plumbline/v1
kind: Person
key: ana.lopez@example.com
name: Ana Lopez
team: Finance Systems
manager: cfo@example.com
---
apiVersion: plumbline/v1
kind: Person
key: cfo@example.com
name: Morgan Reyes
team: Finance
---
apiVersion: plumbline/v1
kind: Person
key: raj.patel@example.com
name: Raj Patel
active: false
"""

SYSTEMS = """
apiVersion: plumbline/v1
kind: System
key: netsuite
name: NetSuite
category: erp
vendor: Oracle
version: "2026.2"
owner: ana.lopez@example.com
maintenance:
- rrule: FREQ=WEEKLY;BYDAY=SU
  start: '02:00'
  duration_minutes: 120
  timezone: Europe/Berlin
  reason: NetSuite weekly patching
---
apiVersion: plumbline/v1
kind: System
key: chargebee
name: Chargebee
category: billing
vendor: Chargebee
version: "2.0"
---
apiVersion: plumbline/v1
kind: PlatformAccount
key: celigo-prod
platform: celigo
base_url: https://api.integrator.io
account_id: ""
secret_env: PLUMBLINE_CRED_CELIGO_PROD
"""

# Every field of spec-format.md, in a file of its own, referring to the other files.
FULL_INTEGRATION = """
apiVersion: plumbline/v1
kind: Integration
key: chargebee-invoices-to-netsuite
name: Chargebee invoices to NetSuite
description: Posts every Chargebee invoice and credit memo as a NetSuite invoice.
source: chargebee
target: netsuite
direction: one-way
data_objects: [invoice, credit-memo]
sequence_sensitive: true
lifecycle: live
phase: phase-two
connector:
  type: ipaas
  platform: celigo
  maintained_by: ipaas-vendor
  compatibility_sla_days: 30
  api_version: "v59.0"
  api_retirement_date: 2027-06-01
sync:
  trigger: schedule
  interval_minutes: 15
  max_latency_minutes: 5
  vendor_claim: real-time
  min_records_per_run: 1
ordering_key: invoice.createdAt
idempotency_key: invoice.id
error_handling:
  surface: alert
  notify: [ana.lopez@example.com, "#finance-alerts"]
  resync: replay-in-order
owner: ana.lopez@example.com
backup_owner: raj.patel@example.com
documentation: https://wiki.example.com/integrations/chargebee-invoices
reviewed_at: 2026-09-01
deferred_since: 2026-03-01
target_date: 2027-03-31
workaround:
  description: Tuesday manual CSV export from Chargebee, loaded into NetSuite
  performed_by: cfo@example.com
  hours_per_month: 6.5
  every: "0 9 * * 2"
build_estimate_hours: 40
cost:
  licence_per_month: 450.5
  maintenance_hours_per_month: 3
mappings:
  - source: invoice.id
    target: invoice.externalId
    required: true
  - source: invoice.total
    target: invoice.amount
    transform: cents-to-decimal
health:
  kind: celigo
  grace_minutes: 30
  account: celigo-prod
  ref: 5f1e2d3c4b5a69788796a5b4
---
apiVersion: plumbline/v1
kind: GoLive
key: netsuite-go-live-2027
name: NetSuite go-live
date: 2027-01-04
approver: cfo@example.com
integrations: [chargebee-invoices-to-netsuite]
"""


def write_estate(root: Path) -> Path:
    (root / "estate" / "integrations").mkdir(parents=True)
    (root / "estate" / "people.yaml").write_text(PEOPLE)
    (root / "estate" / "systems.yml").write_text(SYSTEMS)
    (root / "estate" / "integrations" / "billing.yaml").write_text(FULL_INTEGRATION)
    return root / "estate"


def read_tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.yaml"))}


def empty_database() -> None:
    for model in (ChangeRecord, GoLive, Mapping, Integration, PlatformAccount, SystemVersion, System):
        model.objects.all().delete()
    Person.objects.update(manager=None)
    Person.objects.all().delete()


def test_export_of_reimported_export_is_identical(tmp_path):
    import_paths([write_estate(tmp_path)])
    call_command("export_specs", str(tmp_path / "first"))
    empty_database()
    assert Integration.objects.count() == 0
    call_command("import_specs", str(tmp_path / "first"))
    call_command("export_specs", str(tmp_path / "second"))
    first, second = read_tree(tmp_path / "first"), read_tree(tmp_path / "second")
    assert sorted(first) == [
        "golives.yaml",
        "integrations/chargebee-invoices-to-netsuite.yaml",
        "people.yaml",
        "platform-accounts.yaml",
        "systems.yaml",
    ]
    assert first == second


def test_exported_integration_keeps_every_field_of_the_format(tmp_path):
    import_paths([write_estate(tmp_path)])
    call_command("export_specs", str(tmp_path / "out"))
    exported = yaml.safe_load((tmp_path / "out" / "integrations" / "chargebee-invoices-to-netsuite.yaml").read_text())
    original = next(doc for doc in yaml.safe_load_all(FULL_INTEGRATION) if doc["kind"] == "Integration")
    assert exported == original
    assert list(exported) == list(original)  # the field order of spec-format.md


def test_example_estate_round_trips(tmp_path):
    call_command("import_specs", str(EXAMPLE_ESTATE))
    call_command("export_specs", str(tmp_path / "a"))
    report = import_paths([tmp_path / "a"])
    assert report.created == [] and report.updated == []
    assert len(report.unchanged) == 10


def test_reimport_of_unchanged_files_writes_no_history(tmp_path):
    estate = write_estate(tmp_path)
    import_paths([estate])
    records = ChangeRecord.objects.count()
    report = import_paths([estate])
    assert (len(report.created), len(report.updated), len(report.unchanged)) == (0, 0, 8)
    assert ChangeRecord.objects.count() == records


def test_dry_run_reports_and_writes_nothing(tmp_path, capsys):
    estate = write_estate(tmp_path)
    call_command("import_specs", str(estate), "--dry-run")
    out = capsys.readouterr().out
    assert "would create integration chargebee-invoices-to-netsuite" in out
    assert "Dry run: 8 would be created, 0 would be updated, 0 unchanged" in out
    assert Integration.objects.count() == 0 and Person.objects.count() == 0
    assert ChangeRecord.objects.count() == 0


def test_upsert_updates_by_key_and_records_before_and_after(tmp_path, write_spec):
    import_paths([write_estate(tmp_path)])
    changed = write_spec(
        "change.yaml",
        FULL_INTEGRATION.replace("interval_minutes: 15", "interval_minutes: 60").split("---")[0],
    )
    report = import_paths([changed])
    assert report.updated == [("Integration", "chargebee-invoices-to-netsuite")]
    integration = Integration.objects.get(key="chargebee-invoices-to-netsuite")
    assert integration.interval_minutes == 60
    assert list(integration.mappings.values_list("source", flat=True)) == ["invoice.id", "invoice.total"]
    record = ChangeRecord.objects.filter(key="chargebee-invoices-to-netsuite", action="update").get()
    assert record.via == "import"
    assert record.before["sync"]["interval_minutes"] == 15
    assert record.after["sync"]["interval_minutes"] == 60


def test_fields_left_out_on_reimport_are_cleared(tmp_path, write_spec):
    import_paths([write_estate(tmp_path)])
    import_paths(
        [
            write_spec(
                "short.yaml",
                """
                apiVersion: plumbline/v1
                kind: Integration
                key: chargebee-invoices-to-netsuite
                source: chargebee
                target: netsuite
                """,
            )
        ]
    )
    integration = Integration.objects.get(key="chargebee-invoices-to-netsuite")
    assert integration.mappings.count() == 0
    assert integration.owner is None and integration.interval_minutes is None
    assert integration.missing_parts == ["mappings", "frequency", "error_handling", "owner", "maintenance"]


def test_references_resolve_against_stored_documents(tmp_path, write_spec):
    import_paths([write_estate(tmp_path)])
    report = import_paths(
        [
            write_spec(
                "later.yaml",
                """
                apiVersion: plumbline/v1
                kind: Integration
                key: netsuite-invoices-to-chargebee
                source: netsuite
                target: chargebee
                owner: cfo@example.com
                """,
            )
        ]
    )
    assert report.created == [("Integration", "netsuite-invoices-to-chargebee")]
    assert Integration.objects.get(key="netsuite-invoices-to-chargebee").source.key == "netsuite"


def test_system_version_history_dates_a_major_change(tmp_path, write_spec):
    import_paths([write_estate(tmp_path)])
    netsuite = System.objects.get(key="netsuite")
    assert netsuite.major_version_changed_at is None
    minor = SYSTEMS.split("---")[0].replace('"2026.2"', '"2026.3"')
    import_paths([write_spec("minor.yaml", minor)])
    netsuite.refresh_from_db()
    assert netsuite.major_version_changed_at is None
    major = SYSTEMS.split("---")[0].replace('"2026.2"', '"2027.1"')
    import_paths([write_spec("major.yaml", major)])
    netsuite.refresh_from_db()
    assert netsuite.major_version_changed_at is not None
    history = list(netsuite.versions.order_by("id").values_list("previous_version", "version", "major_change"))
    assert history == [("", "2026.2", False), ("2026.2", "2026.3", False), ("2026.3", "2027.1", True)]


def test_golive_scope_keeps_the_listed_order(tmp_path, write_spec):
    import_paths([write_estate(tmp_path)])
    import_paths(
        [
            write_spec(
                "more.yaml",
                """
                apiVersion: plumbline/v1
                kind: Integration
                key: a-first-in-keys
                ---
                apiVersion: plumbline/v1
                kind: GoLive
                key: netsuite-go-live-2027
                date: 2027-01-04
                integrations: [chargebee-invoices-to-netsuite, a-first-in-keys]
                """,
            )
        ]
    )
    golive = GoLive.objects.get(key="netsuite-go-live-2027")
    assert [row.integration.key for row in golive.scope.all()] == ["chargebee-invoices-to-netsuite", "a-first-in-keys"]
    assert golive.date == dt.date(2027, 1, 4)
    assert golive.approver is None


def test_people_may_name_a_manager_defined_later_in_the_import(tmp_path):
    import_paths([write_estate(tmp_path)])
    ana = Person.objects.get(email="ana.lopez@example.com")
    assert ana.manager is not None and ana.manager.email == "cfo@example.com"


def test_import_stores_completeness_and_follows_an_owner_leaving(tmp_path, write_spec):
    import_paths([write_estate(tmp_path)])
    integration = Integration.objects.get(key="chargebee-invoices-to-netsuite")
    assert integration.completeness_score == 1.0 and integration.missing_parts == []
    left = PEOPLE.split("---")[0] + "active: false\n"
    import_paths([write_spec("left.yaml", left)])
    integration.refresh_from_db()
    assert integration.missing_parts == ["owner"]


def test_dry_run_lists_what_would_be_left_unchanged(tmp_path, capsys):
    estate = write_estate(tmp_path)
    import_paths([estate])
    call_command("import_specs", str(estate), "--dry-run")
    out = capsys.readouterr().out
    assert "would leave integration chargebee-invoices-to-netsuite unchanged" in out
    assert "Dry run: 0 would be created, 0 would be updated, 8 unchanged" in out


def test_export_names_files_of_deleted_documents_and_prune_deletes_them(tmp_path):
    import io

    call_command("import_specs", str(EXAMPLE_ESTATE))
    out = tmp_path / "specs"
    call_command("export_specs", str(out))
    gone = sorted((out / "integrations").glob("*.yaml"))[0]
    hand_written = out / "integrations" / "notes.yaml"
    hand_written.write_text("# kept: not written by an export\n")
    Integration.objects.get(key=gone.stem).delete()

    said = io.StringIO()
    call_command("export_specs", str(out), stdout=said)
    assert gone.exists()  # without --prune nothing is deleted, but the file is named
    assert "1 files from an earlier export hold documents no longer in the estate" in said.getvalue()
    assert str(gone) in said.getvalue()

    said = io.StringIO()
    call_command("export_specs", str(out), "--prune", stdout=said)
    assert not gone.exists()
    assert hand_written.exists()
    assert f"Deleted 1 files of documents no longer in the estate:\n  {gone}\n" in said.getvalue()
    # What is left imports back with nothing to change.
    hand_written.unlink()
    report = import_paths([out])
    assert report.created == [] and report.updated == []


def test_export_over_an_earlier_longer_export_leaves_only_the_new_text(tmp_path):
    # The exporter writes over files without truncating first (see exporter._write), then cuts
    # them to length: an earlier, longer file must not leave its tail behind.
    import_paths([write_estate(tmp_path)])
    out = tmp_path / "out"
    call_command("export_specs", str(out))
    fresh = read_tree(out)
    people = out / "people.yaml"
    people.write_text(people.read_text() + "# a long tail an earlier export left\n" * 200)
    call_command("export_specs", str(out))
    assert read_tree(out) == fresh
    assert people.stat().st_size == len(fresh["people.yaml"].encode())
