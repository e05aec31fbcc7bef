"""RECORDS_DROPPED and RECONCILIATION_GAP on the latest finished run, at the tolerance and one past."""

from __future__ import annotations

import datetime as dt

from catalog.health import RunCounts
from tests.catalog.test_rules_support import NOW, facts, health, integration, only

RUN_AT = NOW - dt.timedelta(hours=1)


def latest(**counts: object):
    """Facts whose latest finished run is r-42 with these counts."""
    return facts(health=health("up", last_run=RunCounts("r-42", RUN_AT, **counts)))  # type: ignore[arg-type]


def test_a_run_that_accounts_for_every_record_drops_none():
    assert only("RECORDS_DROPPED", integration(), latest(records_in=1000, records_out=996, records_failed=4)) is None


def test_one_record_short_with_no_tolerance_is_dropped_and_names_the_run_and_numbers():
    finding = only("RECORDS_DROPPED", integration(), latest(records_in=1000, records_out=995, records_failed=4))
    assert finding is not None and finding.severity == "warning"
    assert finding.message == (
        "Run r-42 (2026-11-26 11:00 UTC) took in 1,000 records but moved 995 and failed 4: "
        "1 unaccounted for (0.10%), more than the spec's reconciliation tolerates (none)."
    )


def test_exactly_at_the_absolute_tolerance_drops_none():
    spec = integration(reconciliation_tolerance_records=5)
    assert only("RECORDS_DROPPED", spec, latest(records_in=1000, records_out=995)) is None


def test_one_record_past_the_absolute_tolerance_is_dropped():
    spec = integration(reconciliation_tolerance_records=5)
    finding = only("RECORDS_DROPPED", spec, latest(records_in=1000, records_out=994))
    assert finding is not None
    assert "6 unaccounted for (0.60%), more than the spec's reconciliation tolerates (5 records)." in finding.message


def test_exactly_at_the_percent_tolerance_drops_none():
    # 0.5% of 1,000 is 5 records exactly, compared in decimal (no float rounding either way).
    spec = integration(reconciliation_tolerance_percent=0.5)
    assert only("RECORDS_DROPPED", spec, latest(records_in=1000, records_out=990, records_failed=5)) is None


def test_one_record_past_the_percent_tolerance_is_dropped():
    spec = integration(reconciliation_tolerance_percent=0.5)
    finding = only("RECORDS_DROPPED", spec, latest(records_in=1000, records_out=989, records_failed=5))
    assert finding is not None
    assert "6 unaccounted for (0.60%), more than the spec's reconciliation tolerates (0.5%)." in finding.message


def test_a_percentage_that_is_inexact_in_binary_still_holds_at_its_boundary():
    # 0.1% of 30,000 is 30; 30_000 * 0.1 / 100 in floats is 30.000000000000004, 0.3 * 100 is 30.000000000000004.
    spec = integration(reconciliation_tolerance_percent=0.1)
    assert only("RECORDS_DROPPED", spec, latest(records_in=30_000, records_out=29_970)) is None
    assert only("RECORDS_DROPPED", spec, latest(records_in=30_000, records_out=29_969)) is not None


def test_with_both_tolerances_the_larger_one_applies():
    spec = integration(reconciliation_tolerance_percent=0.5, reconciliation_tolerance_records=10)
    assert only("RECORDS_DROPPED", spec, latest(records_in=1000, records_out=990)) is None  # 10 records
    finding = only("RECORDS_DROPPED", spec, latest(records_in=1000, records_out=989))
    assert finding is not None and "tolerates (10 records or 0.5%)." in finding.message


def test_a_run_not_reporting_records_in_or_out_is_not_judged():
    assert only("RECORDS_DROPPED", integration(), latest(records_out=0)) is None
    assert only("RECORDS_DROPPED", integration(), latest(records_in=10)) is None


def test_dropped_sequenced_records_are_critical():
    spec = integration(data_objects=["invoice"])
    finding = only("RECORDS_DROPPED", spec, latest(records_in=10, records_out=9))
    assert finding is not None and finding.severity == "critical"


def test_no_finished_run_drops_nothing():
    assert only("RECORDS_DROPPED", integration(), facts(health=health("up"))) is None


def test_planned_integrations_are_not_reconciled():
    given = latest(records_in=10, records_out=0, source_count=10, target_count=0)
    assert only("RECORDS_DROPPED", integration(lifecycle="planned"), given) is None
    assert only("RECONCILIATION_GAP", integration(lifecycle="planned"), given) is None


def test_equal_source_and_target_counts_have_no_gap():
    assert only("RECONCILIATION_GAP", integration(), latest(source_count=500, target_count=500)) is None


def test_a_gap_at_the_tolerance_is_none_and_one_past_is_a_gap_naming_the_period():
    spec = integration(reconciliation_tolerance_records=2)
    period = {
        "period_start": dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
        "period_end": dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
    }
    assert only("RECONCILIATION_GAP", spec, latest(source_count=500, target_count=498, **period)) is None
    finding = only("RECONCILIATION_GAP", spec, latest(source_count=500, target_count=497, **period))
    assert finding is not None
    assert finding.message == (
        "For 2026-11-25 00:00 to 2026-11-26 00:00 UTC (reported with run r-42 (2026-11-26 11:00 UTC)), the source "
        "counted 500 records and the target 497: a gap of 3 (0.60%), more than the spec's reconciliation "
        "tolerates (2 records)."
    )


def test_more_in_the_target_than_the_source_is_a_gap_too():
    finding = only("RECONCILIATION_GAP", integration(), latest(source_count=500, target_count=501))
    assert finding is not None
    assert finding.message.startswith("For run r-42 (2026-11-26 11:00 UTC), the source counted 500 records")


def test_a_gap_at_the_percent_tolerance_is_none_and_one_past_is_a_gap():
    spec = integration(reconciliation_tolerance_percent=1)
    assert only("RECONCILIATION_GAP", spec, latest(source_count=300, target_count=297)) is None
    assert only("RECONCILIATION_GAP", spec, latest(source_count=300, target_count=296)) is not None
