"""Schedules, calendars and freezes in spec files: import checks them naming file, line, document
and field, export writes them back, and a re-import changes nothing."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

from catalog.completeness import assess
from catalog.models import Calendar, Integration, System
from catalog.spec.importer import ImportFailed, import_paths

pytestmark = pytest.mark.django_db
WEEK = "mon, tue, wed, thu, fri, sat, sun"

ESTATE = """
apiVersion: plumbline/v1
kind: Person
key: ana.lopez@example.com
name: Ana Lopez
---
apiVersion: plumbline/v1
kind: Calendar
key: finance-de
name: Finance Germany
timezone: Europe/Berlin
working_days: [mon, tue, wed, thu, fri]
holidays: [2026-12-25, 2027-01-01]
---
apiVersion: plumbline/v1
kind: System
key: netsuite
name: NetSuite
freeze:
- last_business_days: 2
  first_business_days: 3
  calendar: finance-de
  reason: month-end close
---
apiVersion: plumbline/v1
kind: System
key: chargebee
name: Chargebee
---
apiVersion: plumbline/v1
kind: Integration
key: chargebee-invoices-to-netsuite
name: Chargebee invoices to NetSuite
source: chargebee
target: netsuite
sync:
  trigger: schedule
  schedule: 0 6 * * 1-5
  timezone: Europe/Berlin
  calendar: finance-de
freeze:
- from: 2027-01-01
  to: 2027-01-04
  reason: year-end
owner: ana.lopez@example.com
health:
  kind: heartbeat
  grace_minutes: 30
"""


def integration_doc(**sync: object) -> str:
    """The integration document of ESTATE with its sync block replaced."""
    head, _, _ = ESTATE.rpartition("apiVersion: plumbline/v1\nkind: Integration")
    block = yaml.safe_dump({"sync": {"trigger": "schedule", **sync}}, sort_keys=False)
    return head + (
        "apiVersion: plumbline/v1\nkind: Integration\nkey: chargebee-invoices-to-netsuite\n"
        "source: chargebee\ntarget: netsuite\n" + block
    )


def line_of(text: str, needle: str) -> int:
    """The 1-based line holding `needle` of the file write_spec writes (without the leading newline)."""
    return next(n for n, line in enumerate(text.lstrip("\n").splitlines(), 1) if needle in line)


def import_errors(write_spec, text: str) -> list[str]:
    path = write_spec("estate/billing.yaml", text)
    with pytest.raises(ImportFailed) as caught:
        import_paths([path])
    assert not Integration.objects.exists() and not Calendar.objects.exists()
    return [str(error).removeprefix(f"{path}:") for error in caught.value.errors]


def test_all_the_new_fields_are_stored(write_spec):
    import_paths([write_spec("estate.yaml", ESTATE)])
    integration = Integration.objects.get()
    assert (integration.sync_schedule, integration.sync_timezone) == ("0 6 * * 1-5", "Europe/Berlin")
    assert integration.sync_calendar.key == "finance-de"
    assert integration.freeze == [{"from": "2027-01-01", "to": "2027-01-04", "reason": "year-end"}]
    calendar = Calendar.objects.get()
    assert calendar.holidays == ["2026-12-25", "2027-01-01"]
    assert calendar.working_days == ["mon", "tue", "wed", "thu", "fri"]
    assert System.objects.get(key="netsuite").freeze == [
        {"first_business_days": 3, "last_business_days": 2, "calendar": "finance-de", "reason": "month-end close"}
    ]


def test_export_then_import_changes_nothing(write_spec, tmp_path):
    import_paths([write_spec("estate.yaml", ESTATE)])
    call_command("export_specs", str(tmp_path / "out"))
    report = import_paths([tmp_path / "out"])
    assert report.created == [] and report.updated == []
    exported = yaml.safe_load((tmp_path / "out" / "integrations" / "chargebee-invoices-to-netsuite.yaml").read_text())
    assert exported["sync"] == {
        "trigger": "schedule",
        "schedule": "0 6 * * 1-5",
        "timezone": "Europe/Berlin",
        "calendar": "finance-de",
    }
    assert exported["freeze"] == [{"from": "2027-01-01", "to": "2027-01-04", "reason": "year-end"}]
    assert list(exported)[list(exported).index("sync") + 1] == "freeze"  # where spec-format.md writes it
    calendars = yaml.safe_load((tmp_path / "out" / "calendars.yaml").read_text())
    assert calendars["holidays"] == ["2026-12-25", "2027-01-01"]
    assert calendars["timezone"] == "Europe/Berlin"


def test_a_schedule_meets_the_frequency_part_without_an_interval(write_spec):
    import_paths([write_spec("estate.yaml", ESTATE)])
    assert "frequency" not in assess(Integration.objects.get(), has_complete_mapping=False).missing


def test_a_bad_cron_expression_names_its_field(write_spec):
    text = integration_doc(schedule="0 25 * * *")
    errors = import_errors(write_spec, text)
    assert len(errors) == 1
    line, subject, field, message = errors[0].split(": ", 3)
    assert (subject, field) == ("integration chargebee-invoices-to-netsuite", "sync.schedule")
    assert message.startswith("is not a valid cron expression")
    assert int(line) == line_of(text, "schedule: 0 25")


def test_a_cron_expression_needs_five_fields(write_spec):
    (error,) = import_errors(write_spec, integration_doc(schedule="0 0 6 * * 1-5"))
    assert error.endswith(
        "sync.schedule: must be a cron expression of 5 fields (minute hour day-of-month month day-of-week), got 6"
    )


def test_an_unknown_time_zone_names_its_field(write_spec):
    (error,) = import_errors(write_spec, integration_doc(schedule="0 6 * * *", timezone="Europe/Berlín"))
    assert error.endswith(
        "integration chargebee-invoices-to-netsuite: sync.timezone: unknown time zone 'Europe/Berlín'; "
        "use an IANA name such as Europe/Berlin or UTC"
    )


def test_an_unknown_calendar_names_its_field(write_spec):
    (error,) = import_errors(write_spec, integration_doc(schedule="0 6 * * *", calendar="finance-fr"))
    assert error.endswith("integration chargebee-invoices-to-netsuite: sync.calendar: unknown calendar 'finance-fr'")


def test_an_unknown_calendar_in_a_freeze_names_the_period(write_spec):
    text = ESTATE.replace("  calendar: finance-de\n  reason: month-end", "  calendar: close-cal\n  reason: month-end")
    (error,) = import_errors(write_spec, text)
    line = line_of(text, "calendar: close-cal")
    assert error == f"{line}: system netsuite: freeze[0].calendar: unknown calendar 'close-cal'"


def test_a_freeze_ending_before_it_starts_names_its_to(write_spec):
    text = ESTATE.replace("  to: 2027-01-04", "  to: 2026-12-31")
    (error,) = import_errors(write_spec, text)
    line = line_of(text, "to: 2026-12-31")
    assert error == (
        f"{line}: integration chargebee-invoices-to-netsuite: freeze[0].to: must not be before from (2027-01-01)"
    )


def test_a_freeze_with_dates_and_business_days_is_refused(write_spec):
    (error,) = import_errors(write_spec, ESTATE.replace("  reason: year-end", "  last_business_days: 2"))
    assert error.endswith("freeze[0].last_business_days: give from/to or business days, not both")


def test_a_calendar_with_an_unknown_weekday_names_it(write_spec):
    text = ESTATE.replace("[mon, tue, wed, thu, fri]", "[mon, tue, wed, thu, fry]")
    errors = import_errors(write_spec, text)
    line = line_of(text, "working_days")
    assert f"{line}: calendar finance-de: working_days: item 5 ('fry') must be one of {WEEK}" in errors


def test_a_calendar_holiday_that_is_no_date_names_it(write_spec):
    text = ESTATE.replace("2027-01-01]", "2027-02-30]")
    errors = import_errors(write_spec, text)
    line = line_of(text, "holidays")
    message = "must be a date (YYYY-MM-DD); 2027-02-30 is not a day of the calendar"
    assert f"{line}: calendar finance-de: holidays[1]: {message}" in errors


def test_a_calendar_in_use_cannot_be_deleted(write_spec):
    import_paths([write_spec("estate.yaml", ESTATE)])
    with pytest.raises(Exception, match="protected"):
        Calendar.objects.get().delete()
