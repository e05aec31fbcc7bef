"""SILENT_FAILURES, RESYNC_LOSES_SEQUENCE, CONNECTOR_MAINTENANCE_UNOWNED and API_RETIREMENT_DUE."""

from __future__ import annotations

import pytest

from tests.catalog.test_rules_support import TODAY, days_ago, integration, only


def test_failures_only_in_a_log_file_are_silent():
    finding = only("SILENT_FAILURES", integration(error_surface="log-file"))
    assert finding is not None
    assert finding.severity == "warning" and "log file" in finding.message


def test_failures_surfaced_nowhere_are_critical():
    finding = only("SILENT_FAILURES", integration(error_surface="none", error_notify=[]))
    assert finding is not None and finding.severity == "critical"


@pytest.mark.parametrize("surface", ["alert", "monitored-channel"])
def test_failures_sent_to_people_are_not_silent(surface):
    assert only("SILENT_FAILURES", integration(error_surface=surface)) is None


def test_invoices_resynced_as_current_state_lose_sequence():
    finding = only("RESYNC_LOSES_SEQUENCE", integration(data_objects=["invoice", "payment"], resync="current-state"))
    assert finding is not None
    assert finding.severity == "warning"
    assert "invoice and payment are sequence-sensitive" in finding.message
    assert "current state" in finding.message


def test_invoices_without_any_resync_lose_sequence():
    assert only("RESYNC_LOSES_SEQUENCE", integration(data_objects=["invoice"], resync="none")) is not None


def test_invoices_replayed_in_order_keep_sequence():
    assert only("RESYNC_LOSES_SEQUENCE", integration(data_objects=["invoice"], resync="replay-in-order")) is None


def test_customers_resynced_as_current_state_are_fine():
    assert only("RESYNC_LOSES_SEQUENCE", integration(data_objects=["customer"], resync="current-state")) is None


def test_explicitly_sequence_sensitive_data_counts_whatever_the_objects():
    item = integration(data_objects=["customer"], sequence_sensitive=True, resync="current-state")
    assert only("RESYNC_LOSES_SEQUENCE", item) is not None


def test_invoices_declared_not_sequence_sensitive_are_fine():
    item = integration(data_objects=["invoice"], sequence_sensitive=False, resync="current-state")
    assert only("RESYNC_LOSES_SEQUENCE", item) is None


@pytest.mark.parametrize("connector_type", ["native", "ipaas", "custom-api"])
def test_connector_without_maintainer_is_unowned(connector_type):
    finding = only("CONNECTOR_MAINTENANCE_UNOWNED", integration(connector_type=connector_type, maintained_by=""))
    assert finding is not None
    assert finding.severity == "warning"
    assert "no one named to maintain it" in finding.message and "Chargebee or NetSuite" in finding.message


def test_connector_without_compatibility_sla_is_unowned():
    finding = only("CONNECTOR_MAINTENANCE_UNOWNED", integration(compatibility_sla_days=None))
    assert finding is not None
    assert "no agreed time to fix a break" in finding.message and "maintain it" not in finding.message


def test_connector_with_maintainer_and_sla_is_owned():
    assert only("CONNECTOR_MAINTENANCE_UNOWNED", integration()) is None


@pytest.mark.parametrize("connector_type", ["file-transfer", "manual"])
def test_file_transfer_and_manual_need_no_connector_maintainer(connector_type):
    item = integration(connector_type=connector_type, maintained_by="", compatibility_sla_days=None)
    assert only("CONNECTOR_MAINTENANCE_UNOWNED", item) is None


def test_api_retiring_in_90_days_is_due():
    finding = only("API_RETIREMENT_DUE", integration(api_version="v59.0", api_retirement_date=days_ago(-90)))
    assert finding is not None
    assert finding.severity == "warning"
    assert "API version v59.0 is retired on" in finding.message and "in 90 days" in finding.message


def test_api_retiring_in_91_days_is_not_yet_due():
    assert only("API_RETIREMENT_DUE", integration(api_retirement_date=days_ago(-91))) is None


def test_api_retired_in_the_past_is_critical():
    finding = only("API_RETIREMENT_DUE", integration(api_version="v52.0", api_retirement_date=days_ago(3)))
    assert finding is not None
    assert finding.severity == "critical" and "3 days ago" in finding.message


def test_api_retiring_today_is_critical():
    finding = only("API_RETIREMENT_DUE", integration(api_retirement_date=TODAY))
    assert finding is not None and finding.severity == "critical"
