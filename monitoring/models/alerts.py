from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from catalog.choices import HealthState
from monitoring.models.choices import Channel
from plumbline import recurrence as recurrences
from plumbline.recurrence import Recurrence, RecurrenceError


class Flip(models.Model):
    """A change of an integration's health state; appended, never edited except for alert bookkeeping."""

    integration = models.ForeignKey("catalog.Integration", on_delete=models.CASCADE, related_name="flips")
    from_state = models.CharField(max_length=10, choices=HealthState.choices)
    to_state = models.CharField(max_length=10, choices=HealthState.choices)
    at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)
    # The lateness pass that made it: flips down of one system in one pass alert as one roll-up.
    evaluation = models.UUIDField(null=True, blank=True)
    # Null while this flip still needs its alerts planned (claimed by a conditional UPDATE).
    alerts_planned_at = models.DateTimeField(null=True, blank=True)
    suppressed_reason = models.CharField(max_length=300, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["integration", "-at"]),
            models.Index(fields=["alerts_planned_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.integration_id}: {self.from_state} → {self.to_state}"


class Alert(models.Model):
    """One message about a flip (or a roll-up of flips of one system) to one recipient."""

    flip = models.ForeignKey(Flip, on_delete=models.CASCADE, related_name="alerts")
    # A roll-up: the system whose integrations went down together, and every flip it covers.
    system = models.ForeignKey("catalog.System", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    covers = models.ManyToManyField(Flip, blank=True, related_name="rollup_alerts")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(
        max_length=500, help_text="An email, a #channel name, a webhook URL or a slack:, teams: or pagerduty: entry."
    )
    subject = models.CharField(max_length=300)
    body = models.TextField()
    # What the chat and paging transports lay out (monitoring/alerting/content.py): the run, failed
    # records, runbook, blast radius, links and PagerDuty dedup keys, as they were when it was planned.
    details = models.JSONField(default=dict, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.recipient}: {self.subject}"


class MaintenanceWindow(models.Model):
    """A planned outage of a system, planned in the app: flips of integrations touching it raise no
    alerts meanwhile. One-off (starts_at to ends_at), or recurring: an RRULE from the local time of
    starts_at in `timezone`, each occurrence `duration_minutes` long, ending at ends_at (None: never).
    A spec's windows are its System document's `maintenance:` list (catalog.System.maintenance)."""

    system = models.ForeignKey("catalog.System", on_delete=models.CASCADE, related_name="maintenance_windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    rrule = models.CharField(max_length=500, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["system", "ends_at"])]

    def __str__(self) -> str:
        if self.rrule:
            return f"{self.system_id} {self.rrule} from {self.starts_at:%Y-%m-%d %H:%M}"
        return f"{self.system_id} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"

    def clean(self) -> None:
        """A window saved in the admin is checked as the maintenance page checks it; a recurring one
        ends with its rule's last occurrence."""
        if not self.rrule:
            if self.ends_at is None:
                raise ValidationError({"ends_at": "is required for a window that does not repeat"})
            return
        if not self.timezone or not self.duration_minutes or self.starts_at is None:
            raise ValidationError("a recurring window needs a start, a time zone and a duration")
        try:
            wall = self.starts_at.astimezone(recurrences.zone_named(self.timezone)).replace(tzinfo=None)
            repeats = recurrences.recurrence(self.rrule, wall, self.duration_minutes, self.timezone)
        except RecurrenceError as error:
            raise ValidationError({"rrule": str(error)}) from None
        self.ends_at = repeats.last_end()

    def recurrence(self) -> Recurrence | None:
        """The rule of a recurring window (checked when planned), None for a one-off."""
        if not self.rrule or not self.duration_minutes:
            return None
        wall = self.starts_at.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)
        return Recurrence(self.rrule, wall, dt.timedelta(minutes=self.duration_minutes), self.timezone)
