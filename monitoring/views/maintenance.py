"""A system's planned outages, on a page: while a window is open, flips of integrations touching the system
raise no alerts (monitoring/alerting/planning.py); flips are still recorded. A window is one-off, or
recurring (daily, weekly on chosen days, monthly, or a raw RRULE) in a time zone, each occurrence lasting
a duration; the windows the system's spec lists are shown beside them (changed in the spec, not here).
The system's owner or an admin plans and cancels them; each change is in the change history (via "page")."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalog.models import ChangeRecord, System
from catalog.ownership import can_edit
from monitoring.alerting.maintenance import Window, app_window, spec_windows
from monitoring.models import MaintenanceWindow
from plumbline.accounts.roles import role_required
from plumbline.recurrence import DAY_NAMES, LONGEST, RecurrenceError, recurrence, zone_named
from plumbline.storable import datetime_problem

KIND = "MaintenanceWindow"  # as the change history names it
PAST_SHOWN = 10
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


def _document(window: MaintenanceWindow) -> dict[str, Any]:
    found: dict[str, Any] = {
        "system": window.system.key,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat() if window.ends_at else None,
        "reason": window.reason,
    }
    if window.rrule:
        found |= {"rrule": window.rrule, "timezone": window.timezone, "duration_minutes": window.duration_minutes}
    return found


def _record(request: HttpRequest, window: MaintenanceWindow, action: str, before: Any, after: Any) -> None:
    ChangeRecord.objects.create(
        at=timezone.now(),
        actor=request.user if request.user.is_authenticated else None,
        via=ChangeRecord.Via.PAGE,
        kind=KIND,
        key=f"{window.system.key}@{window.starts_at:%Y-%m-%dT%H:%M}",
        action=action,
        before=before,
        after=after,
    )


def _recurring_rows(windows: list[tuple[MaintenanceWindow | None, Window]], now: dt.datetime) -> list[dict[str, Any]]:
    """The recurring windows, spec's and app's, each in words with its next occurrence (or the one under way)."""
    rows = []
    for row, window in windows:
        assert window.repeats is not None
        upcoming = window.repeats.next_occurrence(max(now, window.starts_at))
        if window.ends_at is not None and upcoming is not None and upcoming[0] >= window.ends_at:
            upcoming = None
        rows.append({"row": row, "window": window, "words": window.repeats.describe(), "next": upcoming})
    return rows


@role_required
def system_maintenance(request: HttpRequest, key: str) -> HttpResponse:
    system = get_object_or_404(System, key=key)
    may_plan = can_edit(request.user, system)
    form = MaintenanceWindowForm(request.POST or None)
    if request.method == "POST":
        if not may_plan:
            raise PermissionDenied("Only the system's owner or an admin plans its maintenance.")
        if form.is_valid():
            with transaction.atomic():
                window = form.window(system)
                window.save()
                _record(request, window, ChangeRecord.Action.CREATE, None, _document(window))
            messages.success(request, f"Maintenance of {system.display_name} planned: alerts are held meanwhile.")
            return redirect("system-maintenance", key=system.key)
    now = timezone.now()
    rows = list(MaintenanceWindow.objects.filter(system=system))
    once = [row for row in rows if not row.rrule]
    recurring: list[tuple[MaintenanceWindow | None, Window]] = [
        (row, app_window(row, system)) for row in rows if row.rrule and (row.ends_at is None or row.ends_at > now)
    ]
    recurring += [(None, window) for window in spec_windows(system)]
    repeating = _recurring_rows(recurring, now)
    context = {
        "system": system,
        "form": form,
        "may_plan": may_plan,
        "current": sorted((w for w in once if w.starts_at <= now < (w.ends_at or now)), key=lambda w: w.starts_at),
        "current_recurring": [r for r in repeating if r["next"] and r["next"][0] <= now],
        "upcoming": sorted((w for w in once if w.starts_at > now), key=lambda w: w.starts_at),
        "recurring": repeating,
        "past": sorted(
            (w for w in once if w.ends_at and w.ends_at <= now), key=lambda w: w.ends_at or now, reverse=True
        )[:PAST_SHOWN],
    }
    return render(request, "monitoring/maintenance.html", context, status=400 if form.errors else 200)


@require_POST
@role_required
def cancel_maintenance(request: HttpRequest, key: str, pk: int) -> HttpResponse:
    system = get_object_or_404(System, key=key)
    if not can_edit(request.user, system):
        raise PermissionDenied("Only the system's owner or an admin cancels its maintenance.")
    window = get_object_or_404(MaintenanceWindow, Q(ends_at__gt=timezone.now()) | Q(ends_at=None), pk=pk, system=system)
    with transaction.atomic():
        before = _document(window)
        _record(request, window, ChangeRecord.Action.DELETE, before, None)
        window.delete()
    messages.success(request, f"Maintenance of {system.display_name} cancelled: alerts are sent again.")
    return redirect("system-maintenance", key=system.key)
