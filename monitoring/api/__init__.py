"""The monitoring API under /api/v1/ (plumbline/urls.py mounts the router): runs, failed records, re-sync
requests, flips and alerts, maintenance windows, observed connections. The pages' rules and actions are
shared, not repeated: monitoring/health/actions.py and monitoring/alerting/maintenance_plans.py."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from monitoring.api.alerts import AlertViewSet, FlipViewSet
from monitoring.api.failed_records import FailedRecordViewSet
from monitoring.api.maintenance import MaintenanceWindowViewSet
from monitoring.api.observed import ObservedConnectionViewSet
from monitoring.api.resyncs import ResyncViewSet
from monitoring.api.runs import RunViewSet

router = SimpleRouter()
router.register("runs", RunViewSet, basename="run")
router.register("failed-records", FailedRecordViewSet, basename="failed-record")
router.register("resyncs", ResyncViewSet, basename="resync")
router.register("flips", FlipViewSet, basename="flip")
router.register("alerts", AlertViewSet, basename="alert")
router.register("maintenance-windows", MaintenanceWindowViewSet, basename="maintenance-window")
router.register("observed-connections", ObservedConnectionViewSet, basename="observed-connection")
