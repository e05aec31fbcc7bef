"""The catalog: what is written about the integration estate."""

from __future__ import annotations

from catalog.models.calendars import Calendar
from catalog.models.data_objects import DataObject
from catalog.models.findings import StoredFinding, Waiver
from catalog.models.golives import GoLive, GoLiveIntegration
from catalog.models.history import ChangeRecord
from catalog.models.integrations import Integration, Mapping
from catalog.models.people import Person
from catalog.models.readiness import Attestation, AttestedItem, ReviewSignOff, SignOff
from catalog.models.reminders import Reminder, ReviewSnooze
from catalog.models.systems import PlatformAccount, System, SystemVersion
from catalog.models.trend import EstateSnapshot, WeeklyEmail, WeeklySubscription
from catalog.models.value_maps import ValueMap
from catalog.models.workarounds import ConfirmedVia, WorkaroundRun

__all__ = [
    "Attestation",
    "AttestedItem",
    "Calendar",
    "ChangeRecord",
    "ConfirmedVia",
    "DataObject",
    "EstateSnapshot",
    "GoLive",
    "GoLiveIntegration",
    "Integration",
    "Mapping",
    "Person",
    "PlatformAccount",
    "Reminder",
    "ReviewSignOff",
    "ReviewSnooze",
    "SignOff",
    "StoredFinding",
    "System",
    "SystemVersion",
    "ValueMap",
    "Waiver",
    "WeeklyEmail",
    "WeeklySubscription",
    "WorkaroundRun",
]
