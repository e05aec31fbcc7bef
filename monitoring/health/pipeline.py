"""The one way health changes: observations -> state -> flips -> alerts, in that order, in the
caller's transaction.

    record_polls / record (runs and failed records from polls and heartbeats)
      1. sources.lock_sources       the state rows, locked (created from the spec when missing)
      2. store.store_observations   runs upserted, failed records stored, facts onto the rows
      3. settle_rows                state.settle on each row (pure): its state and next check;
                                    a Flip for each change, inserted; catalog told on commit
      4. store.save_state_rows      the rows written once
      5. alerting.plan_alerts       alert rows for the flips that alert

    resettle (a row changed otherwise: its spec, a pause, or time passing in the lateness pass)
      steps 3 to 5 for one row.

Polling a result twice, or applying a ping batch again after a crash, stores nothing twice: runs
are upserted by external id, failed records by their dedupe key, and a state that does not change
makes no flip.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import DataError, IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from catalog.models import Integration
from catalog.signals import health_changed
from monitoring.alerting.planning import plan_alerts
from monitoring.health import state
from monitoring.health.sources import facts_of, lock_sources
from monitoring.health.store import POLLED_FIELDS, Observed, RecordOutcome, save_state_rows, store_observations
from monitoring.models import Flip, HealthSource, Run
from monitoring.platforms.contract import PollResult, ResolvedObservation
from plumbline import metrics

# What the content of one observation can cause when it is stored; batch processors (pending pings,
# polls) then store item by item and set aside what fails. Anything else (the database unreachable,
# a worker stopping) leaves the batch to be done again.
POISON = (DataError, IntegrityError, ValueError, OverflowError, TypeError)

# The fields settling may change, for save(update_fields=...).
SETTLED_FIELDS = ["state", "state_changed_at", "next_check_due_at", "updated_at"]


def record_poll(integration: Integration, result: PollResult, *, now: dt.datetime | None = None) -> RecordOutcome:
    """Store one poll's result; polling the same result again adds nothing."""
    return record_polls([(integration, result)], now=now)[0]


def record_polls(
    polled: Sequence[tuple[Integration, PollResult]], *, now: dt.datetime | None = None
) -> list[RecordOutcome]:
    """Store several polls' results, as record_poll on each would, in one transaction holding all
    their state rows; one outcome per poll, in order."""
    now = now or timezone.now()
    if len({integration.pk for integration, _ in polled}) < len(polled):
        # The same source twice: the second must see what the first stored.
        return [record_poll(integration, result, now=now) for integration, result in polled]
    if not polled:
        return []
    with transaction.atomic():
        sources = lock_sources([integration for integration, _ in polled])
        batch: list[Observed] = []
        for integration, result in polled:
            source = sources[integration.pk]
            if result.cursor is not None:
                source.cursor = result.cursor
            source.last_polled_at = now
            source.last_poll_error = ""
            source.platform_stopped = result.stopped[:300]
            batch.append((source, result.runs, result.failed_records))
        return record(batch, now, POLLED_FIELDS, resolved=[result.resolved for _, result in polled])


def record_poll_error(
    integration_id: int, error: str, now: dt.datetime | None = None, *, retry_after: float | None = None
) -> None:
    """A failed poll changes no state (lateness will, if it lasts); it is shown on the health page. A
    platform that asked to be left alone for `retry_after` seconds is not polled again before then."""
    now = now or timezone.now()
    changes: dict[str, Any] = {"last_polled_at": now, "last_poll_error": error[:2000], "updated_at": now}
    if retry_after:
        later = now + dt.timedelta(seconds=retry_after)
        changes["next_poll_at"] = Case(When(next_poll_at__lt=later, then=Value(later)), default=F("next_poll_at"))
    HealthSource.objects.filter(integration_id=integration_id).update(**changes)


def record(
    batch: Sequence[Observed],
    now: dt.datetime,
    fields: Sequence[str],
    known: dict[tuple[int, str], Run | None] | None = None,
    resolved: Sequence[Sequence[ResolvedObservation]] | None = None,
) -> list[RecordOutcome]:
    """Store what was observed for each locked source and settle its state; `fields`: what the
    caller changed on the rows besides. One outcome per source, its flip included."""
    sources = [source for source, _, _ in batch]
    outcomes = store_observations(batch, now, known, resolved)
    flips = settle_rows(sources, now)
    stamp = timezone.now()
    for source in sources:
        source.updated_at = stamp
    save_state_rows(sources, [*fields, *SETTLED_FIELDS])
    by_integration = {flip.integration_id: flip for flip in flips}
    for source, outcome in zip(sources, outcomes, strict=True):
        outcome.flip = by_integration.get(source.integration_id)
    if recounted := sorted(
        s.integration_id for s, o in zip(sources, outcomes, strict=True) if o.recounted and not o.flip
    ):
        # A run whose counts do not add up changes findings, not the state (a flip tells catalog itself).
        transaction.on_commit(lambda: health_changed.send(sender=Run, integration_ids=recounted))
    if flips:
        plan_alerts(flips, now)
    return outcomes


def resettle(
    source: HealthSource,
    now: dt.datetime,
    fields: Sequence[str] | None = None,
    *,
    evaluation: uuid.UUID | None = None,
    plan: bool = True,
) -> Flip | None:
    """Settle one locked row whose facts changed otherwise than by a run, save it (`fields` and the
    settled ones; None: all) and plan its flip's alerts (the lateness pass plans them itself, for
    roll-ups: plan=False)."""
    flips = settle_rows([source], now, evaluation=evaluation)
    source.save(update_fields=[*fields, *SETTLED_FIELDS] if fields is not None else None)
    if flips and plan:
        plan_alerts(flips, now)
    return flips[0] if flips else None


def settle_rows(
    sources: Sequence[HealthSource], now: dt.datetime, *, evaluation: uuid.UUID | None = None
) -> list[Flip]:
    """Apply state.settle to each row (not saved): its state and next check; a flip, inserted, for
    each change of state; catalog (findings) told once they commit."""
    flips = []
    for source in sources:
        transition = state.settle(facts_of(source), now)
        source.next_check_due_at = transition.next_check_at
        if not transition.changed:
            continue
        flips.append(
            Flip(
                integration_id=source.integration_id,
                from_state=source.state,
                to_state=transition.verdict.state,
                at=now,
                reason=transition.verdict.reason[:500],
                evaluation=evaluation,
                # Flips that alert wait for plan_alerts; the rest need no planning.
                alerts_planned_at=None if transition.alerts else now,
            )
        )
        source.state = transition.verdict.state
        source.state_changed_at = now
    if flips:
        Flip.objects.bulk_create(flips)  # SQLite and PostgreSQL both return the new ids
        ids = sorted({flip.integration_id for flip in flips})
        # Never for a rolled-back change.
        transaction.on_commit(lambda: health_changed.send(sender=Flip, integration_ids=ids))
        transaction.on_commit(lambda: _count_flips(flips))
    return flips


def _count_flips(flips: Sequence[Flip]) -> None:
    for flip in flips:
        metrics.FLIPS.labels(to_state=flip.to_state).inc()
