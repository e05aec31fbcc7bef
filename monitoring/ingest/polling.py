"""Pulling health from http status URLs and iPaaS platforms through the adapters.

Adapters (monitoring/platforms) do the HTTP and return a PollResult; health.pipeline.record_polls
stores a batch's results together. Polling a source twice stores nothing twice, so a redelivered
task is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from django.db import transaction
from django.utils import timezone

from catalog.choices import PULLED_HEALTH_KINDS
from catalog.models import Integration
from monitoring import conf
from monitoring.health.pipeline import POISON, record_poll_error, record_polls
from monitoring.health.sources import next_poll_at
from monitoring.health.store import RecordOutcome
from monitoring.models import HealthSource
from monitoring.platforms.contract import PollError, PollResult, PollTarget
from plumbline import metrics

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollOutcome:
    integration_id: int
    polled: bool
    error: str = ""
    recorded: RecordOutcome | None = None


def poll_target(source: HealthSource) -> PollTarget:
    return target_for(source.integration, kind=source.kind, cursor=source.cursor)


def target_for(integration: Integration, *, kind: str | None = None, cursor: str | None = None) -> PollTarget:
    """What an adapter needs to reach an integration's health source (its spec and account)."""
    account = integration.health_account
    return PollTarget(
        kind=kind or integration.health_kind,
        ref=integration.health_ref,
        url=integration.health_url,
        base_url=account.base_url if account else "",
        account_id=account.account_id if account else "",
        secret_env=account.secret_env if account else "",
        token_url=account.token_url if account else "",
        scope=account.scope if account else "",
        cursor=cursor,
        options=integration.health_json or {},
    )


def poll_source(integration_id: int, now: dt.datetime | None = None) -> PollOutcome:
    """Poll one pulled source now and record what it returns (or the error)."""
    return poll_sources([integration_id], now)[0]


def poll_sources(integration_ids: Sequence[int], now: dt.datetime | None = None) -> list[PollOutcome]:
    """Poll several sources one after another over one HTTP client (platform sources share hosts,
    so connections are reused), then store what they returned together; one source's failure is
    recorded and the rest go on."""
    from monitoring.platforms.outbound import shared_client

    sources = HealthSource.objects.select_related("integration__health_account").in_bulk(
        list(integration_ids), field_name="integration_id"
    )
    outcomes: dict[int, PollOutcome] = {}
    pulled: list[tuple[int, HealthSource, PollResult]] = []
    http = shared_client()
    for n, integration_id in enumerate(integration_ids):
        source = sources.get(integration_id)
        if source is None or source.kind not in PULLED_HEALTH_KINDS or source.paused:
            outcomes[n] = PollOutcome(integration_id, polled=False)
            continue
        result = _pull(source, http)
        if isinstance(result, Failure):
            record_poll_error(source.integration_id, result.error, now, retry_after=result.retry_after)
            outcomes[n] = PollOutcome(source.integration_id, polled=True, error=result.error)
        else:
            pulled.append((n, source, result))
    try:
        recorded = record_polls([(source.integration, result) for _, source, result in pulled], now=now)
    except POISON:
        # One result cannot be stored: store each alone, so only that source shows a poll error.
        for n, source, result in pulled:
            outcomes[n] = _record_alone(source, result, now)
    else:
        for (n, source, _), outcome in zip(pulled, recorded, strict=True):
            outcomes[n] = PollOutcome(source.integration_id, polled=True, recorded=outcome)
    return [outcomes[n] for n in range(len(integration_ids))]


def _record_alone(source: HealthSource, result: PollResult, now: dt.datetime | None) -> PollOutcome:
    try:
        [recorded] = record_polls([(source.integration, result)], now=now)
    except POISON as exc:
        error = f"the poll's result could not be stored: {type(exc).__name__}: {exc}"
        logger.warning("poll of %s: %s", source.integration.key, error)
        record_poll_error(source.integration_id, error, now)
        return PollOutcome(source.integration_id, polled=True, error=error)
    return PollOutcome(source.integration_id, polled=True, recorded=recorded)


@dataclass(frozen=True)
class Failure:
    error: str
    retry_after: float | None = None  # seconds the platform asked to wait (429, 503)


def _pull(source: HealthSource, http: httpx.Client) -> PollResult | Failure:
    """What the source's adapter returns, or why it could not."""
    from monitoring.platforms import account_throttle, get_adapter
    from monitoring.platforms.outbound import Throttled

    started = time.perf_counter()
    try:
        target = poll_target(source)
        with account_throttle(target):
            result = get_adapter(source.kind).poll(target, http)
    except (PollError, httpx.HTTPError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        logger.warning("poll of %s failed: %s", source.integration.key, error)
        _count_poll(source.kind, metrics.ERROR, started)
        return Failure(error, exc.retry_after if isinstance(exc, Throttled) else None)
    _count_poll(source.kind, metrics.OK, started)
    return result


def _count_poll(platform: str, outcome: str, started: float) -> None:
    metrics.POLLS.labels(platform=platform, outcome=outcome).inc()
    metrics.POLL_DURATION.labels(platform=platform).observe(time.perf_counter() - started)


def claim_due(now: dt.datetime | None = None, limit: int = 10000) -> list[int]:
    """Integration ids of pulled sources due a poll, claimed by moving their next_poll_at on under
    a row lock (skip_locked: concurrent claimers take disjoint rows), so overlapping beat ticks
    never enqueue one poll twice."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            HealthSource.objects.select_for_update(skip_locked=True)
            .filter(kind__in=PULLED_HEALTH_KINDS, paused=False, next_poll_at__lte=now)
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
