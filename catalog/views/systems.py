"""System pages: the filtered list and one system with its integrations and versions."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from catalog.filters import SystemFilterSet
from catalog.models import Integration, System
from catalog.ownership import can_edit
from catalog.views import listing
from catalog.views.history import history_of
from plumbline.accounts.roles import role_required

INTEGRATION_ROW_RELATED = ("source", "target", "owner")


def integration_count(field: str) -> Coalesce:
    """How many integrations point at the outer row through `field`, as a subquery: two
    joined Counts would multiply the rows (outbound × inbound) before counting."""
    counted = Integration.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")), 0)


@role_required
def system_list(request: HttpRequest) -> HttpResponse:
    if redirect := listing.without_empty_parameters(request):
        return redirect
    queryset = (
        System.objects.select_related("owner")
        .annotate(outbound_count=integration_count("source"), inbound_count=integration_count("target"))
        .order_by("key")
    )
    filterset = SystemFilterSet(request.GET, queryset=queryset)
    if errors := listing.parameter_errors(request, filterset):
        return listing.bad_parameters(request, errors)
    context = listing.list_context(request, filterset)
    return render(request, "catalog/system_list.html", context)


@role_required
def system_detail(request: HttpRequest, key: str) -> HttpResponse:
    try:
        system = System.objects.select_related("owner").get(key=key)
    except System.DoesNotExist:
        raise Http404(f"There is no system with the key “{key}”.") from None
    integrations = Integration.objects.select_related(*INTEGRATION_ROW_RELATED)
    listed = reverse("integration-list")
    context = {
        "system": system,
        "outbound": listing.capped(integrations.filter(source=system), f"{listed}?{urlencode({'source': key})}"),
        "inbound": listing.capped(integrations.filter(target=system), f"{listed}?{urlencode({'target': key})}"),
        "versions": list(system.versions.all()),
        "history": history_of("System", system.key),
        "can_edit": can_edit(request.user, system),
    }
    return render(request, "catalog/system_detail.html", context)
