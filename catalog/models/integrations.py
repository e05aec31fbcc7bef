from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import models

from catalog.choices import (
    CONNECTOR_PLATFORM_CHOICES,
    HEALTH_KIND_CHOICES,
    ConnectorType,
    Direction,
    ErrorSurface,
    HealthKind,
    Lifecycle,
    MaintainedBy,
    Phase,
    Resync,
    Trigger,
)
from catalog.models.data_objects import SequenceDeclarations, objects_sequence_sensitive


class Integration(models.Model):
    """The written spec of one connection; nested spec groups are flattened into columns
    (connector_*, sync_*, error_*, workaround_*, health_*) so every field can be filtered."""

    key = models.SlugField(unique=True, max_length=100)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    source = models.ForeignKey(
        "catalog.System", null=True, blank=True, on_delete=models.PROTECT, related_name="outbound"
    )
    target = models.ForeignKey(
        "catalog.System", null=True, blank=True, on_delete=models.PROTECT, related_name="inbound"
    )
    direction = models.CharField(max_length=20, choices=Direction.choices, default=Direction.ONE_WAY)
    data_objects = models.JSONField(default=list, blank=True)
    sequence_sensitive = models.BooleanField(null=True, blank=True, help_text="Unset: derived from the data objects.")
    lifecycle = models.CharField(max_length=20, choices=Lifecycle.choices, default=Lifecycle.LIVE)
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.GO_LIVE)

    connector_type = models.CharField(max_length=20, choices=ConnectorType.choices, blank=True)
    connector_platform = models.CharField(max_length=40, choices=CONNECTOR_PLATFORM_CHOICES, blank=True)
    maintained_by = models.CharField(max_length=20, choices=MaintainedBy.choices, blank=True)
    compatibility_sla_days = models.PositiveIntegerField(null=True, blank=True)
    api_version = models.CharField(max_length=50, blank=True)
    api_retirement_date = models.DateField(null=True, blank=True)

    sync_trigger = models.CharField(max_length=20, choices=Trigger.choices, blank=True)
    interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    max_latency_minutes = models.PositiveIntegerField(null=True, blank=True)
    vendor_claim = models.CharField(max_length=200, blank=True)
    min_records_per_run = models.PositiveIntegerField(null=True, blank=True)
    # A cron schedule in a time zone, on a calendar's business days (catalog/schedules.py).
    sync_schedule = models.CharField(max_length=100, blank=True)
    sync_timezone = models.CharField(max_length=64, default="UTC")
    sync_calendar = models.ForeignKey(
        "catalog.Calendar", null=True, blank=True, on_delete=models.PROTECT, related_name="integrations"
    )
    # Close freezes: periods it is expected not to run ({from, to} or {first/last_business_days, calendar}).
    freeze = models.JSONField(default=list, blank=True)
    ordering_key = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    # reconciliation: how far records out + failed may fall short of records in (RECORDS_DROPPED), and
    # a status document's target count of its source count (RECONCILIATION_GAP); unset: no shortfall.
    reconciliation_tolerance_percent = models.FloatField(null=True, blank=True)
    reconciliation_tolerance_records = models.PositiveBigIntegerField(null=True, blank=True)

    error_surface = models.CharField(max_length=20, choices=ErrorSurface.choices, blank=True)
    error_notify = models.JSONField(default=list, blank=True)
    resync = models.CharField(max_length=20, choices=Resync.choices, blank=True)

    owner = models.ForeignKey("catalog.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="owned")
    backup_owner = models.ForeignKey(
        "catalog.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="backed_up"
    )
    documentation = models.URLField(max_length=500, blank=True)
    reviewed_at = models.DateField(null=True, blank=True)

    deferred_since = models.DateField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    workaround_description = models.TextField(blank=True)
    workaround_performed_by = models.ForeignKey(
        "catalog.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workarounds",
    )
    workaround_hours_per_month = models.FloatField(null=True, blank=True)
    # When each run of the workaround is due: a cron expression in sync_timezone, "weekly" or "monthly"
    # (catalog/workarounds/cadence.py); each run is confirmed as a WorkaroundRun.
    workaround_every = models.CharField(max_length=100, blank=True)
    # The secret part of the workaround's confirmation URL /workaround/<uuid>/done; not the ping uuid.
    workaround_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    build_estimate_hours = models.FloatField(null=True, blank=True)
    # What it costs to run every month: licence or connector fees (in PLUMBLINE_CURRENCY) and upkeep hours.
    cost_licence_per_month = models.FloatField(null=True, blank=True)
    cost_maintenance_hours_per_month = models.FloatField(null=True, blank=True)

    health_kind = models.CharField(max_length=40, choices=HEALTH_KIND_CHOICES, default=HealthKind.NONE)
    health_grace_minutes = models.PositiveIntegerField(null=True, blank=True)
    health_url = models.URLField(max_length=500, blank=True)
    health_account = models.ForeignKey(
        "catalog.PlatformAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="integrations",
    )
    health_ref = models.CharField(max_length=200, blank=True)
    # health.kind json: path, items, fields, status_map, next, failed_records (docs/json-health.md).
    health_json = models.JSONField(default=dict, blank=True)
    # The secret part of the heartbeat URL /ping/<uuid>; not part of the spec document.
    ping_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    # Denormalised from catalog.completeness.assess() so lists filter and sort by it.
    completeness_score = models.FloatField(default=0.0, db_index=True)
    completeness_missing = models.CharField(
        max_length=100, blank=True, help_text="Missing parts as ',part,part,' for filtering."
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        indexes = [
            models.Index(fields=["lifecycle"]),
            models.Index(fields=["phase"]),
            models.Index(fields=["connector_type"]),
            models.Index(fields=["reviewed_at"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.key

    @property
    def is_sequence_sensitive(self) -> bool:
        """Its own sequence_sensitive, else what its data objects declare (DataObject documents, as
        attach_sequence_declarations gave them, else the built-in list)."""
        if self.sequence_sensitive is not None:
            return self.sequence_sensitive
        # Unattached (an unsaved integration, say): the built-in list alone.
        declared = self.__dict__.get("sequence_declarations", {})
        return objects_sequence_sensitive(self.data_objects or [], declared)

    @property
    def missing_parts(self) -> list[str]:
        return [part for part in self.completeness_missing.split(",") if part]


class Mapping(models.Model):
    """One field mapping of an integration, kept in the order the spec lists it."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="mappings")
    position = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=200, blank=True)
    target = models.CharField(max_length=200, blank=True)
    required = models.BooleanField(default=False)
    transform = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # The key of a ValueMap (transform: lookup), checked where mappings are written; a key, not a
    # foreign key, so mapping rows stay plain rows the importer inserts and compares as they are.
    value_map = models.CharField(max_length=100, blank=True, db_index=True)

    class Meta:
        ordering = ["integration", "position"]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"


def attach_sequence_declarations(integrations: Iterable[Integration], declared: SequenceDeclarations) -> None:
    """Give each integration the DataObjects' declarations read once, so is_sequence_sensitive
    asks no query per row."""
    for integration in integrations:
        integration.__dict__["sequence_declarations"] = declared
