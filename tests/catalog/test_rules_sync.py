"""REALTIME_CLAIM_MISMATCH and SYNC_SLOWER_THAN_DECLARED."""

from __future__ import annotations

import pytest

from tests.catalog.test_rules_support import facts, health, integration, only


def claim(**overrides: object):
    return integration(vendor_claim="real-time", **overrides)


def test_realtime_claim_with_5_minute_interval_holds():
    assert only("REALTIME_CLAIM_MISMATCH", claim(interval_minutes=5)) is None


def test_realtime_claim_with_6_minute_interval_is_a_mismatch():
    finding = only("REALTIME_CLAIM_MISMATCH", claim(interval_minutes=6))
    assert finding is not None
    assert finding.severity == "warning"
    assert "'real-time'" in finding.message and "schedule every 6 minutes" in finding.message


@pytest.mark.parametrize("words", ["Realtime", "REAL TIME", "near real-time sync", "real_time"])
def test_realtime_claim_is_recognised_in_any_spelling(words):
    assert only("REALTIME_CLAIM_MISMATCH", integration(vendor_claim=words, interval_minutes=60)) is not None


def test_no_vendor_claim_is_no_mismatch():
    assert only("REALTIME_CLAIM_MISMATCH", integration(vendor_claim="hourly", interval_minutes=60)) is None


def test_realtime_claim_for_event_trigger_uses_max_latency():
    within = claim(sync_trigger="event", interval_minutes=None, max_latency_minutes=5)
    beyond = claim(sync_trigger="event", interval_minutes=None, max_latency_minutes=6)
    assert only("REALTIME_CLAIM_MISMATCH", within) is None
    finding = only("REALTIME_CLAIM_MISMATCH", beyond)
    assert finding is not None and "up to 6 minutes latency" in finding.message


def test_realtime_claim_with_observed_median_of_5_minutes_holds():
    given = facts(health=health(observed_median_minutes=5.0))
    assert only("REALTIME_CLAIM_MISMATCH", claim(interval_minutes=1), given) is None


def test_realtime_claim_with_observed_median_over_5_minutes_is_a_mismatch():
    given = facts(health=health(observed_median_minutes=5.5))
    finding = only("REALTIME_CLAIM_MISMATCH", claim(interval_minutes=1), given)
    assert finding is not None and "observed median interval is 5.5 minutes" in finding.message


def test_realtime_claim_for_manual_sync_is_a_mismatch():
    finding = only("REALTIME_CLAIM_MISMATCH", claim(sync_trigger="manual", interval_minutes=None))
    assert finding is not None and "manual" in finding.message


def test_sync_observed_at_exactly_one_and_a_half_times_declared_is_not_slower():
    given = facts(health=health(observed_median_minutes=22.5))
    assert only("SYNC_SLOWER_THAN_DECLARED", integration(interval_minutes=15), given) is None


def test_sync_observed_above_one_and_a_half_times_declared_is_slower():
    given = facts(health=health(observed_median_minutes=22.6, observed_p95_minutes=40.0))
    finding = only("SYNC_SLOWER_THAN_DECLARED", integration(interval_minutes=15), given)
    assert finding is not None
    assert finding.severity == "warning"
    assert "22.6 minutes" in finding.message and "p95 40 minutes" in finding.message
    assert "schedule every 15 minutes" in finding.message


def test_sync_without_observed_interval_is_not_judged():
    assert only("SYNC_SLOWER_THAN_DECLARED", integration(), facts(health=health())) is None


def test_sync_slowness_of_event_trigger_is_measured_against_max_latency():
    item = integration(sync_trigger="event", interval_minutes=None, max_latency_minutes=10)
    assert only("SYNC_SLOWER_THAN_DECLARED", item, facts(health=health(observed_median_minutes=16.0))) is not None
    assert only("SYNC_SLOWER_THAN_DECLARED", item, facts(health=health(observed_median_minutes=15.0))) is None


# With a cron schedule, the declared gap is the schedule's typical gap (the median of its next runs).


def test_a_weekday_schedule_observed_daily_is_not_slower():
    scheduled = integration(sync_schedule="0 6 * * 1-5", interval_minutes=None)
    given = facts(health=health(observed_median_minutes=1440.0))
    assert only("SYNC_SLOWER_THAN_DECLARED", scheduled, given) is None


def test_an_hourly_schedule_observed_every_three_hours_is_slower_and_names_the_schedule():
    scheduled = integration(sync_schedule="0 * * * *", sync_timezone="Europe/Berlin", interval_minutes=None)
    finding = only("SYNC_SLOWER_THAN_DECLARED", scheduled, facts(health=health(observed_median_minutes=180.0)))
    assert finding is not None
    assert "3.0x slower" in finding.message
    assert "the schedule 0 * * * * (Europe/Berlin), typically every 60 minutes" in finding.message


def test_the_schedule_wins_over_a_stale_interval():
    scheduled = integration(sync_schedule="0 6 * * *", interval_minutes=15)
    given = facts(health=health(observed_median_minutes=1440.0))
    assert only("SYNC_SLOWER_THAN_DECLARED", scheduled, given) is None


def test_a_realtime_claim_against_an_hourly_schedule_is_a_mismatch():
    finding = only("REALTIME_CLAIM_MISMATCH", claim(sync_schedule="*/30 * * * *", interval_minutes=None))
    assert finding is not None and "typically every 30 minutes" in finding.message
