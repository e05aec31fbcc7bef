"""Integration pages: the filtered list (and its CSV), one integration's spec, its YAML."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.filters import IntegrationFilterSet
from catalog.health import health_page_path, read_health
from catalog.models import Integration
from catalog.ownership import can_edit
from catalog.spec.edits import document_of
from catalog.spec.exporter import HEADER, dump_documents
from catalog.views import listing
from catalog.views.history import history_of
from plumbline.accounts.roles import role_required

CSV_HEADER = (
    "key",
    "name",
    "source",
    "target",
    "direction",
    "lifecycle",
    "phase",
    "connector_type",
    "platform",
    "trigger",
    "interval_minutes",
    "owner",
    "backup_owner",
    "reviewed_at",
    "completeness",
    "missing",
)
DETAIL_RELATED = ("source", "target", "owner", "backup_owner", "workaround_performed_by", "health_account")


def _csv_rows(queryset: QuerySet[Integration]) -> Iterator[tuple[Any, ...]]:
    for i in queryset.iterator(chunk_size=2000):
        yield (
            i.key,
            i.name,
            i.source.key if i.source else "",
            i.target.key if i.target else "",
            i.direction,
            i.lifecycle,
            i.phase,
            i.connector_type,
            i.connector_platform,
            i.sync_trigger,
            i.interval_minutes,
            i.owner.email if i.owner else "",
            i.backup_owner.email if i.backup_owner else "",
            i.reviewed_at,
            round(i.completeness_score, 2),
            " ".join(i.missing_parts),
        )


@role_required
def integration_list(request: HttpRequest) -> HttpResponse:
    if redirect := listing.without_empty_parameters(request):
        return redirect
    queryset = Integration.objects.select_related("source", "target", "owner", "backup_owner")
    filterset = IntegrationFilterSet(request.GET, queryset=queryset)
    if errors := listing.parameter_errors(request, filterset, formats=("html", "csv")):
        return listing.bad_parameters(request, errors)
    if request.GET.get("format") == "csv":
        return listing.csv_response("integrations.csv", CSV_HEADER, _csv_rows(filterset.qs))
    context = listing.list_context(request, filterset)
    integrations = list(context["page"].object_list)
    health = read_health([i.pk for i in integrations])
    context["rows"] = [(i, health.get(i.pk)) for i in integrations]
    context["can_create"] = can_edit(request.user)
    return render(request, "catalog/integration_list.html", context)


def get_integration(key: str) -> Integration:
    try:
        return Integration.objects.select_related(*DETAIL_RELATED).get(key=key)
    except Integration.DoesNotExist:
        raise Http404(f"There is no integration with the key “{key}”.") from None


@role_required
def integration_detail(request: HttpRequest, key: str) -> HttpResponse:
    integration = get_integration(key)
    mappings = list(integration.mappings.all())
    context = {
        "integration": integration,
        "mappings": mappings,
        "missing": integration.missing_parts,
        "health": read_health([integration.pk]).get(integration.pk),
        "health_page": health_page_path(integration.key),
        "history": history_of("Integration", integration.key),
        "can_edit": can_edit(request.user, integration),
    }
    return render(request, "catalog/integration_detail.html", context)


@role_required
def integration_spec(request: HttpRequest, key: str) -> HttpResponse:
    """The integration's spec document as import_specs reads it (what export_specs writes)."""
    integration = get_integration(key)
    text = HEADER + dump_documents([document_of(integration) or {}])
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{integration.key}.yaml"'
    return response
