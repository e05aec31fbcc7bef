"""Accepting heartbeats: a ping (`/ping/<uuid>[/start|/fail]`, or `/ping/<key>/<slug>[/start|/fail]`
under the platform ping key) is checked (known, a heartbeat source, under the rate limit of N per
minute per ping URL), counted, and appended to the pending pings in one statement; the runs and
the state it means are stored by monitoring/ingest/pending.py, in batches, moments later. A ping
is mostly round trips, so accepting one is a single round trip on PostgreSQL. It is counted on its
source's PingCounter, never on the state row, so it never waits for the applier, which holds state
rows locked while it stores a batch.

A slug ping no integration answers to is an observed connection instead: something running that
no spec describes.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
import uuid
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from catalog.choices import HealthKind
from catalog.models import Integration
from catalog.signals import health_changed
from monitoring import conf
from monitoring.health.sources import NotMonitored, ensure_source
from monitoring.ingest.pings import PingBody
from monitoring.models import HealthSource, ObservedConnection, PendingPing, PingCounter

logger = logging.getLogger(__name__)

# Pings wait at most about this long for a worker to apply them (see schedule_apply).
APPLY_DELAY_SECONDS = 1.0


class WrongKind(Exception):
    """A heartbeat for an integration whose health is observed another way."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"health kind is {kind}, not heartbeat")
        self.kind = kind


class UnknownPing(Exception):
    """No integration has this ping uuid."""


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many pings; retry after {retry_after} s")
        self.retry_after = retry_after


def is_ping_uuid(ping_uuid: uuid.UUID | str) -> bool:
    """Whether an integration has this ping uuid (asked only when a ping is refused)."""
    return Integration.objects.filter(ping_uuid=uuid.UUID(str(ping_uuid))).exists()


def accept_ping_to(ping_uuid: uuid.UUID | str, signal: str, body: PingBody, *, now: dt.datetime | None = None) -> None:
    """Accept a ping for the integration with this ping uuid (`signal`: start, success or fail).
    Raises UnknownPing, WrongKind, NotMonitored or RateLimited having written nothing."""
    _accept("ping_uuid", uuid.UUID(str(ping_uuid)), signal, body, now or timezone.now())


def accept_ping_by_key(slug: str, signal: str, body: PingBody, *, now: dt.datetime | None = None) -> None:
    """accept_ping_to for the integration with this key (a slug ping under the platform ping key)."""
    _accept("key", slug, signal, body, now or timezone.now())


def _accept(field: str, value: uuid.UUID | str, signal: str, body: PingBody, now: dt.datetime) -> None:
    if connection.vendor == "postgresql" and _accept_in_one_statement(field, value, signal, body, now):
        return
    # Elsewhere, and to say why PostgreSQL's statement took nothing: the same steps, one by one.
    _accept_step_by_step(field, value, signal, body, now)


def _accept_step_by_step(field: str, value: uuid.UUID | str, signal: str, body: PingBody, now: dt.datetime) -> None:
    with transaction.atomic():
        # The state row is read, never locked: the applier may hold it for its batch.
        sources = HealthSource.objects.select_related("ping_counter").only(
            "integration_id", "kind", *(f"ping_counter__{name}" for name in _COUNTER_FIELDS)
        )
        source = sources.filter(**{f"integration__{field}": value}).first()
        if source is None:
            integration = Integration.objects.filter(**{field: value}).first()
            if integration is None:
                raise UnknownPing(str(value))
            if ensure_source(integration) is None:
                raise NotMonitored(integration.key)
            source = sources.get(integration=integration)
        if source.kind != HealthKind.HEARTBEAT:
            raise WrongKind(source.kind)
        counter = _locked_counter(source)
        _count_ping(counter, now)
        counter.last_ping_at = now
        counter.save(update_fields=_COUNTER_FIELDS)
        PendingPing.objects.create(
            integration_id=source.integration_id, signal=signal, body=body.to_json(), received_at=now
        )


_COUNTER_FIELDS = ["ping_window_start", "ping_window_count", "last_ping_at"]


def _locked_counter(source: HealthSource) -> PingCounter:
    """The source's ping counter, made on its first ping. Locked where rows can be; SQLite's write
    transaction holds the whole database, so the one read with the source will do there."""
    locked = PingCounter.objects.select_for_update()
    if not connection.features.has_select_for_update:
        try:
            return source.ping_counter
        except PingCounter.DoesNotExist:
            pass
    elif counter := locked.filter(source=source).first():
        return counter
    PingCounter.objects.bulk_create([PingCounter(source=source)], ignore_conflicts=True)  # a concurrent ping may win
    return locked.get(source=source)


@functools.cache
def _one_statement_sql(field: str) -> str:
    """Count the ping on its heartbeat source's counter unless over the limit, and append it; a row
    back means accepted. Only the counter row is written (made on the first ping), never the state
    row the applier locks. Only quoted model names are formatted in; every value is a parameter."""
    quote = connection.ops.quote_name
    source, integration, counter, pending = (
        quote(model._meta.db_table) for model in (HealthSource, Integration, PingCounter, PendingPing)
    )
    return f"""
        WITH durability AS (
            SELECT set_config(
                'synchronous_commit', COALESCE(%(synchronous_commit)s, current_setting('synchronous_commit')), true
            )
        ),
        heartbeat AS (
            SELECT hs.id, hs.integration_id FROM {source} AS hs JOIN {integration} AS i ON hs.integration_id = i.id
            WHERE i.{quote(field)} = %(value)s AND hs.kind = %(kind)s
        ),
        counted AS (
            INSERT INTO {counter} AS pc (source_id, ping_window_start, ping_window_count, last_ping_at)
            SELECT id, %(window)s, 1, %(now)s FROM heartbeat
            ON CONFLICT (source_id) DO UPDATE SET
                ping_window_count = CASE WHEN pc.ping_window_start = EXCLUDED.ping_window_start
                    THEN pc.ping_window_count + 1 ELSE 1 END,
                ping_window_start = EXCLUDED.ping_window_start,
                last_ping_at = EXCLUDED.last_ping_at
            WHERE pc.ping_window_start IS DISTINCT FROM EXCLUDED.ping_window_start
                OR pc.ping_window_count < %(limit)s
            RETURNING pc.source_id
        )
        INSERT INTO {pending} (integration_id, signal, body, received_at)
        SELECT heartbeat.integration_id, %(signal)s, %(body)s, %(now)s
        FROM counted JOIN heartbeat ON heartbeat.id = counted.source_id CROSS JOIN durability
        RETURNING id
    """  # noqa: S608


def _accept_in_one_statement(field: str, value: uuid.UUID | str, signal: str, body: PingBody, now: dt.datetime) -> bool:
    """PostgreSQL: the whole acceptance as one prepared statement (a parsed and planned statement
    costs more than the ping's other work). False when it took nothing: unknown, not a heartbeat,
    over the limit, or no source row yet."""
    params = {
        "window": now.replace(second=0, microsecond=0),
        "now": now,
        "value": value,
        "kind": HealthKind.HEARTBEAT.value,
        "limit": conf.ping_rate_per_minute(),
        "signal": signal,
        "body": body.to_json(),
        # None: as configured (which may be stronger than "on", e.g. remote_apply).
        "synchronous_commit": "off" if _may_commit_fast(signal, body) else None,
    }
    # Django's cursors bind parameters client-side, so nothing they run is ever prepared: this
    # statement goes through a server-binding cursor of the same connection (and transaction),
    # prepared once per connection (settings.py allows it with prepare_threshold).
    import psycopg

    sql = _one_statement_sql(field)
    for attempt in (1, 2):
        connection.ensure_connection()
        assert connection.connection is not None
        try:
            with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
                return cursor.execute(sql, params, prepare=True).fetchone() is not None
        except (OperationalError, InterfaceError):
            if attempt == 2 or connection.in_atomic_block or not _lost(connection.connection):
                raise
            # A kept connection the server closed meanwhile (a restart terminates idle connections,
            # so the statement never ran): it goes once more on a new connection. Found here rather
            # than by Django's health check, a SELECT 1 before each request's first statement that
            # would double a ping's round trips. Should the connection break while the statement
            # commits, the ping may be stored twice, as when its sender retries after a 503.
            connection.close()
    raise AssertionError("unreachable")


def _lost(raw: Any) -> bool:
    """Whether psycopg has found this connection broken (the server closed it), not merely failed."""
    return bool(raw is None or raw.closed or getattr(raw, "broken", False))


def _may_commit_fast(signal: str, body: PingBody) -> bool:
    """Whether the ping may be committed without waiting for PostgreSQL's WAL flush (the larger
    part of a ping's cost). Only a start or success ping carrying no failed records: if PostgreSQL
    itself crashes, the last fraction of a second of those can be forgotten (the database stays
    consistent), which the integration's next ping makes good. A fail ping, or one reporting failed
    records, waits for the flush like every other write."""
    return conf.ping_fast_commit() and signal != "fail" and not body.failed_records


_next_apply_at = 0.0


def schedule_apply() -> None:
    """Have a worker apply pending pings within about APPLY_DELAY_SECONDS: at most one task per
    web process per delay, so a burst of pings costs one task, not one each. A ping a task just
    missed is applied by the next one, by the beat's apply_pings, or by the next read of health."""
    global _next_apply_at
    clock = time.monotonic()
    if clock < _next_apply_at:
        return
    _next_apply_at = clock + APPLY_DELAY_SECONDS
    from monitoring.tasks import apply_pings

    try:
        apply_pings.apply_async(countdown=APPLY_DELAY_SECONDS)
    except Exception:  # the broker is down: the ping is stored, the beat or a read applies it
        logger.warning("could not queue apply_pings; pending pings wait for the next pass", exc_info=True)


# Observed heartbeats as recording takes them: locked.
_OBSERVED_HEARTBEATS = ObservedConnection.objects.select_for_update().filter(account=None)


def observe_heartbeat(slug: str, *, now: dt.datetime | None = None) -> ObservedConnection:
    """A slug ping no integration answers to: remembered as an observed connection (first seen kept,
    last seen and count updated). At most N pings per slug and N new slugs per minute, so a runaway
    loop cannot flood the table; RateLimited otherwise, having written nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        observed = _OBSERVED_HEARTBEATS.filter(ref=slug).first()
        if observed is None:
            observed = _new_observed_heartbeat(slug, now)
        if observed is None:  # another ping created it meanwhile
            observed = _OBSERVED_HEARTBEATS.get(ref=slug)
        _count_ping(observed, now)
        observed.last_seen_at = now
        observed.ping_count += 1
        observed.save(update_fields=["last_seen_at", "ping_count", "ping_window_start", "ping_window_count"])
    return observed


def _new_observed_heartbeat(slug: str, now: dt.datetime) -> ObservedConnection | None:
    """Insert the slug's row (not yet counted), or None when a concurrent ping inserted it first."""
    window = now.replace(second=0, microsecond=0)
    if (
        ObservedConnection.objects.filter(account=None, first_seen_at__gte=window).count()
        >= conf.ping_rate_per_minute()
    ):
        raise RateLimited(retry_after=60 - now.second)
    try:
        with transaction.atomic():
            observed = ObservedConnection.objects.create(ref=slug, name=slug, first_seen_at=now, last_seen_at=now)
    except IntegrityError:
        return None
    # A new undocumented connection is a finding: have stored findings refreshed as after a flip.
    transaction.on_commit(lambda: health_changed.send(sender=ObservedConnection, integration_ids=[]))
    return observed


def _count_ping(source: PingCounter | ObservedConnection, now: dt.datetime) -> None:
    """At most N pings per URL per one-minute window, counted on the (locked) ping counter or observed row."""
    window = now.replace(second=0, microsecond=0)
    if source.ping_window_start == window:
        if source.ping_window_count >= conf.ping_rate_per_minute():
            raise RateLimited(retry_after=60 - now.second)
        source.ping_window_count += 1
    else:
        source.ping_window_start = window
        source.ping_window_count = 1
