"""Generic list pages, as NetBox has them: one ObjectListView per model, configured with its
queryset, filterset and columns. Each Column is declared once and serves the page and the CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from catalog.filters import StrictFilterSet
from catalog.views import listing

# A dotted attribute path ("owner.email"; methods such as get_lifecycle_display are called)
# or a function of the row's object.
Accessor = str | Callable[[Any], Any]
EMPTY = "—"


def resolve(obj: Any, accessor: Accessor) -> Any:
    """The value `accessor` reads from `obj`; None when a link on the path is empty."""
    if callable(accessor):
        return accessor(obj)
    value = obj
    for name in accessor.split("."):
        if value is None:
            return None
        value = getattr(value, name)
        if callable(value):
            value = value()
    return value


def url_of(url_name: str, accessor: Accessor) -> Callable[[Any], str]:
    """A link to the page `url_name` of the value read by `accessor` ("" when it is empty)."""

    def link(obj: Any) -> str:
        value = resolve(obj, accessor)
        return "" if value is None else reverse(url_name, args=[value])

    return link


@dataclass(frozen=True)
class Cell:
    """One table cell as the page shows it: text (or rendered markup), a link, a note under it."""

    text: str
    link: str = ""
    note: str = ""
    html: SafeString | None = None
    css: str = ""


@dataclass(frozen=True)
class Column:
    """One column of a list, declared once: `name` heads the CSV column and `value` fills it;
    `label` heads the page column (blank: CSV only) and `show` fills it when not the value."""

    name: str
    value: Accessor | None = None  # None: the attribute called `name`
    label: str = ""
    show: Accessor | None = None
    # Where the page cell links to: a URL name (reversed with the column's value) or a function.
    link: str | Callable[[Any], str] = ""
    note: Accessor | None = None  # a second line under the text, such as the object's key
    sort: str = ""  # the filterset's ordering name, so the header sorts the list
    csv: bool = True
    template: str = ""  # renders the page cell from `object`, the model's name and the row context
    empty: str = EMPTY
    css: str = ""

    def csv_value(self, obj: Any) -> Any:
        return resolve(obj, self.name if self.value is None else self.value)

    def url(self, obj: Any) -> str:
        if callable(self.link):
            return self.link(obj)
        value = self.csv_value(obj) if self.link else None
        return "" if value is None else reverse(self.link, args=[value])

    def cell(self, obj: Any, context: dict[str, Any]) -> Cell:
        """The page cell of `obj`; `context` is what a template cell renders with."""
        if self.template:
            return Cell("", html=render_to_string(self.template, context), css=self.css)
        shown = resolve(obj, self.show) if self.show is not None else self.csv_value(obj)
        return Cell(
            text=self.empty if shown is None or shown == "" else str(shown),
            link=self.url(obj),
            note=str(resolve(obj, self.note) or "") if self.note is not None else "",
            css=self.css,
        )


@dataclass(frozen=True)
class Row:
    """One object of the page with its cells (and what else the row was given, such as health)."""

    object: Any
    cells: list[Cell]
    context: dict[str, Any]


@dataclass(frozen=True)
class ObjectListView:
    """A list page: the 302 dropping empty parameters, the 400 naming a bad one, the filter
    panel, sortable headers, pagination and `?format=csv` of every filtered row."""

    queryset: QuerySet[Any]
    filterset: type[StrictFilterSet]
    columns: Sequence[Column]
    template: str
    # Per-row template context fetched for the whole page at once (health, say): one dict per object.
    row_context: Callable[[Sequence[Any]], list[dict[str, Any]]] | None = None
    # Page context that depends on who is asking (may they create one?).
    extra_context: Callable[[HttpRequest], dict[str, Any]] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if redirect := listing.without_empty_parameters(request):
            return redirect
        filterset = self.filterset(request.GET, queryset=self.queryset.all())
        if errors := listing.parameter_errors(request, filterset, formats=("html", "csv")):
            return listing.bad_parameters(request, errors)
        if request.GET.get("format") == "csv":
            return listing.csv_response(f"{self.plural}.csv", self.csv_header(), self.csv_rows(filterset.qs))
        context = listing.list_context(request, filterset)
        context.update(
            singular=str(self.model._meta.verbose_name),
            plural=self.plural,
            headers=self.page_columns(),
            rows=self.rows(list(context["page"].object_list)),
        )
        if self.extra_context:
            context.update(self.extra_context(request))
        return render(request, self.template, context)

    @property
    def model(self) -> type[Model]:
        return self.queryset.model

    @property
    def plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def page_columns(self) -> list[Column]:
        return [column for column in self.columns if column.label]

    def csv_header(self) -> list[str]:
        return [column.name for column in self.columns if column.csv]

    def csv_rows(self, queryset: QuerySet[Any]) -> Iterator[list[Any]]:
        csv_columns = [column for column in self.columns if column.csv]
        for obj in queryset.iterator(chunk_size=2000):
            yield [column.csv_value(obj) for column in csv_columns]

    def rows(self, objects: Sequence[Any]) -> list[Row]:
        """The page's rows; extra row context is read for all of them in one go."""
        extras = self.row_context(objects) if self.row_context else [{} for _ in objects]
        columns = self.page_columns()
        rows = []
        for obj, extra in zip(objects, extras, strict=True):
            context: dict[str, Any] = {"object": obj, str(self.model._meta.model_name): obj, **extra}
            rows.append(Row(obj, [column.cell(obj, context) for column in columns], context))
        return rows
