"""Sending alerts exactly once: each is claimed with a conditional UPDATE, then sent.

Two workers running this at once both see an alert as pending, but only the one whose
UPDATE changed a row sends it (the Healthchecks pattern). A worker killed between claim and
send leaves the alert claimed and unsent: shown on the health page, never sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import F
from django.utils import timezone

from monitoring import conf
from monitoring.alerting.transports import transport
from monitoring.models import Alert

logger = logging.getLogger(__name__)


def claim(alert_id: int, now: dt.datetime) -> bool:
    """True for exactly one caller per alert (until a failed send releases it)."""
    return Alert.objects.filter(pk=alert_id, claimed_at=None, sent_at=None).update(claimed_at=now) == 1


def send_pending(limit: int = 500) -> int:
    """Send unsent alerts, oldest first; returns how many this call sent."""
    sent = 0
    pending = Alert.objects.filter(claimed_at=None, sent_at=None).order_by("id").values_list("pk", flat=True)
    for alert_id in list(pending[:limit]):
        if not claim(alert_id, timezone.now()):
            continue  # another worker has it
        alert = Alert.objects.get(pk=alert_id)
        try:
            transport(alert.channel)(alert)
        except Exception as exc:  # any transport failure: record it, retry on a later pass
            logger.warning("alert %s to %s failed: %s", alert.pk, alert.recipient, exc)
            attempts = alert.attempts + 1
            Alert.objects.filter(pk=alert.pk).update(
                attempts=F("attempts") + 1,
                error=str(exc)[:2000],
                # Release the claim for another try, up to the limit; then it stays failed.
                claimed_at=None if attempts < conf.alert_max_attempts() else alert.claimed_at,
            )
            continue
        Alert.objects.filter(pk=alert.pk).update(sent_at=timezone.now(), error="")
        sent += 1
    return sent
