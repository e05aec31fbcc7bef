"""Applying accepted heartbeats: each pending ping becomes a run of its integration (a start opens
one, a success or fail closes the latest open one, or its run_id's), stored with the state row,
flips and alerts exactly as a poll's runs are (health/pipeline.py), then deleted, in one transaction.

Pings are applied oldest first, one applier at a time, in batches: a batch holds each source's
pings in "rounds" (its first ping in round one, its second in round two...), and each round is
stored in a few queries whatever its size. Each batch is one short transaction (at most BATCH pings
in ROUNDS rounds); a worker that dies mid-batch rolls it back, and its pings stay pending for the
next applier: none is lost or applied twice. Accepting a ping writes no row a batch locks (it counts
on the source's PingCounter), so pings are never held up by an applier.

A ping that cannot be applied (a body this version cannot read, a value the database refuses)
must not hold up the others: the batch is then applied ping by ping, and each one that fails is
moved aside as a DeadPing with the reason, shown on its health page and in the admin, where it is
applied again or discarded. A failure that is not the ping's own (the database unreachable, the
worker stopping) leaves the whole batch pending instead.

Who applies: a worker task queued by the ping endpoint (heartbeats.schedule_apply), the beat's
`apply_pings`, and every reader of health (pages, API, lateness, findings, check_health) before it
reads, so a page shown after a ping's "OK" already shows what the ping changed.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Sequence

from django.db import DatabaseError, connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from catalog.choices import HealthKind
from monitoring.health.pipeline import POISON, record
from monitoring.health.sources import LOCKED
from monitoring.health.store import STORED_FIELDS
from monitoring.ingest.pings import PingBody, parse_ping_body
from monitoring.ingest.plain_pings import lock_and_store_plain
from monitoring.models import DeadPing, PendingPing, Run
from monitoring.models.choices import RunStatus
from monitoring.platforms.contract import FailedRecordObservation, RunObservation

logger = logging.getLogger(__name__)

BATCH = 500
# At most this many rounds (pings of one source) per transaction: a batch of many sources is still
# stored in a few queries, and one busy source holds its state row locked for a few pings only.
ROUNDS = 8
# pg_advisory_xact_lock key: "plumbline apply pings" (any constant other code does not use).
_APPLY_LOCK = 0x706C756D62706E67


def has_pending() -> bool:
    return PendingPing.objects.exists()


def apply_pending_pings(*, batch: int = BATCH, rounds: int = ROUNDS) -> int:
    """Apply every ping accepted so far (not those arriving meanwhile, so a stream of pings cannot
    keep the caller here), one short transaction per batch; how many were applied (or discarded)."""
    last = PendingPing.objects.order_by("-id").values_list("id", flat=True).first()
    applied = 0
    while last is not None:
        taken, last_batch = _apply_batch(batch, rounds, last)
        applied += taken
        if last_batch:
            break
    return applied


def _apply_batch(size: int, max_rounds: int, last: int) -> tuple[int, bool]:
    """One transaction: the oldest pending pings up to id `last`, at most `size` of them in at most
    `max_rounds` rounds (so a busy source's hundreds of pings do not hold its state row for long);
    the rest stay pending for the next. (How many were applied, whether none up to `last` is left.)"""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One applier at a time, so a source's pings are stored in the order received. (SQLite
            # transactions here begin IMMEDIATE: they are one at a time already.) Taken before the
            # pings are read, so no two transactions read the same ones.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_APPLY_LOCK])
        # Ids first: a busy source's backlog is read again by every transaction, its bodies need not be.
        oldest = list(
            PendingPing.objects.filter(id__lte=last).order_by("id").values_list("id", "integration_id")[:size]
        )
        kept = _first_rounds(oldest, max_rounds)
        if not kept:
            return 0, True
        pings = list(PendingPing.objects.filter(id__in=kept).order_by("id"))
        now = timezone.now()
        try:
            with transaction.atomic():
                _apply(pings, now)
        except POISON:
            # One of them cannot be stored: apply each alone, moving aside those that fail.
            for ping in pings:
                try:
                    with transaction.atomic():
                        _apply([ping], now)
                except POISON as exc:
                    _move_aside(ping, exc, now)
        PendingPing.objects.filter(id__in=[ping.pk for ping in pings]).delete()
    return len(pings), len(oldest) < size and len(kept) == len(oldest)


def _first_rounds(pings: Sequence[tuple[int, int]], max_rounds: int) -> list[int]:
    """The ids of the (id, integration id) pairs, in received order, that fall in the first
    `max_rounds` rounds: each source's first `max_rounds` pings."""
    seen: Counter[int] = Counter()
    kept = []
    for ping_id, integration_id in pings:
        seen[integration_id] += 1
        if seen[integration_id] <= max_rounds:
            kept.append(ping_id)
    return kept


def _apply(pings: Sequence[PendingPing], now: dt.datetime) -> None:
    for ping_round in _rounds(pings):
        _apply_round(ping_round, now)


def _move_aside(ping: PendingPing, exc: Exception, now: dt.datetime) -> None:
    error = f"{type(exc).__name__}: {exc}"
    logger.warning("ping %s of integration %s cannot be applied, moved aside: %s", ping.pk, ping.integration_id, error)
    DeadPing.objects.create(
        integration_id=ping.integration_id,
        signal=ping.signal,
        body=ping.body,
        received_at=ping.received_at,
        failed_at=now,
        # What the database refused may be in the message: keep it printable and storable.
        error=error.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")[:2000],
    )


def apply_dead_again(ids: Sequence[int]) -> int:
    """Queue dead pings again, as they were received (after a fix, say); how many."""
    with transaction.atomic():
        dead = list(DeadPing.objects.select_for_update().filter(pk__in=ids).order_by("id"))
        PendingPing.objects.bulk_create(
            PendingPing(integration_id=d.integration_id, signal=d.signal, body=d.body, received_at=d.received_at)
            for d in dead
        )
        DeadPing.objects.filter(pk__in=[d.pk for d in dead]).delete()
    return len(dead)


def discard_dead(ids: Sequence[int]) -> int:
    deleted, _ = DeadPing.objects.filter(pk__in=ids).delete()
    return deleted


def _rounds(pings: Sequence[PendingPing]) -> list[list[PendingPing]]:
    """Split pings (in received order) so that each round has at most one ping per source and a
    source's pings come in their order, round after round."""
    rounds: list[list[PendingPing]] = []
    seen: dict[int, int] = {}
    for ping in pings:
        n = seen.get(ping.integration_id, 0)
        seen[ping.integration_id] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(ping)
    return rounds


def _latest_open_run() -> Subquery:
    """The id of the source's latest heartbeat run still running (what an end ping without run_id closes)."""
    runs = Run.objects.filter(
        integration_id=OuterRef("integration_id"), source_kind=HealthKind.HEARTBEAT, status=RunStatus.RUNNING
    )
    return Subquery(runs.order_by("-run_at", "-id").values("id")[:1])


def _apply_round(pings: Sequence[PendingPing], now: dt.datetime) -> None:
    """Store one ping per source: their state rows locked in one query, the plain pings stored in
    bulk (plain_pings.py), the others' runs in a few queries through the general path."""
    pings = lock_and_store_plain(pings, now, _body)
    if not pings:
        return
    ids = [ping.integration_id for ping in pings]
    locked = (
        LOCKED.filter(integration_id__in=ids)
        .annotate(open_run_id=Subquery(_latest_open_run()))
        .order_by("integration_id")
    )
    sources = {source.integration_id: source for source in locked}
    open_ids = [source.open_run_id for source in sources.values() if source.open_run_id]
    open_runs = Run.objects.in_bulk(open_ids) if open_ids else {}
    batch = []
    known: dict[tuple[int, str], Run | None] = {}
    for ping in pings:
        source = sources.get(ping.integration_id)
        if source is None or source.kind != HealthKind.HEARTBEAT:
            # The spec changed between the ping and now (no longer a heartbeat): nothing to store it as.
            logger.warning("discarding ping %s of integration %s", ping.pk, ping.integration_id)
            continue
        body = _body(ping)  # BadPing (a ValueError) if this version cannot read it
        open_run = open_runs.get(source.open_run_id)
        run, run_known = _ping_run(ping, body, open_run)
        known.update(run_known)
        # No time given: stored as now, but left out of the dedupe key, so a repeated ping adds none.
        failed = [
            FailedRecordObservation(
                key=item.key, error=item.error, occurred_at=item.occurred_at, run_external_id=run.external_id
            )
            for item in body.failed_records
        ]
        batch.append((source, [run], failed))
    if batch:
        record(batch, now, STORED_FIELDS, known)


def _body(ping: PendingPing) -> PingBody:
    return parse_ping_body(ping.body.encode())


def _ping_run(
    ping: PendingPing, body: PingBody, open_run: Run | None
) -> tuple[RunObservation, dict[tuple[int, str], Run | None]]:
    """The run a ping reports, and the stored run it is (None: a new one) when that is already known.
    Without a run_id, an end ping closes the latest run a start ping opened."""
    external_id = body.run_id
    received = ping.received_at
    started_at = received if ping.signal == "start" else None
    known: dict[tuple[int, str], Run | None] = {}
    if external_id is None and ping.signal != "start" and open_run is not None:
        external_id, started_at = open_run.external_id, open_run.started_at
        known[(ping.integration_id, external_id)] = open_run
    if external_id is None:
        external_id = f"ping-{uuid.uuid4().hex}"
        known[(ping.integration_id, external_id)] = None  # made up just now: nothing stored has it
    if ping.signal == "start":
        return RunObservation(
            external_id=external_id, status="running", started_at=started_at, message=body.message
        ), known
    records_failed = body.records_failed
    if records_failed is None and body.failed_records:
        records_failed = len(body.failed_records)
    observation = RunObservation(
        external_id=external_id,
        status="success" if ping.signal == "success" else "failed",
        started_at=started_at,
        finished_at=received,
        records_in=body.records_in,
        records_out=body.records_out,
        records_failed=records_failed,
        message=body.message,
    )
    return observation, known


def apply_before_reading() -> None:
    """What readers of health call first; one cheap query when nothing is pending. A read is never
    refused for a failed apply: it shows what is stored, and a worker applies the pings later."""
    if not has_pending():
        return
    try:
        apply_pending_pings()
    except DatabaseError:
        logger.exception("could not apply pending pings before reading health; showing what is stored")
