from __future__ import annotations

from django.urls import path, register_converter

from monitoring.views import board, health, maintenance, observed, pings


class PingSlugConverter:
    """An integration key as spec files write it (lowercase slug, max 100). "start" and "fail" are
    left out, so /ping/<anything>/start|fail always names a signal, never a slug."""

    regex = r"(?!(?:start|fail)(?:/|\Z))[a-z0-9][a-z0-9-]{0,99}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PingSlugConverter, "ping_slug")

urlpatterns = [
    # The uuid routes first; slug routes need a ping key that is never uuid-shaped (conf.ping_key).
    path("ping/<uuid:ping_uuid>", pings.ping, name="ping"),
    path("ping/<uuid:ping_uuid>/start", pings.ping, {"signal": "start"}, name="ping-start"),
    path("ping/<uuid:ping_uuid>/fail", pings.ping, {"signal": "fail"}, name="ping-fail"),
    path("ping/<str:ping_key>/<ping_slug:slug>", pings.slug_ping, name="slug-ping"),
    path("ping/<str:ping_key>/<ping_slug:slug>/start", pings.slug_ping, {"signal": "start"}, name="slug-ping-start"),
    path("ping/<str:ping_key>/<ping_slug:slug>/fail", pings.slug_ping, {"signal": "fail"}, name="slug-ping-fail"),
    path("health/", board.health_board, name="health-board"),
    path("systems/<slug:key>/maintenance/", maintenance.system_maintenance, name="system-maintenance"),
    path(
        "systems/<slug:key>/maintenance/<int:pk>/cancel/",
        maintenance.cancel_maintenance,
        name="system-maintenance-cancel",
    ),
    path("integrations/<slug:key>/health/", health.health_page, name="integration-health"),
    path(
        "integrations/<slug:key>/health/failed-records/",
        health.failed_records_action,
        name="failed-records-action",
    ),
    path("integrations/<slug:key>/health/pause/", health.pause, name="health-pause"),
    path("integrations/<slug:key>/health/dead-pings/", health.dead_pings_action, name="dead-pings-action"),
    path("resyncs/<int:pk>/resolve/", health.resolve_resync, name="resync-resolve"),
    path("alerts/<int:pk>/acknowledge/", health.acknowledge_alert, name="alert-acknowledge"),
    path("connections/observed/", observed.observed_connections, name="observed-connections"),
]
