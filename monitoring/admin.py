from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from monitoring.ingest.heartbeats import schedule_apply
from monitoring.ingest.pending import apply_dead_again, discard_dead
from monitoring.models import DeadPing, MaintenanceWindow


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    """Maintenance windows are entered here; they suppress alerts for integrations touching the system."""

    list_display = ("system", "starts_at", "ends_at", "rrule", "timezone", "duration_minutes", "reason")
    list_filter = ("system",)


@admin.register(DeadPing)
class DeadPingAdmin(admin.ModelAdmin):
    """Pings set aside because they could not be applied: apply them again (after a fix) or discard them."""

    list_display = ("integration", "signal", "received_at", "failed_at", "error")
    list_filter = ("signal",)
    list_select_related = ("integration",)
    readonly_fields = ("integration", "signal", "body", "received_at", "failed_at", "error")
    actions = ("apply_again", "discard")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Apply the selected pings again")
    def apply_again(self, request: HttpRequest, queryset: QuerySet[DeadPing]) -> None:
        done = apply_dead_again(list(queryset.values_list("pk", flat=True)))
        schedule_apply()
        self.message_user(request, f"{done} pings queued to be applied again.")

    @admin.action(description="Discard the selected pings")
    def discard(self, request: HttpRequest, queryset: QuerySet[DeadPing]) -> None:
        done = discard_dead(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{done} pings discarded.")
