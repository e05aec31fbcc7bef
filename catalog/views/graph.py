"""The dependency graph page at /graph/ and its downloads (/graph/estate.svg|png|dot).

Neither waits on a drawing that is not cached (catalog.graph.drawing): the page answers 202 with a
progress state that reloads itself, a download answers 202 with Retry-After; a drawing that failed
answers 503 with Retry-After (the failure is cached) and says how to narrow the view.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe

from catalog.choices import ConnectorType, Lifecycle
from catalog.graph.drawing import DOWNLOAD_FORMATS, Failed, Pending, download, page_drawing
from catalog.graph.forms import HEALTH_CHOICES, GraphFilterForm
from catalog.graph.view import GraphFilter, UnknownSystem
from catalog.models import GoLive, Person, System
from plumbline.accounts.roles import role_required
from plumbline.http import read_only


def _form(request: HttpRequest) -> tuple[GraphFilterForm, GraphFilter | None, list[str]]:
    """The bound filter form, the filter when the query string is valid, and unknown parameters
    (an unknown filter is an error, never "show everything")."""
    form = GraphFilterForm(
        request.GET,
        systems=dict(System.objects.order_by("key").values_list("key", "name")),
        people=dict(Person.objects.order_by("email").values_list("email", "name")),
        golives=dict(GoLive.objects.order_by("key").values_list("key", "name")),
    )
    unknown = sorted(set(request.GET) - set(form.fields))
    if unknown or not form.is_valid():
        return form, None, unknown
    return form, form.to_filter(), []


def _query(f: GraphFilter) -> str:
    """The filter as a query string, with only the values that are set."""
    values = {name: value for name, value in vars(f).items() if value and not (name == "depth" and not f.system)}
    return "?" + urlencode({k: ("1" if v is True else v) for k, v in values.items()}) if values else ""


def _options(pairs: Iterable[tuple[str, str]], selected: str = "") -> SafeString:
    """<option>s built in Python with html.escape: the page lists every system twice, and a template
    loop (or format_html per option) over 500 of them cost a third of a cached page view."""
    rows = (
        f'<option value="{escape(str(value))}"{" selected" if value == selected else ""}>'
        f"{escape(str(label or value))}</option>"
        for value, label in pairs
    )
    return mark_safe("".join(rows))  # noqa: S308  (every value and label is escaped just above)


def _system_label(key: str, name: str) -> str:
    """A system as a person names it; the key too when the name does not say it."""
    return name if name and name.casefold() == key.casefold() else f"{name} ({key})" if name else key


def _context(form: GraphFilterForm, unknown: list[str]) -> dict[str, Any]:
    chosen = {
        name: str(form.data.get(name, "")) for name in ("owner", "golive", "lifecycle", "connector", "health", "blast")
    }
    by_name = sorted(form.systems.items(), key=lambda pair: ((pair[1] or pair[0]).casefold(), pair[0]))
    return {
        "form": form,
        "unknown_parameters": unknown,
        "options": {
            "systems": _options(sorted(form.systems.items())),
            # The blast radius is chosen by name from every system: nobody remembers keys.
            "blast": _options(
                [("", "none"), *((key, _system_label(key, name)) for key, name in by_name)], chosen["blast"]
            ),
            "owner": _options([("", "anyone"), *sorted(form.people.items())], chosen["owner"]),
            "golive": _options([("", "any"), *sorted(form.golives.items())], chosen["golive"]),
            "lifecycle": _options([("", "any"), *Lifecycle.choices], chosen["lifecycle"]),
            "connector": _options([("", "any"), *ConnectorType.choices], chosen["connector"]),
            "health": _options([("", "any"), *HEALTH_CHOICES], chosen["health"]),
        },
    }


def _retry_after(response: HttpResponse, seconds: int) -> HttpResponse:
    response["Retry-After"] = str(seconds)
    return response


@read_only
@role_required
def graph_page(request: HttpRequest) -> HttpResponse:
    form, graph_filter, unknown = _form(request)
    context = _context(form, unknown)
    if graph_filter is None:
        return render(request, "catalog/graph.html", context, status=400)
    try:
        drawing = page_drawing(graph_filter)
    except UnknownSystem as exc:  # deleted between validating the form and drawing
        context["render_error"] = f"No system with the key {exc}."
        return render(request, "catalog/graph.html", context, status=400)
    if isinstance(drawing, Pending):
        context["pending"] = drawing
        return _retry_after(render(request, "catalog/graph.html", context, status=202), drawing.retry_after)
    if isinstance(drawing, Failed):
        context.update(render_error=drawing.message, retry_minutes=max(1, round(drawing.retry_after / 60)))
        return _retry_after(render(request, "catalog/graph.html", context, status=503), drawing.retry_after)
    context.update(
        # Safe: render.safe_svg rebuilt it from an allowlist of SVG elements and attributes.
        svg=mark_safe(drawing.svg),  # noqa: S308
        summary=drawing.summary,
        query=_query(graph_filter),
    )
    return render(request, "catalog/graph.html", context)


@read_only
@role_required
def graph_download(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in DOWNLOAD_FORMATS:
        raise Http404("No such graph format.")
    form, graph_filter, unknown = _form(request)
    if graph_filter is None:
        problems = [f"unknown filter {name}" for name in unknown]
        problems += [f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items()]
        return HttpResponse("; ".join(problems), status=400, content_type="text/plain; charset=utf-8")
    try:
        data = download(graph_filter, fmt)
    except UnknownSystem as exc:
        return HttpResponse(f"No system with the key {exc}.", status=400, content_type="text/plain; charset=utf-8")
    if isinstance(data, Pending):
        text = f"The drawing is being made; ask again in {data.retry_after} seconds."
        return _retry_after(HttpResponse(text, status=202, content_type="text/plain; charset=utf-8"), data.retry_after)
    if isinstance(data, Failed):
        text = f"{data.message} Focus on a system (?system=KEY) or narrow the filters."
        return _retry_after(HttpResponse(text, status=503, content_type="text/plain; charset=utf-8"), data.retry_after)
    name = "plumbline-estate" + (f"-{graph_filter.system}" if graph_filter.system else "")
    response = HttpResponse(data, content_type=DOWNLOAD_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
