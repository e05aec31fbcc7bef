"""Go-live readiness: /golives/ (every go-live, how ready, which are overdue) and /golives/<key>/
(blockers first, one per cause, grouped by integration; the checklist per integration in scope with
attestations recorded on their rows; the approver's sign-off; the history; printable,
?show=blockers for the blockers alone, and ?format=csv for one row per integration and item)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from catalog.filters import whole_number
from catalog.models import Attestation, GoLive, Integration, SignOff
from catalog.ownership import person_of
from catalog.readiness.actions import submit_attestation, submit_sign_off
from catalog.readiness.checklist import IntegrationReadiness, ItemResult, Readiness
from catalog.readiness.export import CSV_HEADER, csv_rows
from catalog.readiness.forms import AttestationForm, SignOffForm
from catalog.readiness.load import readiness_by_golive
from catalog.readiness.overdue import overdue_by
from catalog.readiness.records import may_attest, may_sign_off
from catalog.rules.export import write_csv
from catalog.rules.finding import plural
from catalog.rules.golive import review_due_on, review_pending
from plumbline.accounts.roles import role_required
from plumbline.http import read_only


@read_only
@role_required
def golive_list(request: HttpRequest) -> HttpResponse:
    golives = list(GoLive.objects.select_related("approver").order_by("date", "key"))
    readiness = readiness_by_golive([g.pk for g in golives], timezone.localdate())
    latest: dict[int, SignOff] = {}
    for signoff in SignOff.objects.filter(golive__in=golives).order_by("signed_at", "id"):
        latest[signoff.golive_id] = signoff
    today = timezone.localdate()
    rows = [
        {
            "golive": g,
            "readiness": readiness[g.pk],
            "signoff": latest.get(g.pk),
            "overdue": overdue_by(g.date, g.pk in latest, today),
        }
        for g in golives
    ]
    return render(request, "catalog/golive_list.html", {"rows": rows, "today": today})


def _golive(key: str) -> GoLive:
    return get_object_or_404(GoLive.objects.select_related("approver"), key=key)


def _readiness(golive: GoLive) -> Readiness:
    return readiness_by_golive([golive.pk], timezone.localdate())[golive.pk]


@read_only
@role_required
def golive_detail(request: HttpRequest, key: str) -> HttpResponse:
    unknown = [name for name in request.GET if name not in ("format", "show", "page")]
    fmt = request.GET.get("format", "html")
    show = request.GET.get("show", "all")
    page = request.GET.get("page", "1")
    errors = [f"Unknown parameter {name!r} (known: format, show, page)." for name in unknown]
    if fmt not in ("html", "csv"):
        errors.append(f"format={fmt!r}: must be one of html, csv.")
    if show not in SHOW:
        errors.append(f"show={show!r}: must be one of {', '.join(SHOW)}.")
    if whole_number(page) is None:
        errors.append(f"page={page!r}: must be a whole number from 1.")
    golive = _golive(key)
    if errors:
        return render(request, "catalog/golive_detail.html", {"golive": golive, "errors": errors}, status=400)
    readiness = _readiness(golive)
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="readiness-{golive.key}-{stamp}.csv"'
        write_csv(response, CSV_HEADER, csv_rows(golive, readiness))
        return response
    return _page(request, golive, readiness, blockers_only=show == "blockers", page_number=whole_number(page) or 1)


SHOW = ("all", "blockers")
# A go-live's scope can hold hundreds of integrations: the checklist is shown this many
# integrations a page, and the full page lists the blockers of this many blocked integrations
# (?show=blockers lists them all).
CHECKLIST_PAGE_SIZE = 25
BLOCKED_SHOWN = 25


@dataclass(frozen=True)
class ChecklistRow:
    """One item of one integration on the page, with the attestation form on its row when the
    reader may attest it."""

    item: ItemResult
    anchor: str
    # The form's fields as HTML for those who may attest; attest_form is the refused form (with
    # its errors) on the row it was sent from.
    attest_fields: str = ""
    attest_form: AttestationForm | None = None


@dataclass(frozen=True)
class ChecklistSection:
    readiness: IntegrationReadiness
    rows: tuple[ChecklistRow, ...]


@dataclass(frozen=True)
class BlockerGroup:
    """A blocked integration with the address of the checklist page its rows are on."""

    readiness: IntegrationReadiness
    checklist_url: str


def checklist_page_of(readiness: Readiness, key: str) -> int:
    """The checklist page an integration of the scope is on (1 when it is not in scope)."""
    for index, row in enumerate(readiness.integrations):
        if row.integration.key == key:
            return index // CHECKLIST_PAGE_SIZE + 1
    return 1


def _blocker_groups(golive: GoLive, readiness: Readiness, limit: int | None) -> list[BlockerGroup]:
    base = reverse("golive-detail", args=[golive.key])
    groups: list[BlockerGroup] = []
    for index, row in enumerate(readiness.integrations):
        if not row.blockers:
            continue
        if limit is not None and len(groups) == limit:
            break
        number = index // CHECKLIST_PAGE_SIZE + 1
        groups.append(BlockerGroup(row, base if number == 1 else f"{base}?page={number}"))
    return groups


def item_anchor(integration: Integration, item: ItemResult) -> str:
    return f"item-{integration.key}-{item.code}"


def _sections(
    rows_shown: Sequence[IntegrationReadiness],
    attestable: set[str],
    initial: dict[str, Any],
    bound: AttestationForm | None,
) -> list[ChecklistSection]:
    """The checklist per integration shown; an attested item's row carries its form for those who
    may attest, the refused form (with its errors) on the row it was sent from.

    The blank forms of a page differ only in their ids, so their fields are drawn once, with a
    placeholder where each row's anchor goes (as a formset's empty_form has __prefix__): drawing
    them row by row was a third of the page's time at 25 integrations a page."""
    sent = (bound.data.get("integration"), bound.data.get("item")) if bound is not None else None
    blank = ""
    sections = []
    for row in rows_shown:
        integration = row.integration
        rows = []
        for item in row.items:
            anchor = item_anchor(integration, item)
            if not (item.attested and integration.key in attestable):
                rows.append(ChecklistRow(item, anchor))
            elif bound is not None and sent == (integration.key, item.code):
                rows.append(ChecklistRow(item, anchor, _attest_fields(bound), bound))
            else:
                if not blank:
                    blank = _attest_fields(AttestationForm(integrations=[], initial=initial, auto_id=f"{ROW}-%s"))
                rows.append(ChecklistRow(item, anchor, mark_safe(blank.replace(ROW, escape(anchor)))))  # noqa: S308
        sections.append(ChecklistSection(row, tuple(rows)))
    return sections


# Stands for a row's anchor in the ids of the blank attestation fields (see _sections).
ROW = "__attest-row__"


def _attest_fields(form: AttestationForm) -> str:
    return render_to_string("includes/attest_fields.html", {"f": form})


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    who: str
    what: str
    detail: str = ""
    evidence_url: str = ""


def _history(golive: GoLive) -> tuple[list[HistoryEntry], SignOff | None]:
    """Every attestation and sign-off, newest first, and the latest sign-off."""
    entries = [
        HistoryEntry(
            at=a.recorded_at,
            who=a.recorded_by_email,
            what=f"{a.get_item_display()}: {a.integration.display_name}",
            detail=f"done by {a.performed_by} on {a.performed_on.isoformat()}",
            evidence_url=a.evidence_url,
        )
        for a in Attestation.objects.filter(golive=golive).select_related("integration")
    ]
    signoffs = list(golive.signoffs.order_by("-signed_at", "-id"))
    for s in signoffs:
        if s.override_reason and s.blockers:
            detail = (
                f"at {s.readiness_percent}% with {plural(len(s.blockers), 'blocker')} overridden: {s.override_reason}"
            )
        else:
            detail = f"at {s.readiness_percent}%" + (f": {s.override_reason}" if s.override_reason else "")
        entries.append(HistoryEntry(at=s.signed_at, who=s.signed_by_email, what="Signed off", detail=detail))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries, (signoffs[0] if signoffs else None)


def _page(
    request: HttpRequest,
    golive: GoLive,
    readiness: Readiness,
    *,
    attest_form: AttestationForm | None = None,
    signoff_form: SignOffForm | None = None,
    blockers_only: bool = False,
    page_number: int = 1,
    status: int = 200,
) -> HttpResponse:
    attestable = {row.integration.key for row in readiness.integrations if may_attest(request.user, row.integration)}
    initial: dict[str, Any] = {}
    if attestable:
        person = person_of(request.user)
        initial = {
            "performed_by": person.display_name if person else request.user.get_username(),
            "performed_on": timezone.localdate(),
        }
    if attest_form is not None:  # a refused attestation is shown on the page its row is on
        page_number = checklist_page_of(readiness, str(attest_form.data.get("integration", "")))
    checklist: Page[IntegrationReadiness] = Paginator(readiness.integrations, CHECKLIST_PAGE_SIZE).get_page(page_number)
    sections = _sections(list(checklist.object_list), attestable, initial, attest_form)
    blocked = readiness.blocked_integrations
    blocker_groups = _blocker_groups(golive, readiness, None if blockers_only else BLOCKED_SHOWN)
    placed = any(row.attest_form is attest_form for section in sections for row in section.rows)
    can_sign = may_sign_off(request.user, golive)
    history, signoff = _history(golive)
    today = timezone.localdate()
    review = golive.review_signoffs.order_by("-signed_at", "-id").first() if signoff else None
    if signoff and review and review_pending(signoff.signed_at, review.signed_at):
        review = None  # signed before the latest sign-off: a new review is due
    context: dict[str, Any] = {
        "golive": golive,
        "readiness": readiness,
        "sections": sections,
        "checklist": checklist,
        "blocker_groups": blocker_groups,
        "blocked_not_shown": len(blocked) - len(blocker_groups),
        "blockers_only": blockers_only,
        "overdue": overdue_by(golive.date, signoff is not None, today),
        # A refused attestation whose row could not be found (an unknown item) shows its errors on top.
        "attest_errors": attest_form if attest_form is not None and not placed else None,
        "attest_form": attest_form,
        "can_attest": bool(attestable),
        "signoff_form": (signoff_form or SignOffForm()) if can_sign else None,
        "history": history,
        "signoff": signoff,
        "review_due_on": review_due_on(golive.date, settings.PLUMBLINE_GOLIVE_REVIEW_DAYS) if signoff else None,
        "review_signed": review,
        "today": today,
    }
    return render(request, "catalog/golive_detail.html", context, status=status)


@role_required
@require_POST
def golive_attest(request: HttpRequest, key: str) -> HttpResponse:
    golive = _golive(key)
    readiness = _readiness(golive)
    attestation, form = submit_attestation(golive, readiness, request.user, request.POST)
    if attestation is None:
        return _page(request, golive, readiness, attest_form=form, status=400)
    messages.success(request, f"Recorded: {attestation.get_item_display()} for {attestation.integration.display_name}.")
    return redirect("golive-detail", key=golive.key)


@role_required
@require_POST
def golive_sign_off(request: HttpRequest, key: str) -> HttpResponse:
    golive = _golive(key)
    readiness = _readiness(golive)
    signoff, form = submit_sign_off(golive, readiness, request.user, request.POST)
    if signoff is None:
        return _page(request, golive, readiness, signoff_form=form, status=400)
    how = " with the blockers overridden" if signoff.blockers else ""
    messages.success(request, f"{golive} signed off at {signoff.readiness_percent}%{how}.")
    return redirect("golive-detail", key=golive.key)
