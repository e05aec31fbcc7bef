"""SPEC_INCOMPLETE, STALE_SPEC, OWNER_INACTIVE and SINGLE_PERSON_DEPENDENCY, as pure rules."""

from __future__ import annotations

import datetime as dt

from catalog.rules.ownership import system_owner_inactive
from tests.catalog.test_rules_support import NOW, codes_of, days_ago, facts, integration, only, person, system


def test_a_well_kept_live_integration_raises_no_finding():
    assert codes_of(integration()) == set()


# SPEC_INCOMPLETE


def test_spec_missing_mappings_and_frequency_names_both_parts():
    finding = only("SPEC_INCOMPLETE", integration(sync_trigger=""), facts(has_complete_mapping=False))
    assert finding is not None
    assert finding.severity == "warning"
    assert "mappings" in finding.message and "frequency" in finding.message
    assert "4 of 6" in finding.message
    assert "owner" not in finding.message


def test_spec_with_all_six_parts_is_not_incomplete():
    assert only("SPEC_INCOMPLETE", integration()) is None


def test_spec_incomplete_remedy_says_what_to_write():
    finding = only("SPEC_INCOMPLETE", integration(compatibility_sla_days=None))
    assert finding is not None
    assert "maintenance" in finding.message
    assert "how many days they take to fix a break" in finding.remedy
    assert "compatibility_sla_days" not in finding.remedy  # plain words; the field path is SPEC_FIELDS


# STALE_SPEC


def test_spec_reviewed_180_days_ago_is_not_stale():
    assert only("STALE_SPEC", integration(reviewed_at=days_ago(180))) is None


def test_spec_reviewed_181_days_ago_is_stale():
    finding = only("STALE_SPEC", integration(reviewed_at=days_ago(181)))
    assert finding is not None
    assert finding.severity == "warning"
    assert "181 days ago" in finding.message and "every 180 days" in finding.message


def test_spec_never_reviewed_is_stale():
    finding = only("STALE_SPEC", integration(reviewed_at=None))
    assert finding is not None and "never been reviewed" in finding.message


def test_review_policy_comes_from_review_days():
    stale = integration(reviewed_at=days_ago(31))
    assert only("STALE_SPEC", stale, facts(review_days=30)) is not None
    assert only("STALE_SPEC", stale, facts(review_days=31)) is None


def test_major_version_change_of_a_connected_system_after_review_makes_spec_stale():
    upgraded = system("netsuite", pk=2, name="NetSuite", version="2027.1", major_version_changed_at=NOW)
    finding = only("STALE_SPEC", integration(target=upgraded, reviewed_at=days_ago(10)))
    assert finding is not None
    assert "NetSuite changed major version on 2026-11-26 (now 2027.1)" in finding.message
    assert "NetSuite 2027.1" in finding.remedy


def test_major_version_change_before_review_keeps_spec_current():
    earlier = NOW - dt.timedelta(days=30)
    upgraded = system("netsuite", pk=2, version="2027.1", major_version_changed_at=earlier)
    assert only("STALE_SPEC", integration(target=upgraded, reviewed_at=days_ago(10))) is None


def test_major_version_change_on_the_review_day_keeps_spec_current():
    upgraded = system("netsuite", pk=2, version="2027.1", major_version_changed_at=NOW - dt.timedelta(days=10))
    assert only("STALE_SPEC", integration(target=upgraded, reviewed_at=days_ago(10))) is None


# OWNER_INACTIVE


def test_live_integration_without_owner_is_critical():
    finding = only("OWNER_INACTIVE", integration(owner=None))
    assert finding is not None
    assert finding.severity == "critical" and "no owner" in finding.message
    assert finding.owner is None


def test_planned_integration_without_owner_is_a_warning():
    finding = only("OWNER_INACTIVE", integration(owner=None, lifecycle="planned"))
    assert finding is not None and finding.severity == "warning"


def test_owner_who_left_is_named():
    gone = person("sam.ortiz@example.com", pk=3, name="Sam Ortiz", active=False)
    finding = only("OWNER_INACTIVE", integration(owner=gone))
    assert finding is not None
    assert "Sam Ortiz (sam.ortiz@example.com) has left" in finding.message
    assert finding.owner == "sam.ortiz@example.com"


def test_active_owner_raises_no_owner_finding():
    assert only("OWNER_INACTIVE", integration()) is None


def test_system_whose_owner_left_is_a_system_finding():
    gone = person("sam.ortiz@example.com", pk=3, name="Sam Ortiz", active=False)
    finding = system_owner_inactive(system("chargebee", name="Chargebee", owner=gone))
    assert finding is not None
    assert (finding.subject_type, finding.subject_key) == ("system", "chargebee")


def test_system_with_active_owner_raises_nothing():
    assert system_owner_inactive(system("chargebee", owner=person())) is None


# SINGLE_PERSON_DEPENDENCY


def deferred(**overrides: object):
    fields: dict[str, object] = {
        "lifecycle": "planned",
        "phase": "phase-two",
        "deferred_since": days_ago(10),
        "workaround_description": "Tuesday CSV export",
        "workaround_performed_by": person("sam.ortiz@example.com", pk=3, name="Sam Ortiz"),
        "backup_owner": None,
    }
    fields.update(overrides)
    return integration(**fields)


def test_workaround_done_by_one_person_without_backup_is_a_single_person_dependency():
    finding = only("SINGLE_PERSON_DEPENDENCY", deferred())
    assert finding is not None
    assert finding.severity == "warning"
    assert "Tuesday CSV export" in finding.message and "Sam Ortiz alone" in finding.message
    assert "no backup owner" in finding.message


def test_workaround_with_an_active_backup_is_not_a_single_person_dependency():
    assert only("SINGLE_PERSON_DEPENDENCY", deferred(backup_owner=person("raj@example.com", pk=2))) is None


def test_backup_who_is_the_same_person_is_no_backup():
    same = person("sam.ortiz@example.com", pk=3, name="Sam Ortiz")
    finding = only("SINGLE_PERSON_DEPENDENCY", deferred(backup_owner=same))
    assert finding is not None and "the same person" in finding.message


def test_backup_who_left_is_no_backup():
    gone = person("raj@example.com", pk=2, name="Raj Patel", active=False)
    finding = only("SINGLE_PERSON_DEPENDENCY", deferred(backup_owner=gone))
    assert finding is not None and "Raj Patel has left" in finding.message


def test_live_integration_with_owner_and_no_backup_rests_on_one_person():
    finding = only("SINGLE_PERSON_DEPENDENCY", integration(backup_owner=None))
    assert finding is not None and "rests on Ana Lopez alone" in finding.message


def test_integration_being_built_without_backup_is_not_yet_a_dependency():
    assert only("SINGLE_PERSON_DEPENDENCY", integration(backup_owner=None, lifecycle="building")) is None
