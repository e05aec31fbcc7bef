"""A system's planned outages, on a page: while a window is open, flips of integrations touching the system
raise no alerts (monitoring/alerting/planning.py); flips are still recorded. The system's owner or an admin
plans and cancels them; each change is in the change history (via "page"). Recurring windows (RRULE) come
with issue 14's schedules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalog.models import ChangeRecord, System
from catalog.ownership import can_edit
from monitoring.models import MaintenanceWindow
from plumbline.accounts.roles import role_required
from plumbline.storable import datetime_problem

KIND = "MaintenanceWindow"  # as the change history names it
PAST_SHOWN = 10
LONGEST = dt.timedelta(days=14)


class MaintenanceWindowForm(forms.ModelForm):
    class Meta:
        model = MaintenanceWindow
        fields = ["starts_at", "ends_at", "reason"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }
        labels = {"starts_at": "Starts", "ends_at": "Ends"}
        help_texts = {
            "starts_at": f"In {timezone.get_current_timezone_name()}.",
            "reason": 'What is planned, e.g. "NetSuite 2026.2 upgrade".',
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        for name in ("starts_at", "ends_at"):
            if (value := data.get(name)) is not None and (problem := datetime_problem(value)):
                self.add_error(name, problem)
        if starts and ends:
            if ends <= starts:
                self.add_error("ends_at", "must be after the start")
            elif ends - starts > LONGEST:
                self.add_error("ends_at", f"a window is at most {LONGEST.days} days: alerts would be held that long")
            elif ends <= timezone.now():
                self.add_error("ends_at", "is in the past: a window that is over holds no alert")
        return data


def _document(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "system": window.system.key,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "reason": window.reason,
    }


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
                window = form.save(commit=False)
                window.system = system
                window.save()
                _record(request, window, ChangeRecord.Action.CREATE, None, _document(window))
            messages.success(request, f"Maintenance of {system.display_name} planned: alerts are held meanwhile.")
            return redirect("system-maintenance", key=system.key)
    now = timezone.now()
    windows = MaintenanceWindow.objects.filter(system=system)
    context = {
        "system": system,
        "form": form,
        "may_plan": may_plan,
        "current": list(windows.filter(starts_at__lte=now, ends_at__gt=now).order_by("starts_at")),
        "upcoming": list(windows.filter(starts_at__gt=now).order_by("starts_at")),
        "past": list(windows.filter(ends_at__lte=now).order_by("-ends_at")[:PAST_SHOWN]),
    }
    return render(request, "monitoring/maintenance.html", context, status=400 if form.errors else 200)


@require_POST
@role_required
def cancel_maintenance(request: HttpRequest, key: str, pk: int) -> HttpResponse:
    system = get_object_or_404(System, key=key)
    if not can_edit(request.user, system):
        raise PermissionDenied("Only the system's owner or an admin cancels its maintenance.")
    window = get_object_or_404(MaintenanceWindow, pk=pk, system=system, ends_at__gt=timezone.now())
    with transaction.atomic():
        before = _document(window)
        _record(request, window, ChangeRecord.Action.DELETE, before, None)
        window.delete()
    messages.success(request, f"Maintenance of {system.display_name} cancelled: alerts are sent again.")
    return redirect("system-maintenance", key=system.key)
