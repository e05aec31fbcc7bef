"""The phase-two register at /phase-two/ (HTML or CSV): what each deferral has cost so far."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from catalog.rules.export import write_csv
from catalog.rules.phase_two import DeferredItem, deferred_integrations, deferred_items
from plumbline.accounts.roles import role_required
from plumbline.http import read_only

PHASE_TWO_CSV_HEADER = (
    "integration",
    "deferred_since",
    "age_days",
    "quarters_deferred",
    "target_date",
    "workaround_by",
    "hours_per_month",
    "workaround_hours_to_date",
    "build_estimate_hours",
    "severity",
)


@read_only
@role_required
def phase_two(request: HttpRequest) -> HttpResponse:
    """Every deferred (phase-two, not retired) integration, by what the deferral has cost."""
    unknown = [name for name in request.GET if name != "format"]
    fmt = request.GET.get("format", "html")
    errors = [f"Unknown parameter {name!r} (known: format)." for name in unknown]
    if fmt not in ("html", "csv"):
        errors.append(f"format={fmt!r}: must be one of html, csv.")
    if errors:
        return render(request, "catalog/phase_two.html", {"errors": errors}, status=400)
    today = timezone.localdate()
    integrations = list(deferred_integrations())
    items = deferred_items(integrations, today)
    if fmt == "csv":
        return _phase_two_csv(items, today)
    context = {
        "items": items,
        "today": today,
        "total_hours": sum(item.hours_to_date or 0 for item in items),
        "monthly_hours": sum(item.integration.workaround_hours_per_month or 0 for item in items),
    }
    return render(request, "catalog/phase_two.html", context)


def _phase_two_csv(items: list[DeferredItem], today: dt.date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="phase-two-{today.isoformat()}.csv"'
    rows = []
    for item in items:
        integration = item.integration
        by = integration.workaround_performed_by
        rows.append(
            (
                integration.key,
                integration.deferred_since.isoformat() if integration.deferred_since else "",
                item.age_days,
                item.quarters,
                integration.target_date.isoformat() if integration.target_date else "",
                by.email if by else "",
                integration.workaround_hours_per_month,
                round(item.hours_to_date, 1) if item.hours_to_date is not None else None,
                integration.build_estimate_hours,
                item.severity,
            )
        )
    write_csv(response, PHASE_TWO_CSV_HEADER, rows)
    return response
