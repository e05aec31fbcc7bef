"""What the health page's actions do, once for the pages and the API: acknowledge, resolve or re-sync an
integration's open failed records, resolve a re-sync, acknowledge an alert. Only the integration's
owners (owner or backup owner) and admins act (require_can_act raises PermissionDenied otherwise)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog.models import Integration
from catalog.ownership import can_edit
from monitoring.alerting import escalation
from monitoring.health.resync import request_resync, settle
from monitoring.health.store import refresh_failed_counts
from monitoring.models import Alert, FailedRecord, HealthSource, ResyncRequest
from monitoring.models.choices import ResyncStatus
from monitoring.tasks import replay_resync

RECORD_ACTIONS = ("acknowledge", "resolve", "resync")
NOTE_LENGTH = 300  # FailedRecord.resolution
REFUSED = "Only the integration's owner, its backup owner or an admin acts on its health."


def can_act(user: Any, integration: Integration) -> bool:
    """Admins, and owners of this integration (owner or backup owner): the same rule as editing its spec."""
    return can_edit(user, integration)


def require_can_act(user: Any, integration: Integration) -> None:
    if not can_act(user, integration):
        raise PermissionDenied(REFUSED)


def open_records(integration: Integration, ids: Iterable[int]) -> QuerySet[FailedRecord]:
    """The integration's failed records among `ids` that are still open (others are never acted on)."""
    return FailedRecord.objects.filter(integration=integration, pk__in=list(ids), resolved_at=None)


def acknowledge_records(records: QuerySet[FailedRecord], user: Any, now: dt.datetime | None = None) -> int:
    """Acknowledged: seen and being dealt with; still open. Returns how many were not acknowledged before."""
    return int(records.filter(acknowledged_at=None).update(acknowledged_at=now or timezone.now(), acknowledged_by=user))


def resolve_records(integration: Integration, records: QuerySet[FailedRecord], user: Any, note: str = "") -> int:
    """Mark records resolved (with an optional note) and recount the open ones on the state row, under its lock;
    a re-sync whose records are now all resolved is resolved too."""
    with transaction.atomic():
        done = records.filter(resolved_at=None).update(
            resolved_at=timezone.now(), resolved_by=user, resolution=note[:NOTE_LENGTH]
        )
        source = HealthSource.objects.select_for_update().filter(integration=integration).first()
        if source:
            refresh_failed_counts(source)
            source.save(update_fields=["open_failed_records", "oldest_open_failed_at", "updated_at"])
        settle(integration.pk)
    return int(done)


def resync_records(
    integration: Integration, records: QuerySet[FailedRecord], user: Any, now: dt.datetime | None = None
) -> ResyncRequest:
    """A re-sync request for the records: replayed by a worker after commit when the spec says replay-in-order."""
    with transaction.atomic():
        return request_resync(integration, records, user, now or timezone.now(), enqueue=replay_resync.delay)


def act_on_records(
    integration: Integration, records: QuerySet[FailedRecord], action: str, user: Any, note: str = ""
) -> tuple[int, ResyncRequest | None]:
    """One of RECORD_ACTIONS on open records: how many changed, and the re-sync request made (for resync)."""
    require_can_act(user, integration)
    if action == "acknowledge":
        return acknowledge_records(records, user), None
    if action == "resolve":
        return resolve_records(integration, records, user, note), None
    if action == "resync":
        resync = resync_records(integration, records, user)
        return resync.failed_records.count(), resync
    raise ValueError(f"unknown action {action!r}")


def resolve_resync(resync: ResyncRequest, user: Any) -> bool:
    """A re-sync is done: it and the failed records it carried are resolved. False if it was resolved already."""
    require_can_act(user, resync.integration)
    with transaction.atomic():
        unresolved = ResyncRequest.objects.filter(pk=resync.pk).exclude(status=ResyncStatus.RESOLVED)
        if not unresolved.update(status=ResyncStatus.RESOLVED, resolved_at=timezone.now(), resolved_by=user):
            return False
        resolve_records(resync.integration, resync.failed_records.all(), user)
    return True


def acknowledge_alert(alert: Alert, user: Any) -> int:
    """Acknowledging one alert acknowledges every alert of its flip: escalation stops."""
    require_can_act(user, alert.flip.integration)
    return escalation.acknowledge(alert, user)
