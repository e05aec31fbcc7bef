"""Runs of a workaround as stored: which are due, confirming one (by page, link or ping), and what
the register counts. Confirming is claimed like an alert: the run's row is created once (unique per
integration and due time) and confirmed_at set by a conditional UPDATE, so confirming the same run
twice, or from two places at once, records one confirmation."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.choices import Phase
from catalog.models import Integration, WorkaroundRun
from catalog.workarounds.cadence import COUNT_MAX, Cadence, cadence_of

# How far back the register counts runs done against runs due (or from deferred_since, if later).
REGISTER_DAYS = 90
# How far back the findings engine reads confirmations: two runs of a yearly cron fit in it.
CONFIRMED_LOOKBACK_DAYS = 800
NOTE_MAX = 500


def cadence_for(integration: Integration) -> Cadence | None:
    """The integration's workaround cadence (monthly counts the sync calendar's business days)."""
    if not integration.workaround_every:
        return None
    stored = integration.sync_calendar if integration.sync_calendar_id else None
    calendar = stored.business_calendar() if stored is not None else None
    return cadence_of(integration.workaround_every, integration.sync_timezone, calendar)


def tracked_from(integration: Integration, cadence: Cadence) -> dt.datetime | None:
    """Runs are due from the start of deferred_since (local), or from any time when it is unset."""
    since = integration.deferred_since
    return cadence.day_start(since) if since else None


class NothingDue(Exception):
    """The integration declares no workaround cadence, or no run of it has been due yet."""


@dataclass(frozen=True)
class Confirmation:
    run: WorkaroundRun
    recorded: bool  # False: the run was already confirmed, nothing changed


def current_due(integration: Integration, now: dt.datetime) -> dt.datetime:
    """The due time a confirmation made now is for (the latest run due by the end of today)."""
    cadence = cadence_for(integration)
    due = cadence.current(now) if cadence else None
    if due is None:
        raise NothingDue(f"{integration.display_name} declares no workaround.every: no run is due")
    return due


def run_row(integration: Integration, due_at: dt.datetime) -> WorkaroundRun:
    """The stored row of that run, created once however many callers race for it."""
    try:
        with transaction.atomic():
            run, _ = WorkaroundRun.objects.get_or_create(integration=integration, due_at=due_at)
    except IntegrityError:  # another caller created it between our read and our insert
        run = WorkaroundRun.objects.get(integration=integration, due_at=due_at)
    return run


def confirm(
    integration: Integration,
    *,
    via: str,
    by: str = "",
    hours: float | None = None,
    note: str = "",
    now: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
) -> Confirmation:
    """Confirm the run due at `due_at` (default: the current one). A run already confirmed keeps
    its first confirmation: recorded is False and nothing is written."""
    now = now or timezone.now()
    due = due_at or current_due(integration, now)
    run = run_row(integration, due)
    changed = WorkaroundRun.objects.filter(pk=run.pk, confirmed_at=None).update(
        confirmed_at=now, confirmed_by=by, confirmed_via=via, hours=hours, note=note[:NOTE_MAX]
    )
    run.refresh_from_db()
    return Confirmation(run, bool(changed))


def confirmed_due_times(integration_ids: Iterable[int] | None, since: dt.datetime) -> dict[int, set[dt.datetime]]:
    """The due times of confirmed runs since `since`, by integration: one query (None: all phase two)."""
    runs = WorkaroundRun.objects.filter(confirmed_at__isnull=False, due_at__gte=since)
    runs = (
        runs.filter(integration__phase=Phase.PHASE_TWO)
        if integration_ids is None
        else runs.filter(integration_id__in=list(integration_ids))
    )
    found: dict[int, set[dt.datetime]] = defaultdict(set)
    for integration_id, due_at in runs.values_list("integration_id", "due_at").order_by():
        found[integration_id].add(due_at)
    return found


@dataclass(frozen=True)
class RunTally:
    """What the register shows of a workaround's runs in its window."""

    since: dt.date
    due: int | None  # None: no cadence declared
    done: int
    hours_logged: float
    capped: bool = False  # more runs were due than are counted (a cron firing every minute)

    @property
    def unconfirmed(self) -> int:
        """Runs due in the window (today's included) with no confirmation."""
        return max((self.due or 0) - self.done, 0)


def register_window(integration: Integration, now: dt.datetime) -> dt.datetime:
    """Where the register starts counting: REGISTER_DAYS ago, or deferred_since (UTC) if later."""
    start = now - dt.timedelta(days=REGISTER_DAYS)
    if integration.deferred_since:
        start = max(start, dt.datetime.combine(integration.deferred_since, dt.time(), tzinfo=dt.UTC))
    return start


def register_tallies(integrations: Iterable[Integration], now: dt.datetime) -> dict[int, RunTally]:
    """Runs due and confirmed, and hours logged, in each item's window (register_window() to the end
    of today, as a run may be confirmed from the start of its due day): one query for a page of items,
    the due runs counted in Python."""
    items = list(integrations)
    starts = {integration.pk: register_window(integration, now) for integration in items}
    done: dict[int, int] = defaultdict(int)
    hours: dict[int, float] = defaultdict(float)
    if items:
        rows = WorkaroundRun.objects.filter(
            integration_id__in=list(starts),
            confirmed_at__isnull=False,
            due_at__gte=min(starts.values()),
        ).values_list("integration_id", "due_at", "hours")
        for integration_id, due_at, logged in rows.order_by():
            if due_at >= starts[integration_id]:
                done[integration_id] += 1
                hours[integration_id] += logged or 0.0
    tallies: dict[int, RunTally] = {}
    for integration in items:
        pk, start = integration.pk, starts[integration.pk]
        cadence = cadence_for(integration)
        if cadence is None:
            tallies[pk] = RunTally(start.date(), None, done[pk], hours[pk])
            continue
        end = cadence.day_start(cadence.local_day(now) + dt.timedelta(days=1))
        due_runs = cadence.between(start, end)
        tallies[pk] = RunTally(start.date(), len(due_runs), done[pk], hours[pk], len(due_runs) >= COUNT_MAX)
    return tallies
