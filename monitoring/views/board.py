"""The health board at /health/: every monitored integration of the estate, worst first.

What an auditor opens to answer "what is broken right now, since when, whose is it and why":
one row per health source, filtered by state, owner, platform, system and lifecycle, with the
counts per state on top (each a link that filters), paginated with totals from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import django_filters
from django import forms
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from catalog import choices
from catalog.choices import HealthKind
from catalog.filters import StrictFilterSet, StrictOrderingFilter
from catalog.health import WORST_FIRST
from catalog.models import Person, System
from catalog.views import listing
from monitoring.alerting.maintenance import InMaintenance, in_maintenance, windows_of
from monitoring.health.readers import rank_of
from monitoring.ingest.pending import apply_before_reading
from monitoring.models import Flip, HealthSource
from plumbline.accounts.roles import role_required
from plumbline.http import read_only

# The filters the state counts ignore, so each count says how many rows choosing it would show.
STATE_PARAMETERS = ("state", "page")
MONITORED_KINDS = [(value, label) for value, label in choices.HEALTH_KIND_CHOICES if value != HealthKind.NONE]


class HealthBoardFilterSet(StrictFilterSet):
    """The board's filters; an unknown parameter or a bad value is a 400 page naming it."""

    q = django_filters.CharFilter(method="search", label="Search")
    state = django_filters.ChoiceFilter(choices=[(s.value, s.label) for s in WORST_FIRST], label="Health")
    owner = django_filters.ModelChoiceFilter(
        field_name="integration__owner",
        queryset=Person.objects.all(),
        to_field_name="email",
        label="Owner (email)",
        widget=forms.TextInput,
    )
    platform = django_filters.ChoiceFilter(field_name="kind", choices=MONITORED_KINDS, label="Platform / kind")
    system = django_filters.ModelChoiceFilter(
        method="either_side",
        queryset=System.objects.all(),
        to_field_name="key",
        label="System (either side)",
        widget=forms.TextInput,
    )
    lifecycle = django_filters.ChoiceFilter(field_name="integration__lifecycle", choices=choices.Lifecycle.choices)
    ordering = StrictOrderingFilter(
        fields=(
            ("rank", "health"),
            ("integration__name", "integration"),
            ("integration__owner__email", "owner"),
            ("last_success_at", "last_success"),
            ("open_failed_records", "failed_records"),
        )
    )

    class Meta:
        model = HealthSource
        fields: list[str] = []

    def search(self, queryset: QuerySet[HealthSource], name: str, value: str) -> QuerySet[HealthSource]:
        return queryset.filter(Q(integration__name__icontains=value) | Q(integration__key__icontains=value))

    def either_side(self, queryset: QuerySet[HealthSource], name: str, value: System) -> QuerySet[HealthSource]:
        return queryset.filter(Q(integration__source=value) | Q(integration__target=value))


def monitored() -> QuerySet[HealthSource]:
    """Every health source with a kind (none means unmonitored), worst first, then the longest in
    that state first: the outage that has lasted longest heads the list."""
    latest_flip = Flip.objects.filter(integration=OuterRef("integration")).order_by("-at", "-id")
    return (
        HealthSource.objects.exclude(kind=HealthKind.NONE)
        .select_related("integration__owner", "integration__source", "integration__target")
        .annotate(rank=rank_of("state"), flip_reason=Subquery(latest_flip.values("reason")[:1]))
        .order_by("rank", F("state_changed_at").asc(nulls_first=True), "integration__key")
    )


@dataclass(frozen=True)
class Reason:
    """Why a row is in its state: where the reason comes from, and its words."""

    source: str
    text: str


def reason_of(source: Any) -> Reason | None:
    """The most telling reason first: the platform says it is stopped, the last poll failed (a
    vendor outage is the poll's error, not the integration's), or what the latest flip recorded."""
    if source.platform_stopped:
        return Reason("Stopped on the platform", source.platform_stopped)
    if source.last_poll_error:
        return Reason("Last poll failed", source.last_poll_error)
    if source.flip_reason:
        return Reason("Latest change", source.flip_reason)
    return None


def maintenance_of(sources: list[Any]) -> list[InMaintenance | None]:
    """For each row, the maintenance window of a system it touches holding now (one query for the page)."""
    now = timezone.now()
    systems = {s.pk: s for source in sources for s in (source.integration.source, source.integration.target) if s}
    windows = windows_of(systems.values(), now, now)
    touched = [sorted(pk for pk in (r.integration.source_id, r.integration.target_id) if pk) for r in sources]
    return [in_maintenance(windows, ids, now) for ids in touched]


def state_counts(request: HttpRequest) -> list[dict[str, Any]]:
    """Rows per state under every filter but the state itself, worst first (one query)."""
    params = request.GET.copy()
    for name in STATE_PARAMETERS:
        params.pop(name, None)
    filterset = HealthBoardFilterSet(params, queryset=monitored())
    found = dict(filterset.qs.order_by().values_list("state").annotate(n=Count("id")))
    return [{"state": state.value, "label": state.label, "count": found.get(state.value, 0)} for state in WORST_FIRST]


@read_only
@role_required
def health_board(request: HttpRequest) -> HttpResponse:
    if redirect := listing.without_empty_parameters(request):
        return redirect
    apply_before_reading()
    filterset = HealthBoardFilterSet(request.GET, queryset=monitored())
    if errors := listing.parameter_errors(request, filterset):
        return listing.bad_parameters(request, errors)
    context = listing.list_context(request, filterset)
    counts = state_counts(request)
    sources = list(context["page"].object_list)
    context.update(
        rows=[(source, reason_of(source), held) for source, held in zip(sources, maintenance_of(sources), strict=True)],
        counts=counts,
        total=sum(row["count"] for row in counts),
        state=request.GET.get("state", ""),
        kind_labels=dict(choices.HEALTH_KIND_CHOICES),
    )
    return render(request, "monitoring/health_board.html", context)
