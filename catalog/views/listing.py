"""What every list page shares: strict filtering (an unknown or bad parameter is a 400 page
naming it), a filter panel from the filterset's own form, pagination and CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from catalog.filters import NEITHER, StrictFilterSet, whole_number
from catalog.forms import without_blank
from catalog.spec.value_rows import FORMULA_PREFIXES

PAGE_SIZE = 50
# Related lists on a detail page (a system's integrations, say) show this many rows at most.
CAP = 100
MAX_PAGE_SIZE = 200
ANY = "Any"


def without_empty_parameters(request: HttpRequest) -> HttpResponseRedirect | None:
    """A submitted filter panel sends every field; redirect to the URL of just those set,
    so links stay short and shareable."""
    kept = request.GET.copy()
    for name in list(kept):
        values = [v for v in kept.getlist(name) if v not in ("", NEITHER)]
        if values:
            kept.setlist(name, values)
        else:
            del kept[name]
    if len(kept) == len(request.GET) and all(kept.getlist(name) == request.GET.getlist(name) for name in request.GET):
        return None
    query = kept.urlencode()
    return HttpResponseRedirect(f"{request.path}?{query}" if query else request.path)


def parameter_errors(
    request: HttpRequest, filterset: StrictFilterSet, formats: Sequence[str] = ("html",)
) -> dict[str, list[str]]:
    """Every wrong query parameter with its message; empty when the request is good."""
    errors = {} if filterset.is_valid() else dict(filterset.errors)
    if page_size_of(request) is None:
        errors["page_size"] = [f"must be a number from 1 to {MAX_PAGE_SIZE}"]
    if request.GET.get("format", "html") not in formats:
        errors["format"] = [f"must be one of {', '.join(formats)}"]
    return errors


def bad_parameters(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponse:
    """The 400 page: which parameter is wrong and why, with a way back."""
    context = {"errors": sorted(errors.items()), "back": request.path}
    return render(request, "400.html", context, status=400)


def list_context(request: HttpRequest, filterset: StrictFilterSet) -> dict[str, Any]:
    """What every list template gets: the filter panel, the page and whether it is filtered."""
    queryset = filterset.qs
    # A tie-breaker, so rows with equal sort values do not move between pages.
    ordering = queryset.query.order_by or queryset.model._meta.ordering
    queryset = queryset.order_by(*ordering, "pk")
    return {
        "filterset": filterset,
        "form": filter_panel(filterset),
        "page": Paginator(queryset, page_size_of(request) or PAGE_SIZE).get_page(request.GET.get("page")),
        "filtered": any(name not in ("page", "ordering", "page_size") for name in request.GET),
    }


def filter_panel(filterset: StrictFilterSet) -> forms.Form:
    """The filterset's form, worded for people: "Any" instead of dashes and "Unknown", and
    date pickers. The panel template leaves ordering to the column headers."""
    form: forms.Form = filterset.form
    fields: dict[str, Any] = form.fields
    for field in fields.values():
        widget = field.widget
        if isinstance(widget, forms.NullBooleanSelect):
            widget.choices = [(NEITHER, ANY), ("true", "Yes"), ("false", "No")]
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            # django-filter's choice fields add their empty_label as the first choice.
            choices = without_blank(field)
            field.empty_label = ANY  # type: ignore[attr-defined]
            field.choices = choices
        elif isinstance(widget, forms.DateInput):
            widget.input_type = "date"
    return form


def page_size_of(request: HttpRequest) -> int | None:
    """The requested page size, or None when it is not a number from 1 to MAX_PAGE_SIZE."""
    raw = request.GET.get("page_size", "")
    if not raw:
        return PAGE_SIZE
    number = whole_number(raw)
    return number if number is not None and number <= MAX_PAGE_SIZE else None


def _cell(value: Any) -> Any:
    """A CSV cell: a would-be formula quoted, None empty, a boolean as the spec files write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return "" if value is None else value


@dataclass(frozen=True)
class Capped:
    """The first rows of a related list, how many there are, and where the rest are listed."""

    rows: list[Any]
    total: int
    more_url: str = ""


def capped(queryset: QuerySet[Any], more_url: str = "", limit: int = CAP) -> Capped:
    """At most `limit` rows; counts only when there are more (one extra query)."""
    rows = list(queryset[: limit + 1])
    total = len(rows) if len(rows) <= limit else queryset.count()
    return Capped(rows[:limit], total, more_url)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """An attachment download; cells that would run as spreadsheet formulas are quoted."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return response
