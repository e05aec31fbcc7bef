"""The state row: one HealthSource per monitored integration, what it copies from the spec, when a
pulled one is polled next, and how the pipeline takes it (locked, created when missing). Keeping the
rows in step with changed specs is monitoring/health/specs.py."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from catalog.choices import PULLED_HEALTH_KINDS, HealthKind, Lifecycle, Trigger
from catalog.models import Calendar, Integration, System
from catalog.schedules import WEEKDAY_CALENDAR, BusinessCalendar, Freeze, Schedule
from monitoring import conf
from monitoring.health.state import DEFAULT_GRACE_MINUTES, RunFacts, SourceFacts, declared_interval
from monitoring.models import HealthSource, Run

SPEC_FIELDS = ("kind", "interval_minutes", "grace_minutes", "min_records_per_run", "schedule")


class NotMonitored(Exception):
    """The integration has no health source (health kind none, or retired)."""


def is_monitored(integration: Integration) -> bool:
    """Health kind none gets no source; nor does a retired integration (it is not expected to run)."""
    return integration.health_kind != HealthKind.NONE and integration.lifecycle != Lifecycle.RETIRED


@dataclass(frozen=True)
class ScheduleBook:
    """What an integration's schedule reads besides its own row: the calendars, and the freezes of
    the systems it touches. Loaded once (two queries) for any number of integrations."""

    calendars: dict[int, BusinessCalendar]
    calendar_keys: dict[str, int]
    system_freezes: dict[int, tuple[str, list[dict[str, Any]]]]

    @classmethod
    def load(cls) -> ScheduleBook:
        calendars = {row.pk: row for row in Calendar.objects.order_by()}
        frozen = {pk: (key, freeze) for pk, key, freeze in System.objects.order_by().values_list("pk", "key", "freeze")}
        return cls(
            {pk: calendar.business_calendar() for pk, calendar in calendars.items()},
            {calendar.key: pk for pk, calendar in calendars.items()},
            {pk: value for pk, value in frozen.items() if value[1]},
        )

    def freezes(self, periods: Sequence[dict[str, Any]], origin: str) -> list[Freeze]:
        found = []
        for period in periods:
            calendar = self.calendars.get(self.calendar_keys.get(period.get("calendar", ""), 0), WEEKDAY_CALENDAR)
            found.append(
                Freeze(
                    start=dt.date.fromisoformat(period["from"]) if period.get("from") else None,
                    end=dt.date.fromisoformat(period["to"]) if period.get("to") else None,
                    first_business_days=period.get("first_business_days", 0),
                    last_business_days=period.get("last_business_days", 0),
                    calendar=calendar,
                    reason=period.get("reason", ""),
                    origin=origin,
                )
            )
        return found


def schedule_data(integration: Integration, book: ScheduleBook) -> dict[str, Any]:
    """The integration's schedule as a state row stores it ({} when it has none): its cron, its
    calendar, and its own freezes and those of its source and target systems. A manual trigger
    expects nothing, whatever else is written."""
    if integration.sync_trigger == Trigger.MANUAL:
        return {}
    freezes = book.freezes(integration.freeze or [], f"integration {integration.key}" if integration.key else "")
    for system_id in dict.fromkeys((integration.source_id, integration.target_id)):
        if system_id in book.system_freezes:
            key, periods = book.system_freezes[system_id]
            freezes += book.freezes(periods, f"system {key}")
    calendar_id = integration.sync_calendar_id
    schedule = Schedule(
        cron=integration.sync_schedule,
        timezone=integration.sync_timezone or "UTC",
        calendar=book.calendars.get(calendar_id) if calendar_id else None,
        freezes=tuple(freezes),
    )
    return schedule.to_data()


def spec_values(integration: Integration, book: ScheduleBook | None = None) -> dict[str, Any]:
    """What a health source copies from the spec (`book`: the calendars and system freezes, loaded
    here when not given)."""
    grace = integration.health_grace_minutes
    return {
        "kind": integration.health_kind,
        "interval_minutes": declared_interval(
            integration.sync_trigger, integration.interval_minutes, integration.max_latency_minutes
        ),
        "grace_minutes": DEFAULT_GRACE_MINUTES if grace is None else grace,
        "min_records_per_run": integration.min_records_per_run,
        "schedule": schedule_data(integration, book or ScheduleBook.load()),
    }


def poll_every(source: HealthSource) -> dt.timedelta:
    """How long until a pulled source is polled again: the poll setting, or the declared interval if shorter."""
    minutes = conf.poll_every_minutes()
    if source.interval_minutes:
        minutes = max(1, min(minutes, source.interval_minutes))
    return dt.timedelta(minutes=minutes)


def next_poll_at(source: HealthSource, now: dt.datetime) -> dt.datetime | None:
    """Now plus the poll interval with ±10 % jitter, so thousands of sources do not poll in step."""
    if source.kind not in PULLED_HEALTH_KINDS:
        return None
    every = poll_every(source)
    return now + every * random.uniform(0.9, 1.1)


def ensure_source(integration: Integration) -> HealthSource | None:
    """The integration's source, created from its spec if missing; None when it is not monitored."""
    if not is_monitored(integration):
        return None
    values = spec_values(integration)
    if values["kind"] in PULLED_HEALTH_KINDS:
        values["next_poll_at"] = timezone.now()
    source, _ = HealthSource.objects.get_or_create(integration=integration, defaults=values)
    return source


# State rows as the pipeline takes them: locked, with the latest finished run the state depends on.
LOCKED = HealthSource.objects.select_for_update(of=("self",)).select_related("last_run")


def lock_sources(integrations: Sequence[Integration]) -> dict[int, HealthSource]:
    """The integrations' state rows by integration id, locked in one query (in integration order, so
    two batches cannot deadlock); a missing one is created from the spec, else NotMonitored."""
    ids = [integration.pk for integration in integrations]
    found = {
        source.integration_id: source for source in LOCKED.filter(integration_id__in=ids).order_by("integration_id")
    }
    for integration in integrations:
        if integration.pk not in found:
            if ensure_source(integration) is None:
                raise NotMonitored(integration.key)
            found[integration.pk] = LOCKED.get(integration=integration)
    return found


def run_facts(run: Run | None) -> RunFacts | None:
    """What the state decision needs of a stored run."""
    if run is None:
        return None
    return RunFacts(
        external_id=run.external_id,
        status=run.status,
        records_out=run.records_out,
        records_failed=run.records_failed,
        message=run.message,
    )


def facts_of(source: HealthSource) -> SourceFacts:
    """What the state decision needs of a state row (its last_run loaded)."""
    return SourceFacts(
        state=source.state,
        interval_minutes=source.interval_minutes,
        grace_minutes=source.grace_minutes,
        last_success_at=source.last_success_at,
        last_run=run_facts(source.last_run),
        min_records_per_run=source.min_records_per_run,
        paused=source.paused,
        stopped=source.platform_stopped,
        schedule=Schedule.from_data(source.schedule),
    )
