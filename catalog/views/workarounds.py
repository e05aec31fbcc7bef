"""Confirming a run of a phase-two workaround, three ways: the Done button on the integration page
(POST /integrations/<key>/workaround/done/, for the performer, the owners and admins), the signed
link of the reminder email (/workaround/confirm/<token>/: GET shows, POST confirms, no login), and a
ping to the workaround's own URL (POST /workaround/<uuid>/done, optional JSON {"hours", "note"}).
Each confirms one due run once: a second confirmation of the same run changes nothing. Also the
workaround card of the integration page (workaround_card)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from catalog.choices import Phase
from catalog.models import ConfirmedVia, Integration, WorkaroundRun
from catalog.ownership import can_edit, may_confirm_workaround
from catalog.reminders.links import LinkRefused
from catalog.workarounds.forms import BadConfirmation, DoneForm, parse_done_body
from catalog.workarounds.links import LINK_DAYS, read_token
from catalog.workarounds.runs import Confirmation, NothingDue, cadence_for, confirm, tracked_from
from plumbline.accounts.roles import email_of, role_required
from plumbline.http import BodyRefused, read_body

PING_MAX_BYTES = 4 * 1024  # {"hours": ..., "note": 500 characters} fits many times over
TOO_LARGE = f"body over {PING_MAX_BYTES // 1024} KB"
RECENT_RUNS = 6  # due runs the card lists


def _confirmed_text(outcome: Confirmation, day: str) -> tuple[bool, str]:
    if outcome.recorded:
        return True, f"Confirmed: the workaround run due {day} is done."
    return False, f"The workaround run due {day} was already confirmed; nothing changed."


def _day(integration: Integration, at: dt.datetime) -> str:
    cadence = cadence_for(integration)
    day = cadence.local_day(at) if cadence else at.date()
    return day.strftime("%a %Y-%m-%d")


@role_required
@require_POST
def workaround_done(request: HttpRequest, key: str) -> HttpResponse:
    """The Done button: confirms the current run (the latest due by the end of today)."""
    integration = (
        Integration.objects.select_related("owner", "backup_owner", "workaround_performed_by", "sync_calendar")
        .filter(key=key)
        .first()
    )
    if integration is None:
        raise Http404(f"There is no integration with the key “{key}”.")
    if not may_confirm_workaround(request.user, integration):
        raise PermissionDenied("Only the workaround's performer, the integration's owners or an admin may confirm it.")
    back = reverse("integration-detail", args=[integration.key]) + "#workaround-heading"
    form = DoneForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(
            f"{form.fields[name].label}: {' '.join(str(m) for m in e)}" for name, e in form.errors.items()
        )
        messages.error(request, f"Nothing was confirmed. {errors}")
        return redirect(back)
    try:
        outcome = confirm(
            integration,
            via=ConfirmedVia.PAGE,
            by=email_of(request.user),
            hours=form.cleaned_data["hours"],
            note=form.cleaned_data["note"],
        )
    except NothingDue as nothing:
        messages.error(request, f"Nothing was confirmed: {nothing}.")
        return redirect(back)
    recorded, text = _confirmed_text(outcome, _day(integration, outcome.run.due_at))
    (messages.success if recorded else messages.info)(request, text)
    return redirect(back)


def _refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(request, "catalog/workaround_refused.html", {"reason": reason, "link_days": LINK_DAYS}, status=status)


@require_http_methods(["GET", "POST"])
def workaround_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The reminder's link: whoever holds it may confirm that one run; no login, as the link was
    sent only to the performer and names one run. Refused when forged, cut or expired."""
    try:
        run_id = read_token(token)
    except LinkRefused as refused:
        return _refused(request, refused.reason, 410 if refused.reason == "expired" else 400)
    run = (
        WorkaroundRun.objects.select_related("integration__workaround_performed_by", "integration__sync_calendar")
        .filter(pk=run_id)
        .first()
    )
    if run is None:
        return _refused(request, "gone", 404)
    integration = run.integration
    form = DoneForm()
    status = 200
    if request.method == "POST":
        form = DoneForm(request.POST)
        if form.is_valid():
            performer = integration.workaround_performed_by
            outcome = confirm(
                integration,
                via=ConfirmedVia.LINK,
                by=performer.email if performer else "",
                hours=form.cleaned_data["hours"],
                note=form.cleaned_data["note"],
                due_at=run.due_at,
            )
            recorded, text = _confirmed_text(outcome, _day(integration, run.due_at))
            (messages.success if recorded else messages.info)(request, text)
            run = outcome.run
        else:
            status = 400
    cadence = cadence_for(integration)
    today = cadence.local_day(timezone.now()) if cadence else timezone.localdate()
    overdue = (cadence.local_day(run.due_at) if cadence else run.due_at.date()) < today
    context = {
        "run": run,
        "integration": integration,
        "due_day": _day(integration, run.due_at),
        "overdue": overdue,
        "form": form,
    }
    return render(request, "catalog/workaround_confirm.html", context, status=status)


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def workaround_ping(request: HttpRequest, workaround_uuid: uuid.UUID) -> HttpResponse:
    """A script's confirmation: the secret is the uuid. Unknown uuid 404 (its body never judged);
    a body over PING_MAX_BYTES 413, not the documented JSON 400; no cadence declared 409. Any
    refusal writes nothing."""
    integration = Integration.objects.select_related("sync_calendar").filter(workaround_uuid=workaround_uuid).first()
    if integration is None:
        return _plain("not found", 404)
    try:
        hours, note = parse_done_body(read_body(request, PING_MAX_BYTES, TOO_LARGE))
    except BodyRefused as refused:
        return _plain(refused.message, refused.status)
    except BadConfirmation as bad:
        return _plain(str(bad), 400)
    try:
        outcome = confirm(integration, via=ConfirmedVia.PING, hours=hours, note=note)
    except NothingDue as nothing:
        return _plain(str(nothing), 409)
    run = outcome.run
    return JsonResponse(
        {
            "integration": integration.key,
            "due_at": run.due_at.isoformat(),
            "confirmed_at": run.confirmed_at.isoformat() if run.confirmed_at else None,
            "already_confirmed": not outcome.recorded,
        }
    )


@dataclass(frozen=True)
class RunRow:
    due_at: dt.datetime
    day: str
    run: WorkaroundRun | None
    missed: bool  # its due day has passed unconfirmed
    counted: bool  # due on or after deferred_since


def workaround_card(request: HttpRequest, integration: Integration) -> dict[str, Any] | None:
    """What the integration page's workaround card shows: the cadence, the latest due runs with their
    confirmations (one query), the Done form for those who may confirm, the ping URL for owners and
    admins. None for an integration neither in phase two nor declaring a cadence."""
    cadence = cadence_for(integration)
    if cadence is None and integration.phase != Phase.PHASE_TWO:
        return None
    card: dict[str, Any] = {"cadence": cadence.describe() if cadence else "", "rows": []}
    if cadence is not None:
        now = timezone.now()
        today = cadence.local_day(now)
        due = cadence.previous(cadence.day_start(today + dt.timedelta(days=1)), RECENT_RUNS)
        stored = {run.due_at: run for run in WorkaroundRun.objects.filter(integration=integration, due_at__in=due)}
        since = tracked_from(integration, cadence)
        rows = []
        for at in due:
            run = stored.get(at)
            counted = since is None or at >= since
            missed = counted and cadence.local_day(at) < today and not (run and run.confirmed_at)
            rows.append(RunRow(at, _day(integration, at), run, missed, counted))
        card["rows"] = rows
        card["current"] = rows[0] if rows else None
    card["may_confirm"] = cadence is not None and may_confirm_workaround(request.user, integration)
    card["form"] = DoneForm()
    if cadence is not None and can_edit(request.user, integration):
        path = reverse("workaround-ping", args=[str(integration.workaround_uuid)])
        card["ping_url"] = request.build_absolute_uri(path)
    return card
