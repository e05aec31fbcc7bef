"""Builders shared by the post-go-live review tests (no tests here): a go-live that went live some
days ago and was signed off on its date, and something for every section of its review."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from catalog.models import ChangeRecord, GoLive, GoLiveIntegration, Integration, Person, SignOff
from monitoring.models import FailedRecord, Flip, Run
from tests.catalog.test_readiness_support import APPROVER, ready_golive, ready_integration

KEY = "netsuite-go-live"


def at_noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def start_of(golive: GoLive) -> dt.datetime:
    """Midnight at the start of the go-live's date: where the review counts failures from."""
    assert golive.date is not None
    return timezone.make_aware(dt.datetime.combine(golive.date, dt.time.min))


def signed_golive(days_ago: int, count: int = 1, *, key: str = KEY, signed: bool = True) -> GoLive:
    """A ready go-live dated `days_ago` days before today, signed off at noon on its date."""
    golive = ready_golive(count, key=key)
    golive.date = timezone.localdate() - dt.timedelta(days=days_ago)
    golive.save(update_fields=["date"])
    if signed:
        SignOff.objects.create(
            golive=golive, signed_by_email=APPROVER, signed_at=at_noon(golive.date), readiness_percent=100
        )
    return golive


def add_to_scope(golive: GoLive, integration: Integration) -> Integration:
    GoLiveIntegration.objects.create(golive=golive, integration=integration, position=golive.scope.count())
    return integration


def deferred_integration(golive: GoLive) -> Integration:
    """Phase two, promised for a day, and still being built."""
    return add_to_scope(
        golive,
        ready_integration(
            f"{golive.key}-deferred",
            name="Deferred refunds",
            phase="phase-two",
            lifecycle="building",
            target_date=dt.date(2027, 6, 30),
        ),
    )


def workaround_integration(golive: GoLive) -> Integration:
    doer, _ = Person.objects.get_or_create(email="clerk@example.com", defaults={"name": "Casey Clerk"})
    return add_to_scope(
        golive,
        ready_integration(
            f"{golive.key}-workaround",
            name="Manual vendor upload",
            workaround_description="Weekly CSV upload of vendor bills",
            workaround_performed_by=doer,
            workaround_hours_per_month=6.5,
        ),
    )


def fail(integration: Integration, since: dt.datetime, *, runs: int = 2, flips: int = 1, records: int = 3) -> None:
    """Failures after `since` (and one of each before it, which the review must not count)."""
    before = since - dt.timedelta(days=1)
    for n, at in enumerate([before] + [since + dt.timedelta(hours=h + 1) for h in range(runs)]):
        Run.objects.create(
            integration=integration, external_id=f"r{n}", source_kind="heartbeat", status="failed", run_at=at
        )
    Run.objects.create(
        integration=integration, external_id="test", source_kind="heartbeat", status="failed", run_at=since, test=True
    )
    for at in [before] + [since + dt.timedelta(hours=h + 1) for h in range(flips)]:
        Flip.objects.create(integration=integration, from_state="up", to_state="down", at=at)
    Flip.objects.create(integration=integration, from_state="down", to_state="up", at=since + dt.timedelta(hours=9))
    for n in range(records + 1):
        FailedRecord.objects.create(
            integration=integration,
            position=n,
            key=f"INV-{n}",
            dedupe_key=f"INV-{n}",
            recorded_at=since + dt.timedelta(hours=n) if n else before,
        )
    FailedRecord.objects.create(
        integration=integration,
        position=99,
        key="INV-resolved",
        dedupe_key="INV-resolved",
        recorded_at=since + dt.timedelta(hours=1),
        resolved_at=since + dt.timedelta(hours=2),
    )


def change_spec(integration: Integration, at: dt.datetime, action: str = "update") -> ChangeRecord:
    return ChangeRecord.objects.create(
        at=at, via="page", kind="Integration", key=integration.key, action=action, before={}, after={}
    )
