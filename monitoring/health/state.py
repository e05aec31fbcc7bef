"""Pure decisions about health: which state, whether that is a flip and whether it alerts, when
to look again, how often it really runs.

Nothing here touches the database, so every boundary is tested directly (tests/monitoring/test_state.py);
monitoring/health/pipeline.py applies these decisions to the stored state rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from catalog.choices import HealthState, Trigger
from catalog.schedules import ExpectedRun, Schedule, expected_after
from monitoring.models.choices import RunStatus

# Flips into these states alert; a flip from one of them back to up is a recovery.
ALERTING_STATES = frozenset({HealthState.DOWN, HealthState.FAILING})

# Used when a spec declares no health.grace_minutes.
DEFAULT_GRACE_MINUTES = 30

# Lateness boundaries are strict ("now > last success + interval"), so the first instant
# at which the state changes is one tick after the boundary.
TICK = dt.timedelta(microseconds=1)

OBSERVATION_WINDOW = dt.timedelta(days=7)
# How stale the stored observed interval may grow while successes keep coming (health/store.py).
OBSERVED_REFRESH = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class RunFacts:
    """What the state decision needs of the latest finished run."""

    external_id: str
    status: str  # success | failed
    records_out: int | None = None
    records_failed: int | None = None
    message: str = ""


@dataclass(frozen=True)
class Verdict:
    state: HealthState
    reason: str


def declared_interval(trigger: str, interval_minutes: int | None, max_latency_minutes: int | None) -> int | None:
    """The interval a spec promises: max latency for event triggers, none for manual (never late)."""
    if trigger == Trigger.MANUAL:
        return None
    if trigger == Trigger.EVENT:
        return max_latency_minutes
    return interval_minutes


def failing_reason(run: RunFacts, min_records_per_run: int | None) -> str:
    """Why this finished run counts as failing, or "" when it does not."""
    if run.status == RunStatus.FAILED:
        return f"run {run.external_id} failed" + (f": {run.message}" if run.message else "")
    if run.records_failed:
        return f"run {run.external_id} completed with {run.records_failed} failed records"
    if min_records_per_run and run.records_out is not None and run.records_out < min_records_per_run:
        return f"run {run.external_id} moved {run.records_out} records (minimum {min_records_per_run})"
    return ""


def evaluate(
    now: dt.datetime,
    declared_interval_minutes: int | None,
    grace_minutes: int,
    last_success_at: dt.datetime | None,
    last_run: RunFacts | None,
    min_records_per_run: int | None = None,
    paused: bool = False,
    stopped: str = "",
    schedule: Schedule | None = None,
) -> Verdict:
    """The health state of one integration at `now`.

    Precedence: paused, then stopped on its platform (down at once: the platform says so; `stopped`
    is its reason), then unknown (nothing seen yet), then failing (the latest finished run
    failed or is suspect; it stays failing until a run succeeds cleanly, lateness adds nothing
    the owner has not been told), then down, late, up by time since the last success: late once
    the run expected after it (the interval, or the schedule's next time on a business day outside
    every freeze) has passed, down once grace has passed too.
    """
    if paused:
        return Verdict(HealthState.PAUSED, HealthState.PAUSED.label.lower())
    if stopped:
        return Verdict(HealthState.DOWN, stopped)
    if last_success_at is None and last_run is None:
        return Verdict(HealthState.UNKNOWN, "no run seen yet")
    if last_run is not None and (why := failing_reason(last_run, min_records_per_run)):
        return Verdict(HealthState.FAILING, why)
    if last_success_at is None:
        # Only a still-running run has been seen: no outcome yet.
        return Verdict(HealthState.UNKNOWN, "no finished run seen yet")
    expected = expected_run(declared_interval_minutes, last_success_at, schedule)
    if expected is not None:
        late_at = expected.at
        down_at = late_at + dt.timedelta(minutes=grace_minutes)
        since = f"no successful run since {last_success_at:%Y-%m-%d %H:%M} UTC"
        if schedule is not None and schedule.cron:
            promise = f"{schedule.describe()}, expected {late_at:%Y-%m-%d %H:%M} UTC"
        else:
            promise = f"interval {declared_interval_minutes} min"
        moved = f"; {expected.moved_by} moved the expected run" if expected.moved_by else ""
        if now > down_at:
            return Verdict(HealthState.DOWN, f"{since} ({promise} + grace {grace_minutes} min{moved})")
        if now > late_at:
            return Verdict(HealthState.LATE, f"{since} ({promise}{moved})")
    return Verdict(HealthState.UP, "last run succeeded")


@functools.lru_cache(maxsize=1024)
def expected_run(
    declared_interval_minutes: int | None, last_success_at: dt.datetime, schedule: Schedule | None
) -> ExpectedRun | None:
    """When the run after the last success is due: the interval after it, or with a schedule (a cron,
    a calendar, freezes) the first time it allows; None when none is expected (never late). Cached:
    settling asks it twice per source (the verdict, then the next check)."""
    if schedule is None:
        if declared_interval_minutes is None:
            return None
        return ExpectedRun(last_success_at + dt.timedelta(minutes=declared_interval_minutes))
    return expected_after(schedule, last_success_at, declared_interval_minutes)


def next_check_at(
    now: dt.datetime,
    state: str,
    declared_interval_minutes: int | None,
    grace_minutes: int,
    last_success_at: dt.datetime | None,
    schedule: Schedule | None = None,
) -> dt.datetime | None:
    """The first instant after `now` at which `evaluate` can answer differently with no new run."""
    if state not in (HealthState.UP, HealthState.LATE) or not last_success_at:
        return None
    expected = expected_run(declared_interval_minutes, last_success_at, schedule)
    if expected is None:
        return None
    late_at = expected.at
    for boundary in (late_at, late_at + dt.timedelta(minutes=grace_minutes)):
        if now <= boundary:
            return boundary + TICK
    return None


@dataclass(frozen=True)
class SourceFacts:
    """What deciding an integration's health needs of its state row."""

    state: str  # the stored HealthState
    interval_minutes: int | None
    grace_minutes: int
    last_success_at: dt.datetime | None
    last_run: RunFacts | None
    min_records_per_run: int | None = None
    paused: bool = False
    stopped: str = ""  # why the platform says the recipe/flow/app is stopped; "" when it runs
    schedule: Schedule | None = None  # cron, calendar and freezes; None: the interval alone


@dataclass(frozen=True)
class Transition:
    """The health of a state row at one instant: the verdict, when to look again, and whether
    it changed (a flip) and so whether anyone is told."""

    from_state: str
    verdict: Verdict
    next_check_at: dt.datetime | None

    @property
    def changed(self) -> bool:
        return self.verdict.state != self.from_state

    @property
    def alerts(self) -> bool:
        return self.changed and flip_alerts(self.from_state, self.verdict.state)


def settle(facts: SourceFacts, now: dt.datetime) -> Transition:
    """The state row's health at `now`, compared with what it stores."""
    verdict = evaluate(
        now,
        facts.interval_minutes,
        facts.grace_minutes,
        facts.last_success_at,
        facts.last_run,
        facts.min_records_per_run,
        facts.paused,
        facts.stopped,
        facts.schedule,
    )
    check_at = next_check_at(
        now, verdict.state, facts.interval_minutes, facts.grace_minutes, facts.last_success_at, facts.schedule
    )
    return Transition(facts.state, verdict, check_at)


def flip_alerts(from_state: str, to_state: str) -> bool:
    """Flips into down/failing alert, and so does the recovery from them to up."""
    return to_state in ALERTING_STATES or (to_state == HealthState.UP and from_state in ALERTING_STATES)


@dataclass(frozen=True)
class ObservedInterval:
    median_minutes: float | None
    p95_minutes: float | None


def observed_interval(success_times: Sequence[dt.datetime]) -> ObservedInterval:
    """Median and 95th percentile gap, in minutes, between consecutive successful runs."""
    times = sorted(success_times)
    gaps = sorted((b - a).total_seconds() / 60 for a, b in itertools.pairwise(times))
    if not gaps:
        return ObservedInterval(None, None)
    return ObservedInterval(round(statistics.median(gaps), 1), round(percentile(gaps, 0.95), 1))


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (what spreadsheets call PERCENTILE.INC)."""
    rank = fraction * (len(sorted_values) - 1)
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)
