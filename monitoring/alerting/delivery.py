"""Sending alerts once: each is claimed with a conditional UPDATE, then sent.

Two workers running this at once both see an alert as pending, but only the one whose
UPDATE changed a row sends it (the Healthchecks pattern). A claim is a lease: a worker killed
between claim and send (or stopped by its task's time limit) leaves the alert claimed and unsent,
and after CLAIM_LEASE another worker claims it again, counted as an attempt. The one way to send
twice is a worker dying in the instant between a successful send and recording it, which is
far less likely, and less harmful, than an outage alert never sent.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Case, F, PositiveSmallIntegerField, Q, QuerySet, When
from django.utils import timezone

from monitoring import conf
from monitoring.alerting.transports import Refused, transport
from monitoring.models import Alert
from plumbline import metrics

logger = logging.getLogger(__name__)

# Longer than any send may take: transports time out in seconds, send_alerts is killed at 150 s.
CLAIM_LEASE = dt.timedelta(minutes=10)


def sendable(now: dt.datetime) -> QuerySet[Alert]:
    """Unsent alerts nobody holds: never claimed (or released after a failed send), or claimed by a
    worker that has not finished within CLAIM_LEASE, while attempts are left."""
    abandoned = Q(claimed_at__lt=now - CLAIM_LEASE, attempts__lt=conf.alert_max_attempts())
    return Alert.objects.filter(sent_at=None).filter(Q(claimed_at=None) | abandoned)


def claim(alert_id: int, now: dt.datetime) -> bool:
    """True for exactly one caller per alert (until a failed send releases it or the lease ends)."""
    # Taking over an abandoned claim counts the attempt the dead worker made.
    attempts = Case(
        When(claimed_at__isnull=False, then=F("attempts") + 1),
        default=F("attempts"),
        output_field=PositiveSmallIntegerField(),
    )
    return sendable(now).filter(pk=alert_id).update(claimed_at=now, attempts=attempts) == 1


def send_pending(limit: int = 500) -> int:
    """Send unsent alerts, oldest first; returns how many this call sent."""
    sent = 0
    pending = sendable(timezone.now()).order_by("id").values_list("pk", flat=True)
    for alert_id in list(pending[:limit]):
        if not claim(alert_id, timezone.now()):
            continue  # another worker has it
        alert = Alert.objects.get(pk=alert_id)
        try:
            transport(alert.channel)(alert)
        except Refused as exc:
            # The receiver refused this very alert (4xx): another try would be refused too, so its
            # attempts are used up and the claim is kept; the error says why.
            logger.warning("alert %s to %s refused: %s", alert.pk, alert.recipient, exc)
            metrics.ALERTS_FAILED.labels(channel=alert.channel).inc()
            Alert.objects.filter(pk=alert.pk).update(
                attempts=max(alert.attempts + 1, conf.alert_max_attempts()), error=f"refused, not retried: {exc}"[:2000]
            )
            continue
        except Exception as exc:  # any other transport failure: record it, retry on a later pass
            logger.warning("alert %s to %s failed: %s", alert.pk, alert.recipient, exc)
            metrics.ALERTS_FAILED.labels(channel=alert.channel).inc()
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
        metrics.ALERTS_SENT.labels(channel=alert.channel).inc()
    return sent
