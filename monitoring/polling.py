"""Pulling health from http status URLs and iPaaS platforms through the adapters.

Adapters (monitoring/adapters) do the HTTP and return a PollResult; recording.record_poll
stores it. Polling a source twice stores nothing twice, so a redelivered task is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from django.db import transaction
from django.utils import timezone

from monitoring import conf
from monitoring.models import HealthSource
from monitoring.observations import PollError, PollTarget
from monitoring.recording import RecordOutcome, record_poll, record_poll_error
from monitoring.sources import PULLED_KINDS, next_poll_at

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollOutcome:
    integration_id: int
    polled: bool
    error: str = ""
    recorded: RecordOutcome | None = None


def poll_target(source: HealthSource) -> PollTarget:
    integration = source.integration
    account = integration.health_account
    return PollTarget(
        kind=source.kind,
        ref=integration.health_ref,
        url=integration.health_url,
        base_url=account.base_url if account else "",
        account_id=account.account_id if account else "",
        secret_env=account.secret_env if account else "",
        cursor=source.cursor,
    )


def poll_source(integration_id: int, now: dt.datetime | None = None) -> PollOutcome:
    """Poll one pulled source now and record what it returns (or the error)."""
    return poll_sources([integration_id], now)[0]


def poll_sources(integration_ids: Sequence[int], now: dt.datetime | None = None) -> list[PollOutcome]:
    """Poll several sources one after another over one HTTP client (platform sources share hosts,
    so connections are reused); one source's failure is recorded and the rest go on."""
    from monitoring.outbound import make_client

    sources = HealthSource.objects.select_related("integration__health_account").in_bulk(
        list(integration_ids), field_name="integration_id"
    )
    outcomes = []
    with make_client() as http:
        for integration_id in integration_ids:
            source = sources.get(integration_id)
            if source is None or source.kind not in PULLED_KINDS or source.paused:
                outcomes.append(PollOutcome(integration_id, polled=False))
            else:
                outcomes.append(_poll(source, http, now))
    return outcomes


def _poll(source: HealthSource, http: httpx.Client, now: dt.datetime | None) -> PollOutcome:
    from monitoring.adapters import get_adapter

    try:
        result = get_adapter(source.kind).poll(poll_target(source), http)
    except (PollError, httpx.HTTPError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("poll of %s failed: %s", source.integration.key, error)
        record_poll_error(source.integration_id, error, now)
        return PollOutcome(source.integration_id, polled=True, error=error)
    recorded = record_poll(source.integration, result, now=now)
    return PollOutcome(source.integration_id, polled=True, recorded=recorded)


def claim_due(now: dt.datetime | None = None, limit: int = 10000) -> list[int]:
    """Integration ids of pulled sources due a poll, claimed by moving their next_poll_at on under
    a row lock (skip_locked: concurrent claimers take disjoint rows), so overlapping beat ticks
    never enqueue one poll twice."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            HealthSource.objects.select_for_update(skip_locked=True)
            .filter(kind__in=PULLED_KINDS, paused=False, next_poll_at__lte=now)
            .order_by("next_poll_at")
            .only("pk", "integration_id", "kind", "interval_minutes", "next_poll_at")[:limit]
        )
        for source in due:
            source.next_poll_at = next_poll_at(source, now)
        HealthSource.objects.bulk_update(due, ["next_poll_at"], batch_size=500)
    return [source.integration_id for source in due]


def poll_due_sources(enqueue: Callable[[list[int]], object], now: dt.datetime | None = None) -> int:
    """Hand the due sources to `enqueue` in batches (a Celery task per batch, not per source:
    per-task overhead would otherwise cap polls per second)."""
    claimed = claim_due(now)
    size = conf.poll_batch_size()
    for start in range(0, len(claimed), size):
        enqueue(claimed[start : start + size])
    return len(claimed)
