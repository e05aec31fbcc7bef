"""One module per way an alert reaches someone; each exposes send(alert) and raises on failure.

A failure is retried on a later pass (up to PLUMBLINE_ALERT_MAX_ATTEMPTS), but Refused: the receiver
said the alert itself is wrong (HTTP 4xx), so sending it again would be refused again.
"""

from __future__ import annotations

from collections.abc import Callable

from monitoring.models import Alert
from monitoring.models.choices import Channel


class Refused(Exception):
    """The receiver refused this alert (a 4xx other than 429): recorded as failed, not retried."""


def transport(channel: str) -> Callable[[Alert], None]:
    if channel == Channel.EMAIL:
        from monitoring.alerting.transports import email

        return email.send
    if channel == Channel.WEBHOOK:
        from monitoring.alerting.transports import webhook

        return webhook.send
    if channel == Channel.SLACK:
        from monitoring.alerting.transports import slack

        return slack.send
    if channel == Channel.TEAMS:
        from monitoring.alerting.transports import teams

        return teams.send
    if channel == Channel.PAGERDUTY:
        from monitoring.alerting.transports import pagerduty

        return pagerduty.send
    raise ValueError(f"no transport for channel {channel!r}")
