"""The phase-two register at /phase-two/ (HTML or CSV): what each deferral has cost so far.

The HTML page shows one page of PAGE_SIZE rows, sorted and totalled in the database; the CSV has
every row, read from the database in the register's order as it is written."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from catalog.cost import hourly_rate
from catalog.filters import whole_number
from catalog.models import Integration
from catalog.rules.export import write_csv
from catalog.rules.finding import Facts
from catalog.rules.phase_two import deferred_item, register, register_items, register_totals
from catalog.workarounds.runs import REGISTER_DAYS, register_tallies
from plumbline.accounts.roles import role_required
from plumbline.http import read_only

PAGE_SIZE = 50
KNOWN = ("format", "page")
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
    # Appended (spreadsheets reading the older columns by position keep working): the register's
    # window of runs (REGISTER_DAYS, or since deferred_since), runs due and confirmed, hours logged.
    "runs_since",
    "runs_due",
    "runs_done",
    "hours_logged",
)
CSV_BATCH = 2000


@read_only
@role_required
def phase_two(request: HttpRequest) -> HttpResponse:
    """Every deferred (phase-two, not retired) integration, by what the deferral has cost."""
    fmt = request.GET.get("format", "html")
    errors = [f"Unknown parameter {name!r} (known: {', '.join(KNOWN)})." for name in request.GET if name not in KNOWN]
    if fmt not in ("html", "csv"):
        errors.append(f"format={fmt!r}: must be one of html, csv.")
    number = request.GET.get("page")
    if number is not None and whole_number(number) is None:
        errors.append(f"page={number!r}: must be a whole number from 1.")
    if errors:
        return render(request, "catalog/phase_two.html", {"errors": errors}, status=400)
    today = timezone.localdate()
    if fmt == "csv":
        return _phase_two_csv(register(today), today)
    totals = register_totals(today)
    paginator = Paginator(register(today), PAGE_SIZE)
    paginator.count = totals["count"]  # counted with the totals: no second COUNT query
    page = paginator.get_page(number)
    items = register_items(page.object_list, today)
    tallies = register_tallies([item.integration for item in items], timezone.now())
    context = {
        "page": page,
        "items": items,
        "rows": [(item, tallies[item.integration.pk]) for item in items],
        "register_days": REGISTER_DAYS,
        "build_hours": totals["build_hours"],
        "rate": hourly_rate(),
        "today": today,
        "count": totals["count"],
        "total_hours": totals["hours_to_date"],
        "monthly_hours": totals["hours_per_month"],
    }
    return render(request, "catalog/phase_two.html", context)


def _phase_two_csv(integrations: QuerySet[Integration], today: dt.date) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="phase-two-{today.isoformat()}.csv"'
    write_csv(response, PHASE_TWO_CSV_HEADER, _csv_rows(integrations, today))
    return response


def _csv_rows(integrations: QuerySet[Integration], today: dt.date) -> Iterator[tuple[object, ...]]:
    facts = Facts(today=today, now=timezone.now())
    rows = integrations.iterator(chunk_size=CSV_BATCH)
    while batch := list(itertools.islice(rows, CSV_BATCH)):
        tallies = register_tallies(batch, facts.now)  # one query a batch
        for integration in batch:
            item = deferred_item(integration, facts)
            tally = tallies[integration.pk]
            by = integration.workaround_performed_by
            yield (
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
                tally.since.isoformat(),
                tally.due,
                tally.done,
                round(tally.hours_logged, 2),
            )
