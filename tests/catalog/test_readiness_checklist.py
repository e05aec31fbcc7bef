"""The readiness checklist as a pure function: each item passes, blocks or does not apply exactly
at its boundary, blockers are named in words, and the percentage counts only items that apply."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.health import HealthFacts
from catalog.readiness import ITEMS, AttestationFacts, IntegrationFacts, assess_golive, assess_integration
from catalog.readiness.checklist import EMPTY_SCOPE, FAIL, NOT_APPLICABLE, PASS
from tests.catalog.test_rules_support import NOW, TODAY, integration, person

DONE = {
    item: AttestationFacts(item, "Raj Patel", TODAY, "https://wiki.example.com/evidence", "ana.lopez@example.com", NOW)
    for item in ("failure-simulation", "resync-rehearsal")
}


def facts(
    *,
    health: HealthFacts | None = HealthFacts(kind="heartbeat", state="up"),  # noqa: B008
    complete_mapping: bool = True,
    critical: tuple[str, ...] = (),
    attested: dict[str, AttestationFacts] | None = None,
    **fields: object,
) -> IntegrationFacts:
    """A live, sequence-sensitive integration that passes every item unless told otherwise."""
    values: dict[str, object] = {"data_objects": ["invoice"]}
    values.update(fields)
    return IntegrationFacts(
        integration=integration(**values),
        has_complete_mapping=complete_mapping,
        health=health,
        critical_findings=critical,
        attestations=DONE if attested is None else attested,
    )


def item(code: str, given: IntegrationFacts) -> tuple[str, str]:
    result = assess_integration(given).item(code)
    return result.status, result.detail


def test_a_well_kept_integration_passes_every_item_that_applies():
    row = assess_integration(facts())
    assert {i.code: i.status for i in row.items} == {
        "spec-complete": PASS,
        "owner-backup": PASS,
        "failures-reach-person": PASS,
        "resync-sequence": PASS,
        "connector-maintenance": PASS,
        "health-up": PASS,
        "no-critical-finding": PASS,
        "phase-two-target": NOT_APPLICABLE,
        "failure-simulation": PASS,
        "resync-rehearsal": PASS,
    }
    assert row.blockers == ()
    assert [i.code for i in row.items] == [i.code for i in ITEMS]


# Spec complete


def test_spec_without_a_complete_mapping_blocks_and_names_the_part():
    assert item("spec-complete", facts(complete_mapping=False)) == (FAIL, "the spec is missing mappings")


def test_spec_missing_several_parts_names_them_all():
    status, detail = item("spec-complete", facts(complete_mapping=False, sync_trigger="", error_surface=""))
    assert status == FAIL
    assert detail == "the spec is missing mappings, frequency and error handling"


def test_spec_with_all_six_parts_passes():
    assert item("spec-complete", facts()) == (PASS, "all six required parts are written")


# Owner active with a backup


def test_no_owner_blocks():
    assert item("owner-backup", facts(owner=None)) == (FAIL, "no owner is named")


def test_owner_who_left_blocks():
    gone = person("ana.lopez@example.com", name="Ana Lopez", active=False)
    assert item("owner-backup", facts(owner=gone)) == (FAIL, "the owner Ana Lopez has left the company")


def test_owner_without_backup_blocks():
    assert item("owner-backup", facts(backup_owner=None)) == (FAIL, "Ana Lopez owns it with no backup owner")


def test_backup_who_is_the_owner_blocks():
    same = person("ana.lopez@example.com", pk=1, name="Ana Lopez")
    assert item("owner-backup", facts(backup_owner=same)) == (FAIL, "the backup owner is the owner")


def test_backup_who_left_blocks():
    gone = person("raj.patel@example.com", pk=2, name="Raj Patel", active=False)
    assert item("owner-backup", facts(backup_owner=gone)) == (FAIL, "the backup owner Raj Patel has left the company")


def test_active_owner_with_active_backup_passes():
    assert item("owner-backup", facts()) == (PASS, "owned by Ana Lopez, backed up by Raj Patel")


# Failures reach a named person


@pytest.mark.parametrize(
    ("surface", "detail"),
    [
        ("log-file", "failures only reach a log file"),
        ("none", "failures are not surfaced anywhere"),
        ("", "how failures are surfaced is not written"),
    ],
)
def test_failures_that_reach_nobody_block(surface, detail):
    assert item("failures-reach-person", facts(error_surface=surface)) == (FAIL, detail)


def test_alert_with_nobody_to_notify_blocks():
    status, detail = item("failures-reach-person", facts(error_notify=[]))
    assert status == FAIL
    assert detail == "failures go to an alert but nobody is named to be told (error_handling.notify)"


def test_blank_notify_entries_name_nobody():
    assert item("failures-reach-person", facts(error_notify=["  "]))[0] == FAIL


def test_alert_to_a_named_person_passes():
    assert item("failures-reach-person", facts()) == (PASS, "failures go to an alert for ana.lopez@example.com")


def test_monitored_channel_with_notify_passes():
    given = facts(error_surface="monitored-channel", error_notify=["#finance-alerts"])
    assert item("failures-reach-person", given) == (PASS, "failures go to a monitored channel for #finance-alerts")


# Re-sync preserves sequence


@pytest.mark.parametrize("resync", ["current-state", "none", "manual"])
def test_sequence_sensitive_data_without_ordered_replay_blocks(resync):
    status, detail = item("resync-sequence", facts(resync=resync))
    assert status == FAIL
    assert "replayed records lose their order" in detail


def test_sequence_sensitive_data_with_no_resync_written_blocks():
    given = facts(resync="")
    assert item("resync-sequence", given) == (FAIL, "the data is sequence-sensitive and no re-sync method is written")


def test_sequence_sensitive_data_replayed_in_order_passes():
    assert item("resync-sequence", facts()) == (PASS, "a re-sync replays records in their original order")


def test_data_that_is_not_sequence_sensitive_does_not_need_ordered_replay():
    given = facts(data_objects=["customer"], resync="current-state")
    assert item("resync-sequence", given) == (NOT_APPLICABLE, "the data is not sequence-sensitive")


def test_an_explicit_sequence_sensitive_false_overrides_the_data_objects():
    given = facts(data_objects=["invoice"], sequence_sensitive=False, resync="current-state")
    assert item("resync-sequence", given)[0] == NOT_APPLICABLE


# Connector maintenance owned with an SLA


@pytest.mark.parametrize("connector", ["native", "ipaas", "custom-api"])
def test_vendor_connector_without_a_maintainer_blocks(connector):
    status, detail = item("connector-maintenance", facts(connector_type=connector, maintained_by=""))
    assert status == FAIL
    assert "nobody is named to maintain it" in detail


def test_connector_without_a_compatibility_sla_blocks():
    status, detail = item("connector-maintenance", facts(compatibility_sla_days=None))
    assert (status, detail) == (FAIL, "the iPaaS connector: no compatibility SLA is agreed")


def test_a_zero_day_sla_is_an_sla():
    assert item("connector-maintenance", facts(compatibility_sla_days=0))[0] == PASS


def test_maintained_connector_passes():
    assert item("connector-maintenance", facts()) == (PASS, "maintained by the iPaaS vendor, fixed within 30 days")


@pytest.mark.parametrize("connector", ["file-transfer", "manual"])
def test_connectors_without_a_vendor_do_not_need_maintenance(connector):
    given = facts(connector_type=connector, maintained_by="", compatibility_sla_days=None)
    assert item("connector-maintenance", given)[0] == NOT_APPLICABLE


def test_a_custom_api_reads_as_a_connector():
    given = facts(connector_type="custom-api", maintained_by="")
    assert item("connector-maintenance", given) == (FAIL, "the custom API connector: nobody is named to maintain it")


def test_unknown_connector_type_blocks():
    assert item("connector-maintenance", facts(connector_type="")) == (FAIL, "the connector type is not written")


# Health monitored and up


def test_no_health_source_blocks_even_with_data():
    given = facts(health_kind="none")
    assert item("health-up", given) == (FAIL, "no health source is set (health.kind: none)")


def test_health_source_without_data_blocks():
    assert item("health-up", facts(health=None)) == (FAIL, "the heartbeat health source has reported nothing yet")


def test_health_unknown_blocks():
    assert item("health-up", facts(health=HealthFacts(kind="heartbeat", state="unknown")))[0] == FAIL


@pytest.mark.parametrize("state", ["late", "down", "failing", "paused"])
def test_health_other_than_up_blocks(state):
    changed = dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.UTC)
    given = facts(health=HealthFacts(kind="heartbeat", state=state, state_changed_at=changed))
    assert item("health-up", given) == (FAIL, f"health is {state} since 2026-11-25 08:30")


def test_health_up_passes():
    assert item("health-up", facts()) == (PASS, "heartbeat health is up")


def test_a_platform_health_source_keeps_its_name():
    given = facts(health_kind="celigo", health=None)
    assert item("health-up", given) == (FAIL, "the Celigo health source has reported nothing yet")


# No other open critical finding


def test_an_open_critical_finding_blocks_and_is_named():
    given = facts(critical=("HEALTH_DOWN",))  # health itself reads up: the finding is the only sign
    assert item("no-critical-finding", given) == (FAIL, "open critical finding: it has stopped running")


def test_several_critical_findings_are_all_named():
    given = facts(critical=("OWNER_INACTIVE", "HEALTH_DOWN"))
    assert item("no-critical-finding", given) == (
        FAIL,
        "open critical findings: it has stopped running and no active owner",
    )


def test_no_critical_finding_passes():
    assert item("no-critical-finding", facts()) == (PASS, "no open critical finding besides the blockers above")


def test_health_down_and_its_critical_finding_are_one_blocker_not_two():
    given = facts(health=HealthFacts(kind="heartbeat", state="down"), critical=("HEALTH_DOWN",))
    row = assess_integration(given)
    assert [(b.code, b.detail) for b in row.blockers] == [("health-up", "health is down")]


def test_failures_to_a_log_file_and_a_critical_silent_failures_finding_are_one_blocker():
    given = facts(error_surface="none", critical=("SILENT_FAILURES",))
    assert [b.code for b in assess_integration(given).blockers] == ["failures-reach-person"]


def test_a_critical_finding_with_another_cause_still_blocks_beside_the_item_it_does_not_cover():
    given = facts(health=HealthFacts(kind="heartbeat", state="down"), critical=("HEALTH_DOWN", "API_RETIREMENT_DUE"))
    blockers = {b.code: b.detail for b in assess_integration(given).blockers}
    assert blockers == {
        "health-up": "health is down",
        "no-critical-finding": "open critical finding: the vendor is retiring the API it uses",
    }


# Phase-two item has a target date


def test_phase_two_item_without_target_date_blocks():
    given = facts(phase="phase-two", target_date=None)
    assert item("phase-two-target", given) == (FAIL, "deferred to phase two with no target date")


def test_phase_two_item_with_target_date_passes():
    given = facts(phase="phase-two", target_date=dt.date(2027, 3, 31))
    assert item("phase-two-target", given) == (PASS, "deferred to phase two, promised for 2027-03-31")


def test_go_live_item_needs_no_target_date():
    assert item("phase-two-target", facts(phase="go-live"))[0] == NOT_APPLICABLE


# Attested items


def test_missing_attestations_block():
    row = assess_integration(facts(attested={}))
    assert row.item("failure-simulation").detail == "no failure simulation is attested yet"
    assert row.item("resync-rehearsal").detail == "no re-sync after an outage is attested as rehearsed yet"
    assert [b.code for b in row.blockers] == ["failure-simulation", "resync-rehearsal"]


def test_an_attested_item_names_who_and_when_and_carries_the_evidence():
    row = assess_integration(facts(attested={"failure-simulation": DONE["failure-simulation"]}))
    result = row.item("failure-simulation")
    assert (result.status, result.detail) == (PASS, f"by Raj Patel on {TODAY.isoformat()}")
    assert result.attestation is not None
    assert result.attestation.evidence_url == "https://wiki.example.com/evidence"
    assert row.item("resync-rehearsal").status == FAIL


# The go-live as a whole


def test_readiness_counts_only_items_that_apply():
    readiness = assess_golive([facts(), facts(attested={})])
    # 9 items apply to each (phase-two target does not); the second misses both attestations.
    assert (readiness.passed, readiness.applicable) == (16, 18)
    assert readiness.percent == 88  # 16/18 = 88.9, rounded down


def test_readiness_is_100_only_when_nothing_blocks():
    many = [facts() for _ in range(199)] + [facts(critical=("HEALTH_DOWN",))]
    readiness = assess_golive(many)
    assert readiness.is_blocked
    assert readiness.percent == 99  # 1799 of 1800 would round to 100


def test_a_clean_go_live_is_100_and_unblocked():
    readiness = assess_golive([facts(), facts()])
    assert readiness.percent == 100
    assert readiness.blockers == ()
    assert not readiness.is_blocked


def test_blockers_name_the_integration_and_the_problem_in_words():
    readiness = assess_golive([facts(error_surface="log-file", backup_owner=None)])
    assert readiness.blockers == (
        "Chargebee invoices to NetSuite: Ana Lopez owns it with no backup owner",
        "Chargebee invoices to NetSuite: failures only reach a log file",
    )


def test_an_empty_scope_blocks():
    readiness = assess_golive([])
    assert readiness.blockers == (EMPTY_SCOPE,)
    assert readiness.percent == 0
