"""One module per way an alert reaches someone; each exposes send(alert) and raises on failure."""

from __future__ import annotations

from collections.abc import Callable

from monitoring.models import Alert
from monitoring.models.choices import Channel


def transport(channel: str) -> Callable[[Alert], None]:
    if channel == Channel.EMAIL:
        from monitoring.alerting.transports import email

        return email.send
    if channel == Channel.WEBHOOK:
        from monitoring.alerting.transports import webhook

        return webhook.send
    raise ValueError(f"no transport for channel {channel!r}")
