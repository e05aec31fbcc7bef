from __future__ import annotations

import datetime as dt

from django.db import models

from catalog.choices import HEALTH_KIND_CHOICES, HealthState
from catalog.health import HEARTBEAT_SOURCE


class HealthSource(models.Model):
    """One integration's current health: stored, never aggregated from run history on read.

    The declared interval, grace and minimum records are copied from the spec when specs
    change, so lateness can be evaluated from this row alone.
    """

    integration = models.OneToOneField("catalog.Integration", on_delete=models.CASCADE, related_name="health_source")
    kind = models.CharField(max_length=40, choices=HEALTH_KIND_CHOICES)
    interval_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Declared; none: never late.")
    grace_minutes = models.PositiveIntegerField(default=0)
    min_records_per_run = models.PositiveIntegerField(null=True, blank=True)
    # The spec's schedule, calendar and freezes as plain data (catalog.schedules.Schedule.to_data),
    # so settling reads nothing else; {}: the interval alone.
    schedule = models.JSONField(default=dict, blank=True)

    state = models.CharField(max_length=10, choices=HealthState.choices, default=HealthState.UNKNOWN)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)

    last_success_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True, help_text="Time of the latest finished run.")
    last_run = models.ForeignKey("monitoring.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # When the state may next change by the passing of time alone; null: it cannot.
    next_check_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    observed_median_minutes = models.FloatField(null=True, blank=True)
    observed_p95_minutes = models.FloatField(null=True, blank=True)
    observed_refreshed_at = models.DateTimeField(null=True, blank=True, help_text="When the two above were computed.")
    open_failed_records = models.PositiveIntegerField(default=0)
    oldest_open_failed_at = models.DateTimeField(null=True, blank=True)
    failed_record_seq = models.PositiveBigIntegerField(default=0, help_text="Last position given to a failed record.")

    # Pulled kinds (http and platforms).
    cursor = models.TextField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.TextField(blank=True)
    # Why the platform says the recipe/flow/app is switched off (as of the last poll); "" while it runs.
    platform_stopped = models.CharField(max_length=300, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["integration_id"]

    def __str__(self) -> str:
        return f"{self.integration_id}: {self.kind} {self.state}"

    @property
    def last_ping_at(self) -> dt.datetime | None:
        """When a ping was last accepted (kept on its PingCounter; select_related("ping_counter") to
        read it without a query of its own)."""
        try:
            return self.ping_counter.last_ping_at
        except PingCounter.DoesNotExist:
            return None


class PingCounter(models.Model):
    """A heartbeat source's rate limit (pings counted in the current one-minute window) and last
    ping, the only row accepting a ping writes besides the PendingPing. Apart from the state row
    because the applier (monitoring/ingest/pending.py) holds state rows locked while it stores runs:
    a ping counted there would wait for it. Made by the first ping (or the migration that moved these
    here), deleted with its source."""

    # No constraint in the database: checking it would lock the state row (FOR KEY SHARE), which
    # the applier holds FOR UPDATE. Django still deletes the counter with its source.
    source = models.OneToOneField(
        HealthSource, on_delete=models.CASCADE, primary_key=True, db_constraint=False, related_name="ping_counter"
    )
    ping_window_start = models.DateTimeField(null=True, blank=True)
    ping_window_count = models.PositiveIntegerField(default=0)
    last_ping_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.source_id}: {self.ping_window_count} since {self.ping_window_start}"


class ObservedConnection(models.Model):
    """Something running that may have no spec: a process/recipe/flow found by platform discovery
    (account set; undocumented when no spec's health.ref names it) or a heartbeat to an unknown slug
    under the platform ping key (no account; undocumented while no integration has that key)."""

    account = models.ForeignKey(
        "catalog.PlatformAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="observed"
    )
    ref = models.CharField(max_length=200)
    name = models.CharField(max_length=300, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    # Heartbeats only: pings received, and the rate limit's one-minute window (as on PingCounter).
    ping_count = models.PositiveIntegerField(default=0)
    ping_window_start = models.DateTimeField(null=True, blank=True)
    ping_window_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["account_id", "name", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["account", "ref"], name="observed_connection_once"),
            # NULLs are distinct in the constraint above, so heartbeats need their own.
            models.UniqueConstraint(
                fields=["ref"], condition=models.Q(account__isnull=True), name="observed_heartbeat_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.ref}"

    @property
    def source(self) -> str:
        """As catalog.health.ObservedConnection names it: the platform account's key, or HEARTBEAT_SOURCE."""
        return self.account.key if self.account is not None else HEARTBEAT_SOURCE


class PendingPing(models.Model):
    """A heartbeat accepted but not yet applied: the ping endpoint only validates, counts and
    appends here (one statement), and monitoring/ingest/pending.py turns these into runs and state
    in batches, in the order received. A row is deleted in the transaction that applies it."""

    # No constraint in the database: checking it would cost every ping a lock on the integration's
    # row. Deleting an integration still deletes its pending pings (Django cascades), and a ping
    # whose state row is gone when applied is discarded.
    integration = models.ForeignKey(
        "catalog.Integration", on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    signal = models.CharField(max_length=10)  # start | success | fail
    body = models.TextField(blank=True)  # the ping's JSON body as PingBody.to_json() writes it
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.integration_id}: {self.signal} at {self.received_at:%Y-%m-%d %H:%M:%S}"


class DeadPing(models.Model):
    """A pending ping that could not be applied, moved aside with the reason so the pings after it
    are applied (one bad ping must never silence every heartbeat). Shown on the integration's health
    page and in the admin, where it is applied again (after a fix) or discarded."""

    integration = models.ForeignKey("catalog.Integration", on_delete=models.CASCADE, related_name="+")
    signal = models.CharField(max_length=10)
    body = models.TextField(blank=True)  # as it was pending
    received_at = models.DateTimeField()
    failed_at = models.DateTimeField()
    error = models.TextField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.integration_id}: {self.signal} at {self.received_at:%Y-%m-%d %H:%M:%S} ({self.error[:60]})"
