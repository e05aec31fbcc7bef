"""Stale-spec reminders: one digest per owner per reminder period, and specs snoozed out of them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class Reminder(models.Model):
    """One digest to one owner for one reminder period. The row is the claim: it is created
    (unique per person and period) before the email goes out, so many workers send it once."""

    person = models.ForeignKey("catalog.Person", on_delete=models.CASCADE, related_name="reminders")
    period_start = models.DateField()
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    cc = models.EmailField(blank=True, help_text="The manager copied after three unanswered digests.")
    # What the digest listed: [{"key", "name", "stale", "findings": [{"code", "severity", "message"}]}].
    items = models.JSONField(default=list, blank=True)
    stale_count = models.PositiveIntegerField(default=0)
    finding_count = models.PositiveIntegerField(default=0)
    # When the owner opened a review link, confirmed or snoozed after it was sent.
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "person_id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "period_start"], name="reminder_once_per_period"),
        ]
        indexes = [models.Index(fields=["person", "sent_at"])]

    def __str__(self) -> str:
        return f"reminder {self.person_id} {self.period_start.isoformat()}"


class ReviewSnooze(models.Model):
    """An owner's stated reason to leave a spec out of the digests until a date."""

    integration = models.ForeignKey("catalog.Integration", on_delete=models.CASCADE, related_name="review_snoozes")
    until = models.DateField(help_text="The spec is in digests again from this day.")
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_snoozes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["integration", "until"])]

    def __str__(self) -> str:
        return f"snooze {self.integration_id} until {self.until.isoformat()}"

    def is_active(self, today: dt.date) -> bool:
        return today < self.until
