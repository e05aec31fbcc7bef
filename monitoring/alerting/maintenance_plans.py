"""Planning and cancelling a system's maintenance windows, once for the page and the API: who may (the
system's owner or an admin), the form that checks a window (one-off or recurring: RRULE, time zone,
duration), and the change history entry each change writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.models import ChangeRecord, System
from catalog.ownership import can_edit
from monitoring.alerting.maintenance import Window
from monitoring.models import MaintenanceWindow
from plumbline.recurrence import DAY_NAMES, LONGEST, RecurrenceError, recurrence, zone_named
from plumbline.storable import datetime_problem

KIND = "MaintenanceWindow"  # as the change history names it
REPEATS = [
    ("", "Does not repeat"),
    ("daily", "Every day"),
    ("weekly", "Every week on the days chosen"),
    ("monthly", "Every month on the start's day"),
    ("rule", "By a rule (RRULE)"),
]
# Which field a problem the recurrence finds is about, by how its message starts.
PROBLEM_FIELDS = (("duration", "duration_minutes"), ("unknown time zone", "timezone"))


class MaintenanceWindowForm(forms.Form):
    """A window, one-off (start and end) or recurring (start, repeats, duration); every time is read in
    the window's time zone."""

    starts_at = forms.DateTimeField(
        label="Starts",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="In the time zone below; for a recurring window, the first occurrence.",
    )
    ends_at = forms.DateTimeField(
        label="Ends",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="A one-off window only.",
    )
    repeats = forms.ChoiceField(choices=REPEATS, required=False)
    days = forms.MultipleChoiceField(
        label="On",
        choices=list(DAY_NAMES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Weekly windows only.",
    )
    rrule = forms.CharField(
        label="Rule",
        required=False,
        max_length=500,
        help_text="RFC 5545, e.g. FREQ=MONTHLY;BYDAY=1SU (the first Sunday); daily at most.",
    )
    duration_minutes = forms.IntegerField(
        label="Lasts (minutes)", required=False, min_value=1, help_text="A recurring window only: each occurrence."
    )
    timezone = forms.CharField(
        label="Time zone", required=False, max_length=64, help_text="IANA name, e.g. Europe/Berlin."
    )
    reason = forms.CharField(
        required=False, max_length=300, help_text='What is planned, e.g. "NetSuite 2026.2 upgrade".'
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].initial = timezone.get_current_timezone_name()

    def clean_timezone(self) -> str:
        name = self.cleaned_data.get("timezone") or timezone.get_current_timezone_name()
        try:
            zone_named(name)
        except RecurrenceError as error:
            raise forms.ValidationError(str(error)) from None
        return name

    def rule(self, data: dict[str, Any], wall: dt.datetime) -> str:
        """The RRULE the choices make ("" for a one-off)."""
        repeats = data.get("repeats", "")
        if repeats == "weekly":
            if not data.get("days"):
                self.add_error("days", "choose at least one day")
            return "FREQ=WEEKLY;BYDAY=" + ",".join(day for day in DAY_NAMES if day in data.get("days", []))
        if repeats == "rule" and not data.get("rrule"):
            self.add_error("rrule", "is required when the window repeats by a rule")
        return {"daily": "FREQ=DAILY", "monthly": f"FREQ=MONTHLY;BYMONTHDAY={wall.day}"}.get(
            repeats, data.get("rrule", "") if repeats == "rule" else ""
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, zone_name = data.get("starts_at"), data.get("timezone")
        if starts is None or zone_name is None:
            return data
        wall = timezone.localtime(starts).replace(tzinfo=None)  # as typed, before the form's own zone
        data["starts_at"] = starts = wall.replace(tzinfo=ZoneInfo(zone_name))
        if problem := datetime_problem(starts):
            self.add_error("starts_at", problem)
            return data
        data["rule"] = rule = self.rule(data, wall)
        if self.errors:
            return data
        if rule:
            self._clean_recurring(data, rule, wall)
        else:
            self._clean_once(data, starts, zone_name)
        return data

    def _clean_once(self, data: dict[str, Any], starts: dt.datetime, zone_name: str) -> None:
        ends = data.get("ends_at")
        if ends is None:
            self.add_error("ends_at", "is required for a window that does not repeat")
            return
        data["ends_at"] = ends = timezone.localtime(ends).replace(tzinfo=ZoneInfo(zone_name))
        if problem := datetime_problem(ends):
            self.add_error("ends_at", problem)
        elif ends <= starts:
            self.add_error("ends_at", "must be after the start")
        elif ends - starts > LONGEST:
            self.add_error("ends_at", f"a window is at most {LONGEST.days} days: alerts would be held that long")
        elif ends <= timezone.now():
            self.add_error("ends_at", "is in the past: a window that is over holds no alert")

    def _clean_recurring(self, data: dict[str, Any], rule: str, wall: dt.datetime) -> None:
        if not data.get("duration_minutes"):
            self.add_error("duration_minutes", "is required for a recurring window")
            return
        try:
            repeats = recurrence(rule, wall, data["duration_minutes"], data["timezone"])
        except RecurrenceError as error:
            field = next((name for words, name in PROBLEM_FIELDS if str(error).startswith(words)), None)
            self.add_error(field or ("rrule" if data.get("repeats") == "rule" else "repeats"), str(error))
            return
        data["ends_at"] = repeats.last_end()
        if data["ends_at"] is not None and data["ends_at"] <= timezone.now():
            self.add_error("rrule", "has no occurrence left: a window that is over holds no alert")

    def window(self, system: System) -> MaintenanceWindow:
        data = self.cleaned_data
        recurring = bool(data["rule"])
        return MaintenanceWindow(
            system=system,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data.get("reason", ""),
            rrule=data["rule"],
            timezone=data["timezone"] if recurring else "",
            duration_minutes=data["duration_minutes"] if recurring else None,
        )


def document(window: MaintenanceWindow) -> dict[str, Any]:
    found: dict[str, Any] = {
        "system": window.system.key,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat() if window.ends_at else None,
        "reason": window.reason,
    }
    if window.rrule:
        found |= {"rrule": window.rrule, "timezone": window.timezone, "duration_minutes": window.duration_minutes}
    return found


def _record(user: Any, via: str, window: MaintenanceWindow, action: str, before: Any, after: Any) -> None:
    ChangeRecord.objects.create(
        at=timezone.now(),
        actor=user if user.is_authenticated else None,
        via=via,
        kind=KIND,
        key=f"{window.system.key}@{window.starts_at:%Y-%m-%dT%H:%M}",
        action=action,
        before=before,
        after=after,
    )


def may_plan(user: Any, system: System) -> bool:
    return can_edit(user, system)


def plan_window(
    system: System, user: Any, data: Mapping[str, Any], via: str
) -> tuple[MaintenanceWindow | None, MaintenanceWindowForm]:
    """Plan a window from the form's data: the window saved (and in the change history), or None and the
    form with its errors."""
    if not may_plan(user, system):
        raise PermissionDenied("Only the system's owner or an admin plans its maintenance.")
    form = MaintenanceWindowForm(data)
    if not form.is_valid():
        return None, form
    with transaction.atomic():
        window = form.window(system)
        window.save()
        _record(user, via, window, ChangeRecord.Action.CREATE, None, document(window))
    return window, form


def cancellable() -> QuerySet[MaintenanceWindow]:
    """Windows that are not over: those a cancel may name."""
    return MaintenanceWindow.objects.filter(Q(ends_at__gt=timezone.now()) | Q(ends_at=None))


def next_span(window: Window, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The occurrence under way at `now`, else the next one (start, end); None once the window is over."""
    if window.repeats is None:
        if window.ends_at is None or window.ends_at <= now:
            return None
        return window.starts_at, window.ends_at
    upcoming = window.repeats.next_occurrence(max(now, window.starts_at))
    if window.ends_at is not None and upcoming is not None and upcoming[0] >= window.ends_at:
        return None
    return upcoming


def cancel_window(window: MaintenanceWindow, user: Any, via: str) -> None:
    """Cancel a window that is not over (see cancellable): deleted, its document kept in the change history."""
    if not may_plan(user, window.system):
        raise PermissionDenied("Only the system's owner or an admin cancels its maintenance.")
    with transaction.atomic():
        _record(user, via, window, ChangeRecord.Action.DELETE, document(window), None)
        window.delete()
