from __future__ import annotations

from django.contrib import admin

from monitoring.models import MaintenanceWindow


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    """Maintenance windows are entered here; they suppress alerts for integrations touching the system."""

    list_display = ("system", "starts_at", "ends_at", "reason")
    list_filter = ("system",)
