"""/reminders/ (digests sent: admins see all, others their own) and /review/<token>/, where a
digest's signed link lets the owner confirm a spec is still accurate or snooze it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from catalog.models import Integration, Reminder, ReviewSnooze, StoredFinding
from catalog.models.findings import SubjectType
from catalog.ownership import visible_reminders
from catalog.reminders import conf
from catalog.reminders.forms import SnoozeForm
from catalog.reminders.links import LinkRefused, ReviewLink, read_token
from catalog.reminders.review import active_snooze, confirm_review, may_review, record_answer, snooze
from catalog.rules.store import ordered, with_waivers
from plumbline.accounts.roles import email_of, is_admin, role_required
from plumbline.http import read_only

PAGE_SIZE = 100


@read_only
@role_required
def reminder_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    admin = is_admin(request.user)
    reminders = Reminder.objects.select_related("person").order_by("-period_start", "person__email")
    reminders = visible_reminders(request.user, reminders)
    snoozes = ReviewSnooze.objects.filter(until__gt=today).select_related("integration", "created_by")
    if not admin:
        email = email_of(request.user)
        snoozes = snoozes.filter(
            Q(integration__owner__email__iexact=email) | Q(integration__backup_owner__email__iexact=email)
        )
    page = Paginator(reminders, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "admin": admin,
        "snoozes": snoozes.order_by("until", "integration__key"),
        "reminder_days": conf.reminder_days(),
    }
    return render(request, "catalog/reminders.html", context)


def _refused(request: HttpRequest, reason: str, status: int, **extra: Any) -> HttpResponse:
    context = {"reason": reason, "link_days": conf.link_days(), **extra}
    return render(request, "catalog/review_refused.html", context, status=status)


@role_required
def review(request: HttpRequest, token: str) -> HttpResponse:
    """Nothing changes unless the link is genuine, current, and opened by the owner, backup owner or an admin."""
    try:
        link = read_token(token)
    except LinkRefused as refused:
        return _refused(
            request, refused.reason, 410 if refused.reason == "expired" else 400, signed_at=refused.signed_at
        )
    integration = (
        Integration.objects.select_related("owner", "backup_owner", "source", "target")
        .filter(key=link.integration_key)
        .first()
    )
    if integration is None:
        return _refused(request, "gone", 404, key=link.integration_key)
    if not may_review(request.user, integration):
        return _refused(request, "not-yours", 403, integration=integration, email=email_of(request.user))
    record_answer(request.user)
    today = timezone.localdate()
    form = SnoozeForm(today=today)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "confirm":
            record = confirm_review(integration, request.user, today)
            if record is None:
                messages.info(request, f"{integration.display_name} was already confirmed today.")
            else:
                messages.success(request, f"Confirmed: {integration.display_name} is still accurate (reviewed today).")
            return redirect("integration-detail", key=integration.key)
        if action == "snooze":
            form = SnoozeForm(request.POST, today=today)
            if form.is_valid():
                until = form.cleaned_data["until"]
                snooze(integration, request.user, until, form.cleaned_data["reason"])
                messages.success(
                    request, f"{integration.display_name} is left out of reminders until {until.isoformat()}."
                )
                return redirect("reminder-list")
        else:
            messages.error(request, "Choose to confirm the spec or to snooze it.")
        return _review_page(request, integration, link, form, status=400)
    return _review_page(request, integration, link, form)


def _review_page(
    request: HttpRequest, integration: Integration, link: ReviewLink, form: SnoozeForm, status: int = 200
) -> HttpResponse:
    today = timezone.localdate()
    findings = ordered(
        with_waivers(
            StoredFinding.objects.filter(subject_type=SubjectType.INTEGRATION, subject_key=integration.key), today
        )
    )
    context = {
        "integration": integration,
        "link": link,
        "form": form,
        "findings": findings,
        "snooze": active_snooze(integration, today),
    }
    return render(request, "catalog/review.html", context, status=status)
