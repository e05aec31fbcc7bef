"""How often it really runs: REALTIME_CLAIM_MISMATCH and SYNC_SLOWER_THAN_DECLARED."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from catalog.choices import Trigger
from catalog.models import Integration
from catalog.models.findings import FindingCode, Severity
from catalog.rules.finding import Facts, Finding, about, plural
from catalog.schedules import Schedule, typical_gap_minutes

REALTIME_CLAIM = re.compile(r"real[\s_-]?time", re.IGNORECASE)
REALTIME_MAX_MINUTES = 5  # "real-time" that is slower than this is a poll, whatever the slide says
SLOWER_FACTOR = 1.5  # an observed median above 1.5 x the declared interval is a broken promise


def claims_realtime(integration: Integration) -> bool:
    return bool(REALTIME_CLAIM.search(integration.vendor_claim or ""))


def declared_interval(integration: Integration, now: dt.datetime | None = None) -> float | None:
    """The promised gap between syncs in minutes: max_latency_minutes for event triggers, the
    schedule's typical gap (the median between its next runs, from `now`) when it has a cron
    schedule, interval_minutes otherwise; None when the spec promises none (manual, or not written)."""
    if integration.sync_trigger == Trigger.EVENT:
        return integration.max_latency_minutes
    if integration.sync_trigger == Trigger.MANUAL:
        return None
    if integration.sync_schedule:
        return schedule_gap(schedule_of(integration), (now or dt.datetime.now(dt.UTC)).date())
    return integration.interval_minutes


def schedule_of(integration: Integration) -> Schedule:
    """The cron schedule on its calendar's business days (freezes aside: they move a run now and
    then, not the usual gap)."""
    calendar = integration.sync_calendar.business_calendar() if integration.sync_calendar is not None else None
    return Schedule(cron=integration.sync_schedule, timezone=integration.sync_timezone, calendar=calendar)


@lru_cache(maxsize=1024)
def schedule_gap(schedule: Schedule, day: dt.date) -> float | None:
    """The typical gap of a schedule from the start of `day`: the same for every integration on
    that schedule, so an estate of thousands computes it once per distinct schedule."""
    return typical_gap_minutes(schedule, dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC))


def _declared_phrase(integration: Integration, minutes: float) -> str:
    if integration.sync_trigger == Trigger.EVENT:
        return f"an event trigger with up to {plural(minutes, 'minute')} latency"
    if integration.sync_schedule:
        return (
            f"the schedule {integration.sync_schedule} ({integration.sync_timezone}), "
            f"typically every {plural(minutes, 'minute')}"
        )
    trigger = integration.sync_trigger or "sync"
    return f"{trigger} every {plural(minutes, 'minute')}"


def realtime_claim_mismatch(integration: Integration, facts: Facts) -> Finding | None:
    if not claims_realtime(integration):
        return None
    reasons: list[str] = []
    declared = declared_interval(integration, facts.now)
    if integration.sync_trigger == Trigger.MANUAL:
        reasons.append("the spec declares a manual trigger")
    elif declared is not None and declared > REALTIME_MAX_MINUTES:
        reasons.append(f"the spec declares {_declared_phrase(integration, declared)}")
    observed = facts.health.observed_median_minutes if facts.health else None
    if observed is not None and observed > REALTIME_MAX_MINUTES:
        reasons.append(f"the observed median interval is {plural(round(observed, 1), 'minute')}")
    if not reasons:
        return None
    message = (
        f"The vendor claims {integration.vendor_claim!r}, but {' and '.join(reasons)} "
        f"(real-time means within {plural(REALTIME_MAX_MINUTES, 'minute')})."
    )
    remedy = "Record the real sync frequency in the spec and check that it is fast enough for the data it carries."
    return about(integration, FindingCode.REALTIME_CLAIM_MISMATCH, Severity.WARNING, message, remedy)


def sync_slower_than_declared(integration: Integration, facts: Facts) -> Finding | None:
    declared = declared_interval(integration, facts.now)
    health = facts.health
    if not declared or health is None or health.observed_median_minutes is None:
        return None
    observed = health.observed_median_minutes
    if observed <= SLOWER_FACTOR * declared:
        return None
    p95 = f", p95 {plural(round(health.observed_p95_minutes, 1), 'minute')}" if health.observed_p95_minutes else ""
    message = (
        f"Runs are {observed / declared:.1f}x slower than declared: observed median interval "
        f"{plural(round(observed, 1), 'minute')}{p95} over the last 7 days, declared "
        f"{_declared_phrase(integration, declared)}."
    )
    remedy = (
        "Find out why runs are delayed (schedule, queueing, platform limits) or write down how often it really runs."
    )
    return about(integration, FindingCode.SYNC_SLOWER_THAN_DECLARED, Severity.WARNING, message, remedy)
