"""The estate over time: one snapshot a day, and the weekly "what changed" email to subscribers."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class EstateSnapshot(models.Model):
    """The estate's figures on one day. The date is unique: a second snapshot the same day updates
    this row (catalog/trend/snapshot.py), so racing workers leave one. The figures the dashboard
    charts are columns; the breakdowns (findings by code, health by state, integrations by
    lifecycle) are in `breakdown`."""

    taken_on = models.DateField(unique=True)
    taken_at = models.DateTimeField()
    integrations = models.PositiveIntegerField(default=0)
    findings_critical = models.PositiveIntegerField(default=0)
    findings_warning = models.PositiveIntegerField(default=0)
    findings_info = models.PositiveIntegerField(default=0)
    health_down = models.PositiveIntegerField(default=0)
    health_failing = models.PositiveIntegerField(default=0)
    # The average completeness score of every integration, 0..1, and how many are complete.
    completeness_average = models.FloatField(default=0.0)
    complete = models.PositiveIntegerField(default=0)
    # The phase-two register's totals (catalog.rules.phase_two.register_totals).
    workaround_hours_per_month = models.FloatField(default=0.0)
    workaround_hours_to_date = models.FloatField(default=0.0)
    open_failed_records = models.PositiveBigIntegerField(default=0)
    # {"findings_by_code": {code: n}, "health": {state: n}, "lifecycle": {lifecycle: n}}
    breakdown = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["taken_on"]

    def __str__(self) -> str:
        return f"estate on {self.taken_on.isoformat()}"


class WeeklySubscription(models.Model):
    """A user who wants the weekly "what changed" email (turned on and off on /me/)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_subscription")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"weekly email to {self.user_id}"


class WeeklyEmail(models.Model):
    """One weekly email to one user. The row is the claim: created (unique per user and week)
    before the email goes out, so many workers send it once; a failed send deletes it again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_emails")
    week_start = models.DateField()
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # What it said, in counts: {"critical": n, "flips": n, "golives": n, "reviewed": n}.
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-week_start", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "week_start"], name="weekly_email_once_per_week")]

    def __str__(self) -> str:
        return f"weekly email {self.user_id} {self.week_start.isoformat()}"
