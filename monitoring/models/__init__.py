"""Monitoring: what is observed about the integration estate."""

from __future__ import annotations

from monitoring.models.alerts import Alert, Flip, MaintenanceWindow
from monitoring.models.health import DeadPing, HealthSource, ObservedConnection, PendingPing, PingCounter
from monitoring.models.runs import FailedRecord, ResyncRequest, Run

__all__ = [
    "Alert",
    "DeadPing",
    "FailedRecord",
    "Flip",
    "HealthSource",
    "MaintenanceWindow",
    "ObservedConnection",
    "PendingPing",
    "PingCounter",
    "ResyncRequest",
    "Run",
]
