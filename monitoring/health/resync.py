"""Re-sync requests: failed records sent again through the platform in their original order, once,
and tracked until resolved.

- request_resync (the health page): a spec whose resync is replay-in-order gets a replay request,
  queued for a worker once the transaction commits; any other spec gets a manual one.
- replay (the worker): claims the request with a conditional UPDATE (open -> sending) before the
  platform is called, so a redelivered task or a second worker sends nothing; hands the request's
  still-open records, ordered by position, to the adapter's replay; records the outcome: sent (the
  accepted records are marked replay-requested, the platform's reference kept), failed (the error;
  adapters never put a credential in one) or manual (the source kind has no replay API). A worker
  that dies mid-call leaves the request "sending": shown as not confirmed, never sent again.
- settle (deliberately simple): a replayed record is resolved once a successful run finished after
  the replay was sent and no failed record with the same key has been recorded since; a request is
  resolved once none of its records is open (resolved here, or by hand on the health page).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from catalog.choices import Resync
from catalog.models import Integration
from monitoring.health.store import refresh_failed_counts
from monitoring.ingest.polling import target_for
from monitoring.models import FailedRecord, HealthSource, ResyncRequest, Run
from monitoring.models.choices import ResyncMethod, ResyncStatus, RunStatus
from monitoring.platforms import account_throttle, get_replayer, no_replay_reason, outbound
from monitoring.platforms.contract import PollError, ReplayRecord, ReplayResult

logger = logging.getLogger(__name__)

SKIPPED = "skipped"  # replay() found the request not open: another worker has it, or it is done
STALE_AFTER = dt.timedelta(minutes=10)  # an open replay request not claimed by then is queued again
LISTED = 10  # records named in a request's note


def request_resync(
    integration: Integration,
    records: QuerySet[FailedRecord],
    user: Any,
    now: dt.datetime,
    *,
    enqueue: Callable[[int], object],
) -> ResyncRequest:
    """Create a re-sync request for the records; a replay is handed to `enqueue` (the replay_resync
    task's delay) after commit."""
    replayable = integration.resync == Resync.REPLAY_IN_ORDER
    resync = ResyncRequest.objects.create(
        integration=integration,
        method=ResyncMethod.REPLAY if replayable else ResyncMethod.MANUAL,
        status=ResyncStatus.OPEN if replayable else ResyncStatus.MANUAL,
        note="" if replayable else "The spec does not declare replay-in-order re-sync: send these again by hand.",
        requested_at=now,
        requested_by=user,
    )
    resync.failed_records.set(records)
    if replayable:
        # robust: a broker that is down must not undo the request; settle_stale() queues it again.
        transaction.on_commit(functools.partial(enqueue, resync.pk), robust=True)
    return resync


def replay(resync_id: int, now: dt.datetime | None = None) -> str:
    """Send one replay request's open records to the platform, at most once; returns the new status."""
    now = now or timezone.now()
    resync = ResyncRequest.objects.select_related("integration__health_account").filter(pk=resync_id).first()
    if resync is None or resync.method != ResyncMethod.REPLAY or resync.status != ResyncStatus.OPEN:
        return SKIPPED
    integration = resync.integration
    replayer = get_replayer(integration.health_kind)
    unclaimed = ResyncRequest.objects.filter(pk=resync_id, status=ResyncStatus.OPEN)
    if replayer is None:
        note = f"Replay by hand: {no_replay_reason(integration.health_kind)}."
        changed = unclaimed.update(method=ResyncMethod.MANUAL, status=ResyncStatus.MANUAL, note=note)
        return ResyncStatus.MANUAL if changed else SKIPPED
    if not unclaimed.update(status=ResyncStatus.SENDING, claimed_at=now):
        return SKIPPED
    claimed = ResyncRequest.objects.filter(pk=resync_id, status=ResyncStatus.SENDING)
    records = list(resync.failed_records.filter(resolved_at=None).select_related("run").order_by("position"))
    if not records:
        claimed.update(status=ResyncStatus.RESOLVED, resolved_at=now, note="Every record was resolved before sending.")
        return ResyncStatus.RESOLVED
    try:
        target = target_for(integration)
        with outbound.make_client() as client, account_throttle(target):
            result = replayer.replay(target, client, [_replay_record(r) for r in records])
    except (PollError, httpx.HTTPError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("replay of re-sync %s for %s failed: %s", resync_id, integration.key, error)
        claimed.update(status=ResyncStatus.FAILED, error=error[:2000])
        return ResyncStatus.FAILED
    return _record_outcome(claimed, records, result, now)


def _record_outcome(
    claimed: QuerySet[ResyncRequest], records: list[FailedRecord], result: ReplayResult, now: dt.datetime
) -> str:
    by_position = {record.position: record for record in records}
    accepted = [by_position[p] for p in result.accepted if p in by_position]
    skipped = [(by_position[p], why) for p, why in result.skipped.items() if p in by_position]
    status = ResyncStatus.SENT if accepted else ResyncStatus.FAILED
    error = result.error or ("" if accepted else "The platform took none of the records.")
    with transaction.atomic():
        FailedRecord.objects.filter(pk__in=[r.pk for r in accepted]).update(replay_requested_at=now)
        claimed.update(
            status=status,
            sent_at=now if accepted else None,
            platform_ref=result.reference[:500],
            error=error[:2000],
            note=_summary(len(records), len(accepted), skipped),
        )
    return status


def _summary(total: int, sent: int, skipped: list[tuple[FailedRecord, str]]) -> str:
    text = f"Sent {sent} of {total} records in their original order."
    if skipped:
        named = "; ".join(f"{record.key} ({why})" for record, why in skipped[:LISTED])
        more = f" and {len(skipped) - LISTED} more" if len(skipped) > LISTED else ""
        text += f" Not sent: {named}{more}."
    return text


def _replay_record(record: FailedRecord) -> ReplayRecord:
    return ReplayRecord(
        position=record.position,
        key=record.key,
        external_id=record.external_id,
        run_external_id=record.run.external_id if record.run else "",
        occurred_at=record.occurred_at,
    )


def settle(integration_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Resolve replayed records a later successful run has carried, then requests with nothing left
    open (all integrations, or one); returns the number of requests resolved."""
    now = now or timezone.now()
    replayed = FailedRecord.objects.filter(resolved_at=None, replay_requested_at__isnull=False)
    if integration_id is not None:
        replayed = replayed.filter(integration_id=integration_id)
    carried = replayed.filter(
        Exists(
            Run.objects.filter(
                integration_id=OuterRef("integration_id"),
                status=RunStatus.SUCCESS,
                test=False,  # a test run carries nothing
                run_at__gt=OuterRef("replay_requested_at"),
            )
        ),
        ~Exists(
            FailedRecord.objects.filter(
                integration_id=OuterRef("integration_id"),
                key=OuterRef("key"),
                recorded_at__gt=OuterRef("replay_requested_at"),
            )
        ),
    )
    fixed = dict(carried.values_list("pk", "integration_id"))
    if fixed:
        FailedRecord.objects.filter(pk__in=list(fixed), resolved_at=None).update(resolved_at=now)
        _recount(set(fixed.values()))
    pending = ResyncRequest.objects.exclude(status=ResyncStatus.RESOLVED).filter(
        ~Exists(FailedRecord.objects.filter(resync_requests=OuterRef("pk"), resolved_at=None))
    )
    if integration_id is not None:
        pending = pending.filter(integration_id=integration_id)
    return pending.update(status=ResyncStatus.RESOLVED, resolved_at=now)


def _recount(integration_ids: Iterable[int]) -> None:
    """Open failed record counts onto each state row, under its lock (as the health page does)."""
    for integration_id in sorted(integration_ids):
        with transaction.atomic():
            source = HealthSource.objects.select_for_update().filter(integration_id=integration_id).first()
            if source:
                refresh_failed_counts(source)
                source.save(update_fields=["open_failed_records", "oldest_open_failed_at", "updated_at"])


def stale_open(now: dt.datetime | None = None) -> list[int]:
    """Replay requests still unclaimed well after they were made (their task was lost)."""
    now = now or timezone.now()
    return list(
        ResyncRequest.objects.filter(
            method=ResyncMethod.REPLAY, status=ResyncStatus.OPEN, requested_at__lt=now - STALE_AFTER
        ).values_list("pk", flat=True)
    )
