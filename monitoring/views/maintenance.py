"""A system's planned outages, on a page: while a window is open, flips of integrations touching the system
raise no alerts (monitoring/alerting/planning.py); flips are still recorded. A window is one-off, or
recurring (daily, weekly on chosen days, monthly, or a raw RRULE) in a time zone, each occurrence lasting
a duration; the windows the system's spec lists are shown beside them (changed in the spec, not here).
The system's owner or an admin plans and cancels them (monitoring/alerting/maintenance_plans.py, shared with
the API); each change is in the change history (via "page")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalog.models import ChangeRecord, System
from monitoring.alerting import maintenance_plans as plans
from monitoring.alerting.maintenance import Window, app_window, spec_windows
from monitoring.models import MaintenanceWindow
from plumbline.accounts.roles import role_required

PAST_SHOWN = 10


def _recurring_rows(windows: list[tuple[MaintenanceWindow | None, Window]], now: dt.datetime) -> list[dict[str, Any]]:
    """The recurring windows, spec's and app's, each in words with its next occurrence (or the one under way)."""
    rows = []
    for row, window in windows:
        assert window.repeats is not None
        upcoming = plans.next_span(window, now)
        rows.append({"row": row, "window": window, "words": window.repeats.describe(), "next": upcoming})
    return rows


@role_required
def system_maintenance(request: HttpRequest, key: str) -> HttpResponse:
    system = get_object_or_404(System, key=key)
    may_plan = plans.may_plan(request.user, system)
    form = plans.MaintenanceWindowForm()
    if request.method == "POST":
        window, form = plans.plan_window(system, request.user, request.POST, ChangeRecord.Via.PAGE)
        if window is not None:
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
    if not plans.may_plan(request.user, system):
        raise PermissionDenied("Only the system's owner or an admin cancels its maintenance.")
    plans.cancel_window(
        get_object_or_404(plans.cancellable().filter(system=system), pk=pk), request.user, ChangeRecord.Via.PAGE
    )
    messages.success(request, f"Maintenance of {system.display_name} cancelled: alerts are sent again.")
    return redirect("system-maintenance", key=system.key)
