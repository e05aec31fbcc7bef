from __future__ import annotations

from django.urls import path

from monitoring.views import health, observed, pings

urlpatterns = [
    path("ping/<uuid:ping_uuid>", pings.ping, name="ping"),
    path("ping/<uuid:ping_uuid>/start", pings.ping, {"signal": "start"}, name="ping-start"),
    path("ping/<uuid:ping_uuid>/fail", pings.ping, {"signal": "fail"}, name="ping-fail"),
    path("integrations/<slug:key>/health/", health.health_page, name="integration-health"),
    path(
        "integrations/<slug:key>/health/failed-records/",
        health.failed_records_action,
        name="failed-records-action",
    ),
    path("integrations/<slug:key>/health/pause/", health.pause, name="health-pause"),
    path("resyncs/<int:pk>/resolve/", health.resolve_resync, name="resync-resolve"),
    path("alerts/<int:pk>/acknowledge/", health.acknowledge_alert, name="alert-acknowledge"),
    path("connections/observed/", observed.observed_connections, name="observed-connections"),
]
