"""System pages: the filtered list and one system with its integrations and versions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from catalog.cost import system_running_cost
from catalog.filters import SystemFilterSet
from catalog.health import UNMONITORED, HealthFacts, read_health
from catalog.models import Integration, System
from catalog.ownership import can_edit
from catalog.views import listing
from catalog.views.generic import Column, ObjectListView, url_of
from catalog.views.history import history_of
from plumbline.accounts.roles import role_required
from plumbline.http import read_only

INTEGRATION_ROW_RELATED = ("source", "target", "owner")
# Each of a system's two integration tables shows this many rows; the rest are a link away, in
# the integration list filtered to the system (a hub system can have thousands).
TABLE_CAP = 50


def integration_count(field: str) -> Coalesce:
    """How many integrations point at the outer row through `field`, as a subquery: two
    joined Counts would multiply the rows (outbound × inbound) before counting."""
    counted = Integration.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n")), 0)


def _integrations_where(side: str, system: System) -> str:
    """The integration list filtered to this system as `side` (source or target)."""
    return f"{reverse('integration-list')}?{urlencode({side: system.key})}"


# The list page shows the columns with a label; the CSV (systems.csv) those with csv=True, in this order.
COLUMNS = (
    Column("key"),
    Column("name", label="System", show="display_name", note="key", sort="name", link=url_of("system-detail", "key")),
    Column("category", label="Category", show="get_category_display", sort="category"),
    Column("vendor", label="Vendor"),
    Column("version", label="Version"),
    Column("owner", "owner.email", label="Owner", show="owner.display_name", link="person-detail"),
    Column(
        "integrations_out",
        "outbound_count",
        label="Integrations out",
        link=lambda s: _integrations_where("source", s) if s.outbound_count else "",
    ),
    Column(
        "integrations_in",
        "inbound_count",
        label="Integrations in",
        link=lambda s: _integrations_where("target", s) if s.inbound_count else "",
    ),
)

system_list = read_only(
    role_required(
        ObjectListView(
            queryset=System.objects.select_related("owner")
            .annotate(outbound_count=integration_count("source"), inbound_count=integration_count("target"))
            .order_by("key"),
            filterset=SystemFilterSet,
            columns=COLUMNS,
            template="catalog/system_list.html",
        )
    )
)


@dataclass(frozen=True)
class HealthRow:
    """An integration on a system's page with its current health (None: no data)."""

    integration: Integration
    health: HealthFacts | None


def with_health(*tables: listing.Capped) -> tuple[list[listing.Capped], dict[str, int]]:
    """The tables' rows with their health, read in one query, and how many integrations are in
    each state ("unmonitored" for those with no health source)."""
    ids = [i.pk for table in tables for i in table.rows]
    health = read_health(ids) if ids else {}
    states: Counter[str] = Counter()
    out = []
    for table in tables:
        rows = [HealthRow(i, health.get(i.pk)) for i in table.rows]
        states.update(row.health.state if row.health else UNMONITORED for row in rows)
        out.append(listing.Capped(rows, table.total, table.more_url))
    return out, dict(sorted(states.items()))


@read_only
@role_required
def system_detail(request: HttpRequest, key: str) -> HttpResponse:
    try:
        system = System.objects.select_related("owner").get(key=key)
    except System.DoesNotExist:
        raise Http404(f"There is no system with the key “{key}”.") from None
    integrations = Integration.objects.select_related(*INTEGRATION_ROW_RELATED)
    listed = reverse("integration-list")
    (outbound, inbound), states = with_health(
        listing.capped(integrations.filter(source=system), f"{listed}?{urlencode({'source': key})}", TABLE_CAP),
        listing.capped(integrations.filter(target=system), f"{listed}?{urlencode({'target': key})}", TABLE_CAP),
    )
    context: dict[str, Any] = {
        "system": system,
        "outbound": outbound,
        "inbound": inbound,
        "health_states": states,
        "blast_url": f"{reverse('graph')}?{urlencode({'blast': key})}",
        "graph_url": f"{reverse('graph')}?{urlencode({'system': key})}",
        "versions": list(system.versions.all()),
        "history": history_of("System", system.key),
        "can_edit": can_edit(request.user, system),
        "running_cost": system_running_cost(system),
    }
    return render(request, "catalog/system_detail.html", context)
