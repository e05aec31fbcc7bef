"""An outage that began inside a maintenance window and outlasts it: its flip was held, and no new flip
comes while the integration stays down, so nobody would hear of it. When the window is over and the
integration is still in the held flip's state, the flip alerts then, once (claimed by a conditional
UPDATE of its suppressed_reason, which keeps saying it was held)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Integration
from monitoring.alerting.maintenance import HELD_PREFIX, in_maintenance, windows_of
from monitoring.alerting.planning import create_alerts, inactive_people, systems_of
from monitoring.health.state import ALERTING_STATES
from monitoring.models import Flip

RELEASED = " (alerted once the window was over)"


def release_held(now: dt.datetime | None = None) -> int:
    """Alert the held flips of integrations still in that state now that no window holds them."""
    now = now or timezone.now()
    held = list(
        Flip.objects.filter(
            integration__health_source__state__in=ALERTING_STATES,
            integration__health_source__state=F("to_state"),
            integration__health_source__state_changed_at=F("at"),
            suppressed_reason__startswith=HELD_PREFIX,
        )
        .exclude(suppressed_reason__endswith=RELEASED)
        .order_by("id")[:1000]
    )
    if not held:
        return 0
    integrations = Integration.objects.select_related("owner", "backup_owner", "source", "target").in_bulk(
        {f.integration_id for f in held}
    )
    systems = {s.pk: s for i in integrations.values() for s in (i.source, i.target) if s is not None}
    windows = windows_of(systems.values(), now, now)
    inactive = inactive_people(integrations.values())
    created = 0
    for flip in held:
        if in_maintenance(windows, sorted(systems_of(integrations[flip.integration_id])), now):
            continue  # still held
        reason = (flip.suppressed_reason[: 300 - len(RELEASED)] + RELEASED)[:300]
        with transaction.atomic():
            claimed = Flip.objects.filter(pk=flip.pk, suppressed_reason=flip.suppressed_reason)
            if claimed.update(suppressed_reason=reason) != 1:
                continue  # another worker released it
            created += create_alerts([flip], integrations, inactive, now)
    return created
