from __future__ import annotations

from django.conf import settings
from django.db import models

from monitoring.models.choices import ResyncMethod, ResyncStatus, RunStatus


class Run(models.Model):
    """One execution of an integration, upserted by the platform's (or the pinger's) run id."""

    # Not indexed alone: every index below leads with it.
    integration = models.ForeignKey(
        "catalog.Integration", on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    external_id = models.CharField(max_length=200)
    source_kind = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=RunStatus.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # finished_at, else started_at, else when first recorded: what runs are ordered and spaced by.
    run_at = models.DateTimeField()
    records_in = models.PositiveBigIntegerField(null=True, blank=True)
    records_out = models.PositiveBigIntegerField(null=True, blank=True)
    records_failed = models.PositiveBigIntegerField(null=True, blank=True)
    # Reconciliation a status document may report: what the source system and the target system each
    # counted for a period (period_start..period_end; unset: the run's own time). See RECONCILIATION_GAP.
    source_count = models.PositiveBigIntegerField(null=True, blank=True)
    target_count = models.PositiveBigIntegerField(null=True, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    # Someone trying the process (e.g. a Boomi test-mode run), not the integration running: shown apart,
    # never counted for its health.
    test = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-run_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["integration", "external_id"], name="run_external_id_once")]
        indexes = [
            models.Index(fields=["integration", "run_at"]),
            models.Index(fields=["integration", "status", "run_at"]),
            # The estate's runs newest first and since a time (the runs API without an integration): a
            # btree, not BRIN, as pruning frees old pages that new runs then fill, out of time order.
            models.Index(fields=["run_at"], name="run_at"),
            # Test runs are few: the health page finds them without scanning an integration's runs.
            models.Index(fields=["integration", "run_at"], condition=models.Q(test=True), name="run_tests"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} {self.status}"


class FailedRecord(models.Model):
    """A record a run could not move: its key, error, time and order, until resolved."""

    integration = models.ForeignKey("catalog.Integration", on_delete=models.CASCADE, related_name="failed_records")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="failed_records")
    position = models.PositiveBigIntegerField(help_text="Order of arrival within the integration.")
    key = models.CharField(max_length=500)
    error = models.TextField(blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    # The platform's id, else a digest of run, key, error and time: a repeated poll stores nothing new.
    dedupe_key = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How it was closed when the platform closed it (e.g. "resolved on Celigo"); blank when a person did.
    resolution = models.CharField(max_length=300, blank=True)
    # When a re-sync handed this record to the platform to send again (see monitoring/health/resync.py).
    replay_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["integration_id", "position"]
        constraints = [models.UniqueConstraint(fields=["integration", "dedupe_key"], name="failed_record_once")]
        indexes = [models.Index(fields=["integration", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.key}: {self.error[:60]}"


class ResyncRequest(models.Model):
    """A request to re-send failed records (in their original order when replayed), tracked until resolved."""

    integration = models.ForeignKey("catalog.Integration", on_delete=models.CASCADE, related_name="resync_requests")
    failed_records = models.ManyToManyField(FailedRecord, related_name="resync_requests")
    method = models.CharField(max_length=10, choices=ResyncMethod.choices)
    status = models.CharField(max_length=10, choices=ResyncStatus.choices, default=ResyncStatus.OPEN)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    # The replay (monitoring/health/resync.py): claimed before the platform is called, so it is sent once.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    platform_ref = models.CharField(max_length=500, blank=True, help_text="The platform's id of the replay, if any.")
    error = models.TextField(blank=True, help_text="Why the replay failed (never a credential).")

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["integration", "status"])]

    def __str__(self) -> str:
        return f"resync {self.integration_id} {self.status}"
