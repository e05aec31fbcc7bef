"""Escalating unacknowledged alerts: first to the backup owner, then to the owner's manager."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import Integration
from monitoring import conf
from monitoring.alerting.planning import Recipient, create_alerts
from monitoring.alerting.release import RELEASED
from monitoring.health.state import ALERTING_STATES
from monitoring.models import Alert, Flip, HealthSource
from monitoring.models.choices import Channel

LEVELS = {1: "backup owner", 2: "owner's manager"}
TOP_LEVEL = max(LEVELS)


def people_at(level: int, integrations: Sequence[Integration]) -> list[Recipient]:
    """Who is told at an escalation level: backup owners (1), the owners' managers (2)."""
    found = []
    for integration in integrations:
        person = integration.backup_owner if level == 1 else (integration.owner and integration.owner.manager)
        if person and person.active:
            found.append((Channel.EMAIL.value, person.email))
    return list(dict.fromkeys(found))


def escalate_due(now: dt.datetime | None = None) -> int:
    """Escalate flips whose latest alerts were sent over N minutes ago and nobody acknowledged.

    Only while the integration is still in the flip's state; each level is claimed once per flip
    with a conditional UPDATE of flip.escalation_level.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(minutes=conf.escalate_after_minutes())
    acknowledged = Alert.objects.filter(acknowledged_at__isnull=False).values("flip_id")
    candidates = (
        Flip.objects.filter(
            Q(suppressed_reason="") | Q(suppressed_reason__endswith=RELEASED),  # held, then alerted after all
            to_state__in=ALERTING_STATES,
            escalation_level__lt=TOP_LEVEL,
            alerts__escalation_level=F("escalation_level"),
            alerts__sent_at__lte=cutoff,
        )
        .exclude(pk__in=acknowledged)
        .distinct()
    )
    created = 0
    for flip in candidates:
        current = HealthSource.objects.filter(integration_id=flip.integration_id).values_list(
            "state", "state_changed_at"
        )
        if list(current) != [(flip.to_state, flip.at)]:
            continue  # recovered or changed since: nothing to escalate
        created += _escalate(flip, now)
    return created


def _escalate(flip: Flip, now: dt.datetime) -> int:
    latest = flip.alerts.order_by("-escalation_level", "-id").first()
    if latest is None:
        return 0
    covered = list(latest.covers.all()) or [flip]
    integrations = Integration.objects.select_related("owner__manager", "backup_owner", "source", "target").in_bulk(
        {f.integration_id for f in covered}
    )
    level, people = flip.escalation_level, list[Recipient]()
    while level < TOP_LEVEL and not people:
        level += 1
        people = people_at(level, list(integrations.values()))
    with transaction.atomic():
        if Flip.objects.filter(pk=flip.pk, escalation_level=flip.escalation_level).update(escalation_level=level) != 1:
            return 0  # another worker escalated it
        if not people:
            return 0
        note = (
            f"Not acknowledged {conf.escalate_after_minutes()} minutes after it was sent; "
            f"you are told as the {LEVELS[level]}."
        )
        return create_alerts(
            covered, integrations, set(), now, system=latest.system, level=level, people=people, escalation_note=note
        )


def acknowledge(alert: Alert, user: object, now: dt.datetime | None = None) -> int:
    """Acknowledging one alert acknowledges every alert of its flip: escalation stops."""
    return Alert.objects.filter(flip_id=alert.flip_id, acknowledged_at=None).update(
        acknowledged_at=now or timezone.now(), acknowledged_by=user
    )
