"""The runs of a phase-two workaround: one row per due run that was reminded of or confirmed."""

from __future__ import annotations

from django.db import models


class ConfirmedVia(models.TextChoices):
    PAGE = "page", "the integration page"
    LINK = "link", "the reminder link"
    PING = "ping", "a ping to the workaround URL"


class WorkaroundRun(models.Model):
    """One due run of an integration's manual workaround (Integration.workaround_every). The row is
    created when the reminder is claimed or the run confirmed; confirmed_at is set once, by a
    conditional UPDATE, so a second confirmation of the same run changes nothing. A due run with no
    row, or with confirmed_at empty, was not confirmed (WORKAROUND_MISSED once its day has passed)."""

    integration = models.ForeignKey("catalog.Integration", on_delete=models.CASCADE, related_name="workaround_runs")
    due_at = models.DateTimeField()
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The email of whoever confirmed it (the signed-in user, or the performer the link was sent to);
    # "" for a ping, where the URL is the only credential.
    confirmed_by = models.CharField(max_length=254, blank=True)
    confirmed_via = models.CharField(max_length=10, choices=ConfirmedVia.choices, blank=True)
    hours = models.FloatField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["integration", "-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "due_at"], name="workaround_run_once_per_due_time"),
        ]
        indexes = [models.Index(fields=["due_at"])]

    def __str__(self) -> str:
        return f"workaround run {self.integration_id} {self.due_at.isoformat()}"
