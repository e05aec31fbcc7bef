"""Enum values of monitoring records (health states are catalog's vocabulary: catalog.choices.HealthState)."""

from __future__ import annotations

from django.db import models


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"
    PAGERDUTY = "pagerduty", "PagerDuty"


class ResyncMethod(models.TextChoices):
    REPLAY = "replay", "Replay in original order"
    MANUAL = "manual", "Manual"


class ResyncStatus(models.TextChoices):
    OPEN = "open", "Open"  # requested; a replay is queued
    SENDING = "sending", "Sending"  # claimed by a worker; the platform call is under way (or the worker died)
    SENT = "sent", "Sent to the platform"
    FAILED = "failed", "Replay failed"
    MANUAL = "manual", "Manual replay"  # a person re-sends the records; tracked until resolved
    RESOLVED = "resolved", "Resolved"
