"""The health state decision and its time boundaries (monitoring.health.state, pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from monitoring.health.state import (
    TICK,
    RunFacts,
    declared_interval,
    evaluate,
    next_check_at,
    observed_interval,
)

T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
OK = RunFacts(external_id="r-1", status="success", records_out=10, records_failed=0)


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def state_at(now: dt.datetime, **kwargs: Any) -> str:
    arguments: dict[str, Any] = {
        "declared_interval_minutes": 15,
        "grace_minutes": 30,
        "last_success_at": T0,
        "last_run": OK,
    }
    arguments.update(kwargs)
    return evaluate(now, **arguments).state


def test_nothing_seen_yet_is_unknown():
    assert state_at(T0, last_success_at=None, last_run=None) == "unknown"


def test_exactly_at_last_success_plus_interval_is_still_up():
    assert state_at(T0 + minutes(15)) == "up"


def test_one_tick_after_last_success_plus_interval_is_late():
    assert state_at(T0 + minutes(15) + TICK) == "late"


def test_exactly_at_interval_plus_grace_is_still_late():
    assert state_at(T0 + minutes(45)) == "late"


def test_one_tick_after_interval_plus_grace_is_down():
    assert state_at(T0 + minutes(45) + TICK) == "down"


def test_zero_grace_goes_straight_from_up_to_down():
    assert state_at(T0 + minutes(15) + TICK, grace_minutes=0) == "down"


def test_no_declared_interval_is_never_late():
    assert state_at(T0 + dt.timedelta(days=365), declared_interval_minutes=None) == "up"


def test_a_failed_last_run_is_failing():
    failed = RunFacts(external_id="r-2", status="failed", message="401 from NetSuite")
    verdict = evaluate(T0, 15, 30, T0 - minutes(5), failed)
    assert verdict.state == "failing"
    assert verdict.reason == "run r-2 failed: 401 from NetSuite"


def test_a_completed_run_with_failed_records_is_failing():
    assert state_at(T0, last_run=RunFacts("r-3", "success", records_out=9, records_failed=1)) == "failing"


def test_a_completed_run_below_min_records_per_run_is_failing():
    assert state_at(T0, last_run=RunFacts("r-4", "success", records_out=0), min_records_per_run=1) == "failing"


def test_a_completed_run_at_min_records_per_run_is_up():
    assert state_at(T0, last_run=RunFacts("r-4", "success", records_out=1), min_records_per_run=1) == "up"


def test_a_run_without_counts_is_not_judged_by_min_records():
    assert state_at(T0, last_run=RunFacts("r-5", "success"), min_records_per_run=5) == "up"


def test_only_failed_runs_seen_is_failing_not_unknown():
    failed = RunFacts(external_id="r-1", status="failed")
    assert state_at(T0, last_success_at=None, last_run=failed) == "failing"


def test_failing_outranks_down():
    failed = RunFacts(external_id="r-1", status="failed")
    assert state_at(T0 + dt.timedelta(days=2), last_run=failed) == "failing"


def test_paused_outranks_everything():
    failed = RunFacts(external_id="r-1", status="failed")
    assert state_at(T0 + dt.timedelta(days=2), last_run=failed, paused=True) == "paused"


def test_event_trigger_uses_max_latency_and_manual_has_no_interval():
    assert declared_interval("event", None, 5) == 5
    assert declared_interval("schedule", 60, 5) == 60
    assert declared_interval("polling", 15, None) == 15
    assert declared_interval("manual", 60, None) is None


def test_next_check_while_up_is_the_first_instant_late():
    due = next_check_at(T0 + minutes(1), "up", 15, 30, T0)
    assert due == T0 + minutes(15) + TICK
    assert state_at(due) == "late"


def test_next_check_while_late_is_the_first_instant_down():
    due = next_check_at(T0 + minutes(15) + TICK, "late", 15, 30, T0)
    assert due == T0 + minutes(45) + TICK
    assert state_at(due) == "down"


def test_nothing_left_to_check_when_down_failing_paused_unknown_or_without_interval():
    assert next_check_at(T0 + minutes(50), "down", 15, 30, T0) is None
    assert next_check_at(T0, "failing", 15, 30, T0) is None
    assert next_check_at(T0, "paused", 15, 30, T0) is None
    assert next_check_at(T0, "unknown", 15, 30, None) is None
    assert next_check_at(T0, "up", None, 30, T0) is None


def test_observed_interval_is_median_and_p95_of_gaps_between_successes():
    gaps = [15] * 18 + [16, 60]  # 20 gaps: one slow night
    times = [T0]
    for gap in gaps:
        times.append(times[-1] + minutes(gap))
    observed = observed_interval(list(reversed(times)))
    assert observed.median_minutes == 15.0
    assert observed.p95_minutes == 18.2  # 16 + (60 - 16) * 0.05


def test_observed_interval_needs_two_successes():
    assert observed_interval([T0]).median_minutes is None
    assert observed_interval([]).p95_minutes is None


def test_an_integration_stopped_on_its_platform_is_down_at_once_with_the_reason():
    verdict = evaluate(T0, 15, 30, T0, None, stopped="stopped on Workato: recipe 42 is not running")
    assert (verdict.state, verdict.reason) == ("down", "stopped on Workato: recipe 42 is not running")


def test_a_paused_integration_stays_paused_when_its_platform_stops_it():
    assert (
        evaluate(T0, 15, 30, T0, None, paused=True, stopped="stopped on Celigo: flow f is disabled").state == "paused"
    )
