"""The findings list at /findings/ (HTML or CSV) and waiving a finding."""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from functools import reduce
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from catalog.filters import whole_number
from catalog.models import DataObject, GoLive, Integration, Person, StoredFinding, System, Waiver
from catalog.models.findings import FindingCode, Severity, SubjectType, finding_title
from catalog.rules.export import write_csv
from catalog.rules.filters import WAIVED_CHOICES, StoredFindingFilterSet, parameter_errors, without_blanks
from catalog.rules.finding import SPEC_FIELDS
from catalog.rules.store import SEVERITY_ORDER, ordered, with_waivers
from plumbline.accounts.roles import OWNER, email_of, is_admin, role_of, role_required
from plumbline.http import read_only

# Each finding row carries its waiver dialog: 50 a page keeps the page light at any estate size.
PAGE_SIZE = 50
GROUPS = {"severity": "severity", "code": "code", "owner": "owner__email"}
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


@dataclass(frozen=True)
class FindingRow:
    """A stored finding as the page shows it: its title in words and its subject by name."""

    finding: StoredFinding
    title: str
    subject_name: str
    spec_fields: tuple[str, ...]


@dataclass(frozen=True)
class Chip:
    """An active filter, with the query that removes it and keeps the others."""

    label: str
    value: str
    remove_query: str


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


def _query(params: QueryDict, **changes: str | None) -> str:
    """The page's query with some parameters set (or removed with None), back to page one."""
    query = params.copy()
    query.pop("page", None)
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    return query.urlencode()


@read_only
@role_required
def findings_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    params = without_blanks(request.GET)
    base = with_waivers(StoredFinding.objects.select_related("owner"), today)
    filterset = StoredFindingFilterSet(params, queryset=base)
    errors = parameter_errors(params, filterset) + _view_errors(params)
    # A semi-join: joining 20,000 findings and then DISTINCT cost PostgreSQL more than the page.
    with_findings = StoredFinding.objects.filter(owner_id=OuterRef("pk"))
    owners = list(Person.objects.filter(Exists(with_findings)).order_by("name", "email"))
    systems = list(System.objects.order_by("name", "key").only("key", "name"))
    context: dict[str, Any] = {
        "codes": sorted(((code, finding_title(code)) for code in FindingCode.values), key=lambda pair: pair[1]),
        "severities": list(reversed(Severity.choices)),
        "subject_types": SubjectType.choices,
        "waived_choices": WAIVED_CHOICES,
        "owners": owners,
        "systems": systems,
        "params": params,
        "selected_codes": params.getlist("code"),
        "selected_severities": params.getlist("severity"),
        "group": params.get("group", "severity"),
        "more_filters_open": any(name in params for name in ("subject_type", "subject", "waived")),
        "can_waive_all": is_admin(request.user),
        "my_email": email_of(request.user) if role_of(request.user) == OWNER else None,
        "waive_from": today + dt.timedelta(days=1),
        "waive_until": today + dt.timedelta(days=MAX_WAIVER_DAYS),
    }
    if errors:
        return render(request, "catalog/findings.html", {**context, "errors": errors}, status=400)
    queryset: QuerySet[StoredFinding] = filterset.qs
    if params.get("format") == "csv":
        return _findings_csv(ordered(queryset), today)
    group = context["group"]
    group_field = GROUPS[group]
    group_stats = list(
        queryset.order_by()
        .values(group_field)
        .annotate(n=Count("id"), worst=Max(SEVERITY_ORDER))
        .values_list(group_field, "n", "worst")
    )
    group_counts = {key: n for key, n, _ in group_stats}
    page = Paginator(ordered(queryset), PAGE_SIZE).get_page(params.get("page"))
    findings = list(_page_rows(queryset, group, group_field, group_stats, (page.number - 1) * PAGE_SIZE))
    names = _subject_names(findings)
    groups = [
        {
            "key": key,
            "title": finding_title(key) if group == "code" and key else "",
            "count": group_counts.get(key, 0),
            "rows": [_row(finding, names) for finding in items],
        }
        for key, items in groupby(findings, key=lambda row: _group_key(row, group))
    ]
    context.update(
        page=page,
        groups=groups,
        totals=_totals(queryset),
        query=_query(params),
        csv_query=_query(params, format="csv"),
        severity_queries={severity: _query(params, severity=severity) for severity in Severity.values},
        waived_query=_query(params, waived="yes"),
        chips=_chips(params, context),
    )
    return render(request, "catalog/findings.html", context)


def _page_rows(
    queryset: QuerySet[StoredFinding], group: str, field: str, stats: list[tuple[Any, int, int]], offset: int
) -> list[StoredFinding]:
    """The PAGE_SIZE findings from `offset` on, grouped: codes and owners with the most severe
    findings first (then the most findings); severity groups need nothing ahead of the usual order,
    which is most severe first already. The groups' sizes are known, so only the groups the page
    spans are read, ordered by a CASE of those few (never one branch per owner of the estate).
    The page's ids are found first and its rows read after: PostgreSQL works out the waiver
    columns of every row it sorts, 20,000 subqueries for a page of 50."""
    if group == "severity":
        return _rows(queryset, ordered(queryset).values_list("pk", flat=True)[offset : offset + PAGE_SIZE])
    ranked = sorted(stats, key=lambda s: (-(s[2] or 0), -s[1], finding_title(s[0]) if group == "code" else s[0] or ""))
    spanned: list[Any] = []  # the groups with findings on the page, in order
    before = start = 0  # findings ahead of the first spanned group; ahead of the group at hand
    for key, count, _ in ranked:
        if start + count > offset and start < offset + PAGE_SIZE:
            before = before if spanned else start
            spanned.append(key)
        start += count
    if not spanned:
        return []
    conditions = [Q(**{f"{field}__isnull": True}) if key is None else Q(**{field: key}) for key in spanned]
    whens = [When(condition, then=Value(i)) for i, condition in enumerate(conditions)]
    in_order = Case(*whens, default=Value(len(spanned)), output_field=IntegerField())
    narrowed = ordered(queryset.filter(reduce(operator.or_, conditions)), first=[in_order])
    return _rows(queryset, narrowed.values_list("pk", flat=True)[offset - before : offset - before + PAGE_SIZE])


def _rows(queryset: QuerySet[StoredFinding], ids: Any) -> list[StoredFinding]:
    """These findings (ids in page order) with the queryset's columns, in that order."""
    order = list(ids)
    found = queryset.order_by().in_bulk(order)
    return [found[pk] for pk in order]


def _subject_names(findings: list[StoredFinding]) -> dict[tuple[str, str], str]:
    """(subject type, key) -> the name people know it by, for the integrations, systems, go-lives and
    data objects on the page."""
    models: tuple[tuple[str, type[Integration | System | GoLive | DataObject]], ...] = (
        (SubjectType.INTEGRATION, Integration),
        (SubjectType.SYSTEM, System),
        (SubjectType.GOLIVE, GoLive),
        (SubjectType.DATA_OBJECT, DataObject),
    )
    keys: dict[str, set[str]] = {subject_type: set() for subject_type, _ in models}
    for finding in findings:
        if finding.subject_type in keys:
            keys[finding.subject_type].add(finding.subject_key)
    names: dict[tuple[str, str], str] = {}
    for subject_type, model in models:
        if keys[subject_type]:
            for key, name in model.objects.filter(key__in=keys[subject_type]).values_list("key", "name"):
                names[(subject_type, key)] = name or key
    return names


def _row(finding: StoredFinding, names: dict[tuple[str, str], str]) -> FindingRow:
    subject = names.get((finding.subject_type, finding.subject_key), finding.subject_key)
    return FindingRow(finding, finding_title(finding.code), subject, SPEC_FIELDS.get(finding.code, ()))


def _chips(params: QueryDict, context: dict[str, Any]) -> list[Chip]:
    """Every active filter in words, each with a link that drops it and keeps the rest."""
    labels = {
        "severity": ("Severity", dict(Severity.choices)),
        "code": ("Finding", dict(context["codes"])),
        "owner": ("Owner", {p.email: p.display_name for p in context["owners"]}),
        "system": ("System", {s.key: s.display_name for s in context["systems"]}),
        "subject_type": ("About", dict(SubjectType.choices)),
        "subject": ("Subject contains", {}),
        "waived": ("Waived", dict(WAIVED_CHOICES)),
    }
    chips = []
    for name, (label, words) in labels.items():
        values = params.getlist(name)
        for value in values:
            rest = params.copy()
            rest.pop("page", None)
            rest.setlist(name, [v for v in values if v != value])
            chips.append(Chip(label, words.get(value, value), rest.urlencode()))
    return chips


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
        messages.error(request, f"{_named(finding)} was not waived: {'; '.join(problems)}.")
    else:
        Waiver.objects.create(
            code=finding.code,
            subject_type=finding.subject_type,
            subject_key=finding.subject_key,
            reason=reason,
            expires_on=expires_on,
            created_by=request.user if request.user.is_authenticated else None,
        )
        messages.success(request, f"{_named(finding)} is waived until {expires_on}.")
    return redirect(request.META.get("HTTP_REFERER") or reverse("findings"))


def _named(finding: StoredFinding) -> str:
    return f"“{finding_title(finding.code)}” ({finding.code}) on {finding.subject}"
