"""Applying a verdict to the stored state row: the one place health states change and flips are made.

Callers hold the row (select_for_update) in a transaction and save it afterwards.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.db import transaction

from catalog.signals import health_changed
from monitoring.alerting.planning import flip_alerts, plan_alerts
from monitoring.health.state import RunFacts, evaluate, next_check_at
from monitoring.models import Flip, HealthSource, Run

# The fields settle() may change, for save(update_fields=...).
SETTLED_FIELDS = ["state", "state_changed_at", "next_check_due_at", "updated_at"]


def run_facts(run: Run | None) -> RunFacts | None:
    if run is None:
        return None
    return RunFacts(
        external_id=run.external_id,
        status=run.status,
        records_out=run.records_out,
        records_failed=run.records_failed,
        message=run.message,
    )


def settle(source: HealthSource, now: dt.datetime, *, evaluation: uuid.UUID | None = None) -> Flip | None:
    """Re-evaluate `source` at `now`; on a change of state, record the flip (alerts still to plan)."""
    flip = _settled(source, now, evaluation)
    if flip:
        flip.save(force_insert=True)
        _announce([flip])
    return flip


def settle_all(sources: Sequence[HealthSource], now: dt.datetime) -> list[Flip]:
    """settle() each source, the flips made in one insert."""
    flips = [flip for source in sources if (flip := _settled(source, now, None))]
    if flips:
        Flip.objects.bulk_create(flips)  # SQLite and PostgreSQL both return the new ids
        _announce(flips)
    return flips


def _announce(flips: Sequence[Flip]) -> None:
    """Tell catalog (findings) once the flips are committed; never for a rolled-back change."""
    ids = sorted({flip.integration_id for flip in flips})
    transaction.on_commit(lambda: health_changed.send(sender=Flip, integration_ids=ids))


def _settled(source: HealthSource, now: dt.datetime, evaluation: uuid.UUID | None) -> Flip | None:
    """Apply the verdict at `now` to `source`; the flip (not yet saved) when its state changes."""
    verdict = evaluate(
        now,
        source.interval_minutes,
        source.grace_minutes,
        source.last_success_at,
        run_facts(source.last_run),
        source.min_records_per_run,
        source.paused,
    )
    source.next_check_due_at = next_check_at(
        now, verdict.state, source.interval_minutes, source.grace_minutes, source.last_success_at
    )
    if verdict.state == source.state:
        return None
    flip = Flip(
        integration_id=source.integration_id,
        from_state=source.state,
        to_state=verdict.state,
        at=now,
        reason=verdict.reason[:500],
        evaluation=evaluation,
        alerts_planned_at=None if flip_alerts(source.state, verdict.state) else now,
    )
    source.state = verdict.state
    source.state_changed_at = now
    return flip


def settle_and_save(source: HealthSource, now: dt.datetime, update_fields: Sequence[str] | None = None) -> Flip | None:
    """settle(), save the row, and plan the alerts of a flip in the same transaction."""
    flip = settle(source, now)
    source.save(update_fields=[*update_fields, *SETTLED_FIELDS] if update_fields is not None else None)
    if flip:
        plan_alerts([flip], now)
    return flip
