"""Notify entries naming a transport (slack:#channel, teams:name, pagerduty:service): checked at import,
each error naming file, line, key and the item's field path, and round-tripped by export."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from catalog.models import Integration
from catalog.spec import checks
from catalog.spec.importer import ImportFailed, import_paths
from monitoring.alerting.planning import channel_of
from tests.catalog.conftest import snapshot

pytestmark = pytest.mark.django_db

SPEC = """
apiVersion: plumbline/v1
kind: Integration
key: chargebee-invoices-to-netsuite
source: chargebee
target: netsuite
error_handling:
  surface: alert
  notify:
    - ana.lopez@example.com
    - "#ap-team"
    - {entry}
"""


def failing_import(path) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        import_paths([str(path)])
    return [str(error) for error in caught.value.errors]


@pytest.mark.parametrize(
    "entry",
    ['"slack:#finance-alerts"', "teams:finance", "pagerduty:erp", "https://hooks.example.com/x", "raj@example.com"],
)
def test_an_entry_naming_a_known_transport_or_an_old_kind_is_imported(write_spec, stored_estate, entry):
    import_paths([str(write_spec("estate.yaml", SPEC.format(entry=entry)))])
    notify = Integration.objects.get(key="chargebee-invoices-to-netsuite").error_notify
    assert notify[2] == entry.strip('"')


def test_an_unknown_transport_is_an_error_naming_the_item(write_spec, stored_estate):
    bad = write_spec("estate.yaml", SPEC.format(entry="sms:oncall"))
    assert failing_import(bad) == [
        f"{bad}:11: integration chargebee-invoices-to-netsuite: error_handling.notify[2]: unknown transport 'sms' "
        "in 'sms:oncall': use one of slack:<name>, teams:<name>, pagerduty:<name>, an email, a #channel or an "
        "http(s) URL"
    ]
    assert snapshot() == stored_estate


@pytest.mark.parametrize("entry", ['"slack:"', '"slack:#finance alerts"', '"teams:../../etc"', '"pagerduty:#"'])
def test_a_malformed_name_is_an_error_naming_the_item(write_spec, stored_estate, entry):
    bad = write_spec("estate.yaml", SPEC.format(entry=entry))
    [error] = failing_import(bad)
    assert error.startswith(f"{bad}:11: integration chargebee-invoices-to-netsuite: error_handling.notify[2]: ")
    assert "the name after" in error
    assert snapshot() == stored_estate


def test_the_variable_an_entry_reads_follows_the_credential_prefix():
    assert checks.notify_credential_variable("slack", "#finance-alerts") == "PLUMBLINE_CRED_SLACK_FINANCE_ALERTS"
    assert checks.notify_credential_variable("teams", "finance") == "PLUMBLINE_CRED_TEAMS_FINANCE"
    assert checks.notify_credential_variable("pagerduty", "erp") == "PLUMBLINE_CRED_PAGERDUTY_ERP"
    with override_settings(PLUMBLINE_CRED_PREFIX="ACME_SECRET_"):
        assert checks.notify_credential_variable("pagerduty", "erp") == "ACME_SECRET_PAGERDUTY_ERP"


def test_an_entry_whose_variable_plumbline_reads_itself_is_refused():
    # With the prefix set to PLUMBLINE_WEBHOOK_, pagerduty:erp would read a signed-webhook URL variable.
    with override_settings(PLUMBLINE_CRED_PREFIX="PLUMBLINE_WEBHOOK_"), pytest.raises(checks.Invalid) as caught:
        checks.notify_entry("pagerduty:erp")
    assert "PLUMBLINE_WEBHOOK_PAGERDUTY_ERP is a variable Plumbline itself reads" in str(caught.value)


@pytest.mark.parametrize(
    ("entry", "channel"),
    [
        ("slack:#finance-alerts", "slack"),
        ("teams:finance", "teams"),
        ("pagerduty:erp", "pagerduty"),
        ("#finance-alerts", "webhook"),
        ("https://hooks.example.com/x", "webhook"),
        ("ana@example.com", "email"),
        ("mailto-like:ana@example.com", "email"),
    ],
)
def test_each_entry_goes_by_its_channel(entry, channel):
    assert channel_of(entry) == channel


def test_transport_entries_survive_export_and_reimport_unchanged(write_spec, stored_estate, tmp_path):
    entries = '"slack:#finance-alerts"\n    - teams:finance\n    - pagerduty:erp'
    import_paths([str(write_spec("estate.yaml", SPEC.format(entry=entries)))])
    call_command("export_specs", str(tmp_path / "out"))
    exported = (tmp_path / "out" / "integrations" / "chargebee-invoices-to-netsuite.yaml").read_text()
    assert "slack:#finance-alerts" in exported and "pagerduty:erp" in exported
    report = import_paths([tmp_path / "out"])
    assert report.created == [] and report.updated == []
