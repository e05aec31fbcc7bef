"""A System document's `maintenance:` list: checked with errors naming file, line, system and entry
field, replaced as a whole by import (windows planned in the app kept), exported back unchanged, and the
same through the API."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from catalog.models import ChangeRecord, System
from catalog.spec.importer import ImportFailed, import_paths, import_sources
from monitoring.models import MaintenanceWindow
from tests.api.conftest import make_user

pytestmark = pytest.mark.django_db

SYSTEM = """\
apiVersion: plumbline/v1
kind: System
key: netsuite
name: NetSuite
category: erp
maintenance:
- rrule: FREQ=WEEKLY;BYDAY=SU
  start: '02:00'
  duration_minutes: 120
  timezone: Europe/Berlin
  reason: NetSuite weekly patching
- rrule: FREQ=MONTHLY;BYDAY=1SA;COUNT=12
  start: '2027-01-02T22:00'
  duration_minutes: 360
  timezone: America/New_York
"""
ENTRIES = yaml.safe_load(SYSTEM)["maintenance"]


def import_text(text: str, name: str = "estate/systems.yaml") -> None:
    import_sources([(name, text)])


def errors_of(text: str) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        import_text(text)
    return [str(error) for error in failed.value.errors]


def test_import_stores_the_windows_as_written():
    import_text(SYSTEM)
    assert System.objects.get(key="netsuite").maintenance == ENTRIES


def test_export_writes_the_windows_back_and_reimport_changes_nothing(tmp_path):
    import_text(SYSTEM)
    call_command("export_specs", str(tmp_path / "out"))
    exported = yaml.safe_load((tmp_path / "out" / "systems.yaml").read_text())
    assert exported == yaml.safe_load(SYSTEM)
    records = ChangeRecord.objects.count()
    report = import_paths([tmp_path / "out"])
    assert (report.created, report.updated) == ([], [])
    assert ChangeRecord.objects.count() == records


def test_reimport_replaces_the_spec_windows_and_keeps_those_planned_in_the_app():
    import_text(SYSTEM)
    planned = MaintenanceWindow.objects.create(
        system=System.objects.get(key="netsuite"),
        starts_at=dt.datetime(2027, 3, 1, 1, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 1, 3, 0, tzinfo=dt.UTC),
        reason="NetSuite 2027.1 upgrade",
    )
    import_text(SYSTEM.split("maintenance:")[0])  # the list left out
    assert System.objects.get(key="netsuite").maintenance == []
    assert list(MaintenanceWindow.objects.all()) == [planned]
    record = ChangeRecord.objects.filter(kind="System", action="update").get()
    assert len(record.before["maintenance"]) == 2 and "maintenance" not in record.after


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            ("FREQ=WEEKLY;BYDAY=SU", "FREQ=MINUTELY"),
            "estate/systems.yaml:7: system netsuite: maintenance[0].rrule: FREQ=MINUTELY is not allowed: "
            "a maintenance window repeats at most daily",
        ),
        (
            ("start: '02:00'", "start: '2:00'"),
            'estate/systems.yaml:8: system netsuite: maintenance[0].start: must be a local time "HH:MM"',
        ),
        (
            ("timezone: America/New_York", "timezone: Mars/Olympus"),
            "estate/systems.yaml:15: system netsuite: maintenance[1].timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            ("duration_minutes: 360", "duration_minutes: 0"),
            "estate/systems.yaml:14: system netsuite: maintenance[1].duration_minutes: must be",
        ),
        (
            ("duration_minutes: 360", "duration_minutes: 20200"),
            "estate/systems.yaml:14: system netsuite: maintenance[1].duration_minutes: duration must be 1 minute",
        ),
        (
            ("start: '2027-01-02T22:00'", "start: '22:00'"),
            "estate/systems.yaml:13: system netsuite: maintenance[1].start: COUNT needs a start with a date",
        ),
        (
            ("  reason: NetSuite weekly patching", "  every: week"),
            "estate/systems.yaml:11: system netsuite: maintenance[0].every: unknown field",
        ),
        (
            ("  timezone: Europe/Berlin\n", ""),
            "estate/systems.yaml:7: system netsuite: maintenance[0].timezone: is required",
        ),
    ],
)
def test_a_bad_entry_is_refused_naming_file_line_system_and_field_and_nothing_is_written(change, error):
    found = errors_of(SYSTEM.replace(*change))
    assert len(found) == 1 and found[0].startswith(error), found
    assert not System.objects.exists()


def test_a_maintenance_that_is_not_a_list_is_refused():
    found = errors_of(SYSTEM.split("maintenance:")[0] + "maintenance: every sunday\n")
    assert found == [
        "estate/systems.yaml:6: system netsuite: maintenance: must be a list of windows "
        "(rrule, start, duration_minutes, timezone, reason)"
    ]


def admin_api() -> APIClient:
    client = APIClient()
    client.force_login(make_user("admin@example.com", "admin"))
    return client


def test_the_api_reads_and_writes_the_windows_and_answers_400_naming_a_bad_field():
    import_text(SYSTEM)
    client = admin_api()
    body = client.get("/api/v1/systems/netsuite/").json()
    assert body["maintenance"] == ENTRIES
    bad = [{**ENTRIES[0], "rrule": "FREQ=SECONDLY"}]
    response = client.patch("/api/v1/systems/netsuite/", {"maintenance": bad}, format="json")
    assert response.status_code == 400
    assert "FREQ=SECONDLY is not allowed" in response.json()["maintenance[0].rrule"][0]
    assert System.objects.get(key="netsuite").maintenance == ENTRIES
    response = client.patch("/api/v1/systems/netsuite/", {"maintenance": ENTRIES[:1]}, format="json")
    assert response.status_code == 200, response.content
    assert System.objects.get(key="netsuite").maintenance == ENTRIES[:1]
