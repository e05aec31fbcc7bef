"""The health page of one integration (/integrations/<key>/health/) and its actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalog.choices import HealthKind
from catalog.filters import whole_number
from catalog.models import Integration
from monitoring.health import actions, timeline
from monitoring.health.actions import RECORD_ACTIONS, act_on_records, can_act, open_records, require_can_act
from monitoring.health.pipeline import resettle
from monitoring.health.state import OBSERVATION_WINDOW, RunFacts, failing_reason
from monitoring.ingest.heartbeats import schedule_apply
from monitoring.ingest.pending import apply_before_reading, apply_dead_again, discard_dead
from monitoring.models import Alert, DeadPing, FailedRecord, Flip, HealthSource, ResyncRequest, Run
from plumbline.accounts.roles import role_required
from plumbline.http import read_only

RECENT = 50
RECENT_TESTS = 10


def _user(request: HttpRequest) -> Any:
    """The logged-in user (the views are role_required, so never anonymous)."""
    return request.user


def _integration(key: str) -> Integration:
    return get_object_or_404(Integration.objects.select_related("owner", "backup_owner", "source", "target"), key=key)


def _selected(request: HttpRequest, name: str) -> list[int]:
    """The ids ticked in a form's `name` checkboxes; anything not a whole number selects nothing."""
    return [pk for raw in request.POST.getlist(name) if (pk := whole_number(raw))]


def _back(integration: Integration) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("integration-health", args=[integration.key]))


@read_only
@role_required
def health_page(request: HttpRequest, key: str) -> HttpResponse:
    integration = _integration(key)
    apply_before_reading()
    source = HealthSource.objects.filter(integration=integration).select_related("ping_counter").first()
    now = timezone.now()
    counted = Run.objects.filter(integration_id=integration.pk, test=False)  # test runs are listed apart
    # The week's runs as plain values, not models: 2,016 of them for a five-minute integration.
    week = counted.filter(run_at__gte=now - OBSERVATION_WINDOW).order_by("-run_at")
    minimum = source.min_records_per_run if source else None
    points = [
        timeline.RunPoint(
            at=at,
            status=status,
            label=f"{external_id} {status} {at:%Y-%m-%d %H:%M}",
            suspect=status == "success" and bool(failing_reason(RunFacts(external_id, status, out, failed), minimum)),
            records_in=records_in,
            records_out=out,
        )
        for external_id, status, at, records_in, out, failed in week.values_list(
            "external_id", "status", "run_at", "records_in", "records_out", "records_failed"
        )[:2000]
    ]
    chart = timeline.build(
        points,
        now=now,
        declared_minutes=source.interval_minutes if source else None,
        median_minutes=source.observed_median_minutes if source else None,
    )
    failed = FailedRecord.objects.filter(integration=integration).select_related("run")
    alerts = (
        Alert.objects.filter(Q(flip__integration=integration) | Q(covers__integration=integration))
        .select_related("flip", "system")
        .distinct()
        .order_by("-created_at", "-id")[:RECENT]
    )
    context = {
        "integration": integration,
        "source": source,
        "can_act": can_act(request.user, integration),
        "chart": chart,
        "recent_runs": list(counted[:RECENT]),
        "test_runs": list(Run.objects.filter(integration=integration, test=True)[:RECENT_TESTS]),
        "open_failed": list(failed.filter(resolved_at=None).order_by("position")[:500]),
        "resolved_failed": list(
            failed.exclude(resolved_at=None).select_related("resolved_by").order_by("-resolved_at")[:RECENT]
        ),
        "resyncs": list(
            ResyncRequest.objects.filter(integration=integration).prefetch_related("failed_records")[:RECENT]
        ),
        "flips": list(Flip.objects.filter(integration=integration)[:RECENT]),
        "alerts": list(alerts),
        "dead_pings": list(DeadPing.objects.filter(integration=integration)[:RECENT]),
        "ping_path": (
            reverse("ping", args=[integration.ping_uuid])
            if source and source.kind == HealthKind.HEARTBEAT and can_act(request.user, integration)
            else ""
        ),
    }
    return render(request, "monitoring/health.html", context)


@role_required
@require_POST
def failed_records_action(request: HttpRequest, key: str) -> HttpResponse:
    """Acknowledge, resolve or request a re-sync of the selected open failed records."""
    integration = _integration(key)
    require_can_act(request.user, integration)
    action = request.POST.get("action", "")
    selected = open_records(integration, _selected(request, "record"))
    if action not in RECORD_ACTIONS or not selected.exists():
        messages.error(request, "Select one or more open failed records and an action.")
        return _back(integration)
    done, resync = act_on_records(integration, selected, action, _user(request))
    if resync is not None:
        messages.success(request, f"Re-sync requested ({resync.get_method_display().lower()}).")
    else:
        messages.success(request, f"{done} failed records {action}d.")
    return _back(integration)


@role_required
@require_POST
def dead_pings_action(request: HttpRequest, key: str) -> HttpResponse:
    """Apply again or discard the selected pings that could not be applied."""
    integration = _integration(key)
    if not can_act(request.user, integration):
        raise PermissionDenied
    action = request.POST.get("action")
    ids = _selected(request, "ping")
    selected = list(DeadPing.objects.filter(integration=integration, pk__in=ids).values_list("pk", flat=True))
    if action not in {"apply", "discard"} or not selected:
        messages.error(request, "Select one or more pings and an action.")
    elif action == "apply":
        done = apply_dead_again(selected)
        schedule_apply()
        messages.success(request, f"{done} ping{'s' if done != 1 else ''} queued to be applied again.")
    else:
        done = discard_dead(selected)
        messages.success(request, f"{done} ping{'s' if done != 1 else ''} discarded.")
    return _back(integration)


@role_required
@require_POST
def resolve_resync(request: HttpRequest, pk: int) -> HttpResponse:
    """A re-sync is done: it and the failed records it carried are resolved."""
    resync = get_object_or_404(ResyncRequest.objects.select_related("integration"), pk=pk)
    if actions.resolve_resync(resync, request.user):
        messages.success(request, "Re-sync marked resolved.")
    return _back(resync.integration)


@role_required
@require_POST
def acknowledge_alert(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert.objects.select_related("flip__integration"), pk=pk)
    actions.acknowledge_alert(alert, request.user)
    messages.success(request, "Alert acknowledged: it will not be escalated.")
    return _back(alert.flip.integration)


@role_required
@require_POST
def pause(request: HttpRequest, key: str) -> HttpResponse:
    """Pause (no lateness, no alerts) or resume a health source; either is a flip."""
    integration = _integration(key)
    if not can_act(request.user, integration):
        raise PermissionDenied
    paused = request.POST.get("action") == "pause"
    with transaction.atomic():
        source = get_object_or_404(
            HealthSource.objects.select_for_update(of=("self",)).select_related("last_run"), integration=integration
        )
        source.paused = paused
        resettle(source, timezone.now(), ["paused"])
    messages.success(request, "Health checks paused." if paused else "Health checks resumed.")
    return _back(integration)
