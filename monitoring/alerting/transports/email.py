"""Alerts by email through Django's configured mail backend (SMTP, file or console)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from monitoring.models import Alert


def send(alert: Alert) -> None:
    EmailMessage(
        subject=alert.subject,
        body=alert.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[alert.recipient],
        headers={"X-Plumbline-Alert": str(alert.pk)},
    ).send(fail_silently=False)
