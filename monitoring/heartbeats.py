"""Recording heartbeats: a ping (`/ping/<uuid>[/start|/fail]`, or `/ping/<key>/<slug>[/start|/fail]`
under the platform ping key) becomes a run of its integration, stored through recording.py like a
poll's runs, at most N per minute per ping URL. A slug ping no integration answers to is an observed
connection instead: something running that no spec describes."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.choices import HealthKind
from catalog.models import Integration
from catalog.signals import health_changed
from monitoring import conf
from monitoring.models import HealthSource, ObservedConnection, Run
from monitoring.models.choices import RunStatus
from monitoring.observations import FailedRecordObservation, RunObservation
from monitoring.pings import PingBody
from monitoring.recording import (
    LOCKED,
    STORED_FIELDS,
    RecordOutcome,
    finish_recording,
    locked_source,
    store_observations,
)

PINGED_FIELDS = [*STORED_FIELDS, "last_ping_at", "ping_window_start", "ping_window_count"]


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


def record_ping(
    integration: Integration, signal: str, body: PingBody, *, now: dt.datetime | None = None
) -> RecordOutcome:
    """A heartbeat: `signal` is "start", "success" or "fail". Raises WrongKind, NotMonitored or
    RateLimited having written nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        return _record_ping(locked_source(integration), signal, body, now)


def record_ping_to(
    ping_uuid: uuid.UUID | str, signal: str, body: PingBody, *, now: dt.datetime | None = None
) -> RecordOutcome:
    """record_ping for the integration with this ping uuid; raises UnknownPing too."""
    return _record_ping_found("ping_uuid", ping_uuid, signal, body, now or timezone.now())


def record_ping_by_key(slug: str, signal: str, body: PingBody, *, now: dt.datetime | None = None) -> RecordOutcome:
    """record_ping for the integration with this key (a slug ping under the platform ping key);
    raises UnknownPing when no integration has it."""
    return _record_ping_found("key", slug, signal, body, now or timezone.now())


def _record_ping_found(
    field: str, value: uuid.UUID | str, signal: str, body: PingBody, now: dt.datetime
) -> RecordOutcome:
    """The integration found by its unique `field`, its state row found and locked in the same query
    (a ping is mostly round trips)."""
    with transaction.atomic():
        found = LOCKED.filter(**{f"integration__{field}": value}).order_by()  # unique: no ORDER BY
        source = next(iter(found), None)
        if source is None:
            integration = Integration.objects.filter(**{field: value}).first()
            if integration is None:
                raise UnknownPing(str(value))
            source = locked_source(integration)
        return _record_ping(source, signal, body, now)


# Observed heartbeats as recording takes them: locked.
_OBSERVED_HEARTBEATS = ObservedConnection.objects.select_for_update().filter(account=None)


def observe_heartbeat(slug: str, *, now: dt.datetime | None = None) -> ObservedConnection:
    """A slug ping no integration answers to: remembered as an observed connection (first seen kept,
    last seen and count updated). At most N pings per slug and N new slugs per minute, so a runaway
    loop cannot flood the table; RateLimited otherwise, having written nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        connection = _OBSERVED_HEARTBEATS.filter(ref=slug).first()
        if connection is None:
            connection = _new_observed_heartbeat(slug, now)
        if connection is None:  # another ping created it meanwhile
            connection = _OBSERVED_HEARTBEATS.get(ref=slug)
        _count_ping(connection, now)
        connection.last_seen_at = now
        connection.ping_count += 1
        connection.save(update_fields=["last_seen_at", "ping_count", "ping_window_start", "ping_window_count"])
    return connection


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
            connection = ObservedConnection.objects.create(ref=slug, name=slug, first_seen_at=now, last_seen_at=now)
    except IntegrityError:
        return None
    # A new undocumented connection is a finding: have stored findings refreshed as after a flip.
    transaction.on_commit(lambda: health_changed.send(sender=ObservedConnection, integration_ids=[]))
    return connection


def _record_ping(source: HealthSource, signal: str, body: PingBody, now: dt.datetime) -> RecordOutcome:
    if source.kind != HealthKind.HEARTBEAT:
        raise WrongKind(source.kind)
    _count_ping(source, now)
    source.last_ping_at = now
    run, known = _ping_run(source.integration_id, signal, body, now)
    failed = [
        FailedRecordObservation(
            key=item.key, error=item.error, occurred_at=item.occurred_at, run_external_id=run.external_id
        )
        for item in body.failed_records
    ]
    outcome = store_observations([(source, [run], failed)], now, known)[0]
    finish_recording([source], [outcome], now, PINGED_FIELDS)
    return outcome


def _count_ping(source: HealthSource | ObservedConnection, now: dt.datetime) -> None:
    """At most N pings per URL per one-minute window, counted on the (locked) state or observed row."""
    window = now.replace(second=0, microsecond=0)
    if source.ping_window_start == window:
        if source.ping_window_count >= conf.ping_rate_per_minute():
            raise RateLimited(retry_after=60 - now.second)
        source.ping_window_count += 1
    else:
        source.ping_window_start = window
        source.ping_window_count = 1


def _ping_run(
    integration_id: int, signal: str, body: PingBody, now: dt.datetime
) -> tuple[RunObservation, dict[tuple[int, str], Run | None]]:
    """The run a ping reports, and the stored run it is (None: a new one) when that is already known.
    Without a run_id, an end ping closes the latest run a start ping opened."""
    external_id = body.run_id
    started_at = now if signal == "start" else None
    known: dict[tuple[int, str], Run | None] = {}
    if external_id is None and signal != "start":
        open_run = (
            Run.objects.filter(
                integration_id=integration_id, source_kind=HealthKind.HEARTBEAT, status=RunStatus.RUNNING
            )
            .order_by("-run_at", "-id")
            .first()
        )
        if open_run:
            external_id, started_at = open_run.external_id, open_run.started_at
            known[(integration_id, external_id)] = open_run
    if external_id is None:
        external_id = f"ping-{uuid.uuid4().hex}"
        known[(integration_id, external_id)] = None  # made up just now: nothing stored has it
    if signal == "start":
        observation = RunObservation(
            external_id=external_id, status="running", started_at=started_at, message=body.message
        )
        return observation, known
    records_failed = body.records_failed
    if records_failed is None and body.failed_records:
        records_failed = len(body.failed_records)
    observation = RunObservation(
        external_id=external_id,
        status="success" if signal == "success" else "failed",
        started_at=started_at,
        finished_at=now,
        records_in=body.records_in,
        records_out=body.records_out,
        records_failed=records_failed,
        message=body.message,
    )
    return observation, known
