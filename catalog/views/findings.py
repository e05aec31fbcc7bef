"""The findings list at /findings/ (HTML or CSV) and waiving a finding."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from catalog.filters import whole_number
from catalog.models import Person, StoredFinding, Waiver
from catalog.models.findings import FindingCode, Severity, SubjectType
from catalog.rules.export import write_csv
from catalog.rules.filters import WAIVED_CHOICES, StoredFindingFilterSet, parameter_errors, without_blanks
from catalog.rules.store import ordered, with_waivers
from plumbline.accounts.roles import OWNER, email_of, is_admin, role_of, role_required
from plumbline.http import read_only

PAGE_SIZE = 200
GROUPS = {"code": "code", "severity": "severity", "owner": "owner__email"}
FINDINGS_CSV_HEADER = (
    "code",
    "severity",
    "subject_type",
    "subject_key",
    "owner",
    "message",
    "remedy",
    "first_seen_at",
    "waived",
    "waiver_reason",
    "waiver_expires_on",
)


def _view_errors(params: QueryDict) -> list[str]:
    checks = {"format": ("html", "csv"), "group": tuple(GROUPS)}
    errors = []
    for name, allowed in checks.items():
        value = params.get(name)
        if value is not None and value not in allowed:
            errors.append(f"{name}={value!r}: must be one of {', '.join(allowed)}.")
    page = params.get("page")
    if page is not None and whole_number(page) is None:
        errors.append(f"page={page!r}: must be a whole number from 1.")
    return errors


@read_only
@role_required
def findings_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    params = without_blanks(request.GET)
    base = with_waivers(StoredFinding.objects.select_related("owner"), today)
    filterset = StoredFindingFilterSet(params, queryset=base)
    errors = parameter_errors(params, filterset) + _view_errors(params)
    context: dict[str, Any] = {
        "codes": FindingCode.choices,
        "severities": Severity.choices,
        "subject_types": SubjectType.choices,
        "waived_choices": WAIVED_CHOICES,
        "owners": Person.objects.filter(findings__isnull=False).distinct().order_by("email"),
        "params": params,
        "selected_codes": params.getlist("code"),
        "selected_severities": params.getlist("severity"),
        "group": params.get("group", "code"),
        "can_waive_all": is_admin(request.user),
        "my_email": email_of(request.user) if role_of(request.user) == OWNER else None,
    }
    if errors:
        return render(request, "catalog/findings.html", {**context, "errors": errors}, status=400)
    queryset: QuerySet[StoredFinding] = filterset.qs
    if params.get("format") == "csv":
        return _findings_csv(ordered(queryset), today)
    group = context["group"]
    group_field = GROUPS[group]
    rows = ordered(queryset, first=[] if group == "severity" else [group_field])
    page = Paginator(rows, PAGE_SIZE).get_page(params.get("page"))
    group_counts = dict(queryset.order_by().values(group_field).annotate(n=Count("id")).values_list(group_field, "n"))
    totals = _totals(queryset)
    groups = [
        {"key": key, "count": group_counts.get(key, 0), "rows": list(items)}
        for key, items in groupby(page.object_list, key=lambda row: _group_key(row, group))
    ]
    query = params.copy()
    query.pop("page", None)
    context.update(page=page, groups=groups, totals=totals, query=query.urlencode())
    csv_query = query.copy()
    csv_query["format"] = "csv"
    context["csv_query"] = csv_query.urlencode()
    return render(request, "catalog/findings.html", context)


def _totals(queryset: QuerySet[StoredFinding]) -> dict[str, int]:
    """Counted findings by severity, and how many are waived (not counted)."""
    totals = dict.fromkeys([*Severity.values, "counted", "waived"], 0)
    # `waived` is the with_waivers() annotation, which the type checker cannot see.
    rows = queryset.order_by().values_list("severity", "waived").annotate(n=Count("id"))  # type: ignore[misc]
    for severity, waived, n in rows:
        if waived:
            totals["waived"] += n
        else:
            totals[severity] += n
            totals["counted"] += n
    return totals


def _group_key(row: StoredFinding, group: str) -> str | None:
    if group == "owner":
        return row.owner.email if row.owner else None
    return str(getattr(row, group))


def _findings_csv(queryset: QuerySet[StoredFinding], today: dt.date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="findings-{today.isoformat()}.csv"'
    rows = (
        (
            row.code,
            row.severity,
            row.subject_type,
            row.subject_key,
            row.owner.email if row.owner else "",
            row.message,
            row.remedy,
            row.first_seen_at.isoformat(),
            "yes" if row.waived else "no",  # type: ignore[attr-defined]
            row.waiver_reason or "",  # type: ignore[attr-defined]
            row.waiver_expires_on.isoformat() if row.waiver_expires_on else "",  # type: ignore[attr-defined]
        )
        for row in queryset
    )
    write_csv(response, FINDINGS_CSV_HEADER, rows)
    return response


MAX_WAIVER_DAYS = 366


@role_required
def waive_finding(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept a finding until a date, with a reason: admins any, owners those on what they own."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    finding = get_object_or_404(StoredFinding.objects.select_related("owner"), pk=pk)
    owns = (
        role_of(request.user) == OWNER and finding.owner is not None and finding.owner.email == email_of(request.user)
    )
    if not (is_admin(request.user) or owns):
        raise PermissionDenied("Only an admin or the owner of what a finding is about may waive it.")
    today = timezone.localdate()
    reason = request.POST.get("reason", "").strip()
    try:
        expires_on = dt.date.fromisoformat(request.POST.get("expires_on", ""))
    except ValueError:
        expires_on = None
    problems = []
    if not reason:
        problems.append("a waiver needs a reason")
    if expires_on is None or not today < expires_on <= today + dt.timedelta(days=MAX_WAIVER_DAYS):
        problems.append(f"the expiry must be a date after today and within {MAX_WAIVER_DAYS} days")
    if problems or expires_on is None:
        messages.error(request, f"{finding.code} on {finding.subject} was not waived: {'; '.join(problems)}.")
    else:
        Waiver.objects.create(
            code=finding.code,
            subject_type=finding.subject_type,
            subject_key=finding.subject_key,
            reason=reason,
            expires_on=expires_on,
            created_by=request.user if request.user.is_authenticated else None,
        )
        messages.success(request, f"{finding.code} on {finding.subject} is waived until {expires_on}.")
    return redirect(request.META.get("HTTP_REFERER") or reverse("findings"))
