"""The catalog: what is written about the integration estate."""

from __future__ import annotations

from catalog.models.calendars import Calendar
from catalog.models.findings import StoredFinding, Waiver
from catalog.models.golives import GoLive, GoLiveIntegration
from catalog.models.history import ChangeRecord
from catalog.models.integrations import Integration, Mapping
from catalog.models.people import Person
from catalog.models.readiness import Attestation, AttestedItem, SignOff
from catalog.models.reminders import Reminder, ReviewSnooze
from catalog.models.systems import PlatformAccount, System, SystemVersion
from catalog.models.workarounds import ConfirmedVia, WorkaroundRun

__all__ = [
    "Attestation",
    "AttestedItem",
    "Calendar",
    "ChangeRecord",
    "ConfirmedVia",
    "GoLive",
    "GoLiveIntegration",
    "Integration",
    "Mapping",
    "Person",
    "PlatformAccount",
    "Reminder",
    "ReviewSnooze",
    "SignOff",
    "StoredFinding",
    "System",
    "SystemVersion",
    "Waiver",
    "WorkaroundRun",
]
