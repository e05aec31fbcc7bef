"""Value map pages: the list with review state and use, one value map with its rows (paginated:
a chart of accounts runs to 20,000), who uses it, the review button, CSV download and upload."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalog.filters import ValueMapFilterSet
from catalog.models import Mapping, ValueMap
from catalog.ownership import can_edit
from catalog.spec import provenance
from catalog.spec.limits import MB, VALUE_MAP_CSV_MAX_BYTES
from catalog.spec.value_rows import HEADER, CsvInvalid, read_csv
from catalog.value_maps import confirm_review, mappings_using, replace_rows
from catalog.views import listing
from catalog.views.generic import Column, ObjectListView, url_of
from catalog.views.history import FieldChange, HistoryEntry, history_of
from plumbline.accounts.roles import is_admin, role_required
from plumbline.http import read_only

ROWS_PAGE_SIZE = 100
HISTORY_LIMIT = 20  # each change holds the whole document, rows and all


def _used_by() -> Coalesce:
    """How many integrations have a mapping naming the outer value map, as a subquery."""
    used = (
        Mapping.objects.filter(value_map=OuterRef("key"))
        .order_by()
        .values("value_map")
        .annotate(n=Count("integration_id", distinct=True))
    )
    return Coalesce(Subquery(used.values("n")), 0)


def _review_state(objects: Sequence[ValueMap]) -> list[dict[str, Any]]:
    today, days = timezone.localdate(), settings.PLUMBLINE_REVIEW_DAYS
    return [{"stale": value_map.is_stale(today, days)} for value_map in objects]


COLUMNS = (
    Column("key"),
    Column(
        "name",
        label="Value map",
        show=lambda m: m.name or m.key,
        note="key",
        sort="name",
        link=url_of("valuemap-detail", "key"),
    ),
    Column("owner", "owner.email", label="Owner", show="owner.display_name", link="person-detail"),
    Column("reviewed_at", label="Reviewed", sort="reviewed_at", template="includes/value_map_review.html"),
    Column("rows", "row_count", label="Rows"),
    Column("used_by", "used_by", label="Used by integrations"),
)

value_map_list = read_only(
    role_required(
        ObjectListView(
            queryset=ValueMap.objects.select_related("owner").defer("rows").annotate(used_by=_used_by()),
            filterset=ValueMapFilterSet,
            columns=COLUMNS,
            template="catalog/value_map_list.html",
            row_context=_review_state,
            extra_context=lambda request: {"may_add": is_admin(request.user)},
        )
    )
)


class RowsUploadForm(forms.Form):
    rows_file = forms.FileField(label="CSV file (header source,target)")

    def clean_rows_file(self) -> Any:
        upload = self.cleaned_data["rows_file"]
        if (upload.size or 0) > VALUE_MAP_CSV_MAX_BYTES:
            raise forms.ValidationError(f"the file is larger than {VALUE_MAP_CSV_MAX_BYTES // MB} MB")
        return upload


def _value_map(key: str) -> ValueMap:
    found = ValueMap.objects.select_related("owner").filter(key=key).first()
    if found is None:
        raise Http404(f"There is no value map with the key “{key}”.")
    return found


def _history(key: str) -> list[HistoryEntry]:
    """The value map's changes, a replacement of its rows said in one line, not row by row."""
    found = []
    for entry in history_of("ValueMap", key, limit=HISTORY_LIMIT):
        changes = [c for c in entry.changes if not c.path.startswith("rows[")]
        if len(changes) < len(entry.changes):
            before, after = entry.record.before or {}, entry.record.after or {}
            count = len(before.get("rows", [])), len(after.get("rows", []))
            changes.append(FieldChange("rows", f"{count[0]:,} rows", f"{count[1]:,} rows (changed)"))
        found.append(HistoryEntry(entry.record, changes))
    return found


@read_only
@role_required
def value_map_detail(request: HttpRequest, key: str) -> HttpResponse:
    return _detail_page(request, key)


def _detail_page(
    request: HttpRequest, key: str, upload: RowsUploadForm | None = None, upload_errors: Sequence[str] = ()
) -> HttpResponse:
    """The page, also as the answer to a refused upload (400, with the errors by CSV line)."""
    value_map = _value_map(key)
    page = Paginator(value_map.rows, ROWS_PAGE_SIZE).get_page(request.GET.get("page"))
    today, days = timezone.localdate(), settings.PLUMBLINE_REVIEW_DAYS
    may_change = can_edit(request.user, value_map)
    context: dict[str, Any] = {
        "value_map": value_map,
        "stale": value_map.is_stale(today, days),
        "age": (today - value_map.reviewed_at).days if value_map.reviewed_at else None,
        "review_days": days,
        "used_by": listing.capped(mappings_using(key)),
        "page": page,
        "may_review": may_change,
        "may_upload": may_change and not provenance.read_only_reason("ValueMap", key),
        "may_edit": is_admin(request.user),
        "upload_form": upload or RowsUploadForm(),
        "upload_errors": upload_errors,
        "header": ",".join(HEADER),
        "history": _history(key),
    }
    status = 400 if upload_errors or (upload is not None and upload.errors) else 200
    return render(request, "catalog/value_map_detail.html", context, status=status)


@require_POST
@role_required
def value_map_reviewed(request: HttpRequest, key: str) -> HttpResponse:
    """The owner (or an admin) confirms the rows are still accurate: reviewed_at becomes today."""
    value_map = _value_map(key)
    if not can_edit(request.user, value_map):
        raise PermissionDenied("Only the value map's owner or an admin may mark it reviewed.")
    if confirm_review(value_map, request.user) is None:
        messages.info(request, f"{value_map} was already marked reviewed today.")
    else:
        messages.success(request, f"Marked reviewed: {value_map}'s rows are still accurate.")
    return redirect("valuemap-detail", key=key)


@require_POST
@role_required
def value_map_upload(request: HttpRequest, key: str) -> HttpResponse:
    """Replace every row from a CSV file: the whole file is checked first, and nothing is written
    when any line is wrong (each error names its line)."""
    value_map = _value_map(key)
    if not can_edit(request.user, value_map):
        raise PermissionDenied("Only the value map's owner or an admin may replace its rows.")
    if reason := provenance.read_only_reason("ValueMap", key):
        raise PermissionDenied(reason)
    form = RowsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail_page(request, key, upload=form)
    upload = form.cleaned_data["rows_file"]
    name = upload.name or "upload.csv"
    try:
        rows = read_csv(upload.read())
    except CsvInvalid as invalid:
        errors = [f"{name}:{line}: {message}" if line else f"{name}: {message}" for line, message in invalid.errors]
        return _detail_page(request, key, upload=form, upload_errors=errors)
    if replace_rows(value_map, rows, request.user, file_name=name) is None:
        messages.info(request, f"{name} holds the same rows: nothing changed.")
    else:
        messages.success(request, f"Rows replaced: {len(rows):,} rows from {name}.")
    return redirect("valuemap-detail", key=key)


@read_only
@role_required
def value_map_rows_csv(request: HttpRequest, key: str) -> HttpResponse:
    """Every row as CSV, cells that a spreadsheet would run as formulas quoted (an upload reads them back)."""
    value_map = _value_map(key)
    rows = ((row["source"], row["target"]) for row in value_map.rows)
    return listing.csv_response(f"{value_map.key}.csv", HEADER, rows)
