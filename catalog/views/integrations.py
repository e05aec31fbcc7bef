"""Integration pages: the filtered list (and its CSV), one integration's spec, its YAML."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from catalog.choices import Phase
from catalog.filters import IntegrationFilterSet, StrictOrderingFilter
from catalog.health import UNMONITORED, WORST_FIRST, health_page_path, read_health, with_health
from catalog.models import Integration, StoredFinding
from catalog.models.findings import SubjectType
from catalog.ownership import can_edit
from catalog.rules.store import with_waivers
from catalog.spec.edits import document_of
from catalog.spec.exporter import HEADER, dump_documents
from catalog.views.generic import Column, ObjectListView, url_of
from catalog.views.history import history_of
from plumbline.accounts.roles import role_required
from plumbline.http import read_only

DETAIL_RELATED = ("source", "target", "owner", "backup_owner", "workaround_performed_by", "health_account")


def _phase_two_note(integration: Integration) -> str:
    return "phase two" if integration.phase == Phase.PHASE_TWO else ""


def _with_health(integrations: Sequence[Integration]) -> list[dict[str, Any]]:
    """Each row's health for the health badge, read for the whole page in one query."""
    health = read_health([i.pk for i in integrations])
    return [{"health": health.get(i.pk)} for i in integrations]


def _may_create(request: HttpRequest) -> dict[str, Any]:
    return {"can_create": can_edit(request.user)}


def _open_findings() -> Coalesce:
    """How many unwaived findings the row's integration has (a subquery: no query per row)."""
    findings = with_waivers(StoredFinding.objects.all(), timezone.localdate()).filter(  # type: ignore[misc]
        subject_type=SubjectType.INTEGRATION, subject_key=OuterRef("key"), waived=False
    )
    counted = findings.order_by().values("subject_key").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class IntegrationListFilterSet(IntegrationFilterSet):
    """The list page's filters: the API's, plus health (state or unmonitored) and sorting by
    health worst first, read through catalog.health.with_health in the same query."""

    health = django_filters.ChoiceFilter(
        method="by_health",
        choices=[*((state.value, state.label) for state in WORST_FIRST), (UNMONITORED, "Unmonitored")],
        label="Health",
    )
    ordering = StrictOrderingFilter(
        fields=(
            *((field, param) for param, field in IntegrationFilterSet.base_filters["ordering"].param_map.items()),
            ("health_rank", "health"),
        )
    )

    def filter_queryset(self, queryset: QuerySet[Integration]) -> QuerySet[Integration]:
        annotated = with_health(queryset).annotate(open_findings=_open_findings())
        return super().filter_queryset(annotated)

    def by_health(self, queryset: QuerySet[Integration], name: str, value: str) -> QuerySet[Integration]:
        # health_state is with_health's annotation, which the type checker cannot see.
        state = Q(health_state=None) if value == UNMONITORED else Q(health_state=value)
        return queryset.filter(state)


# The list page shows the columns with a label; the CSV (integrations.csv) those with csv=True, in this order.
COLUMNS = (
    Column("key"),
    Column(
        "name",
        label="Integration",
        show="display_name",
        note="key",
        sort="name",
        link=url_of("integration-detail", "key"),
    ),
    Column("source", "source.key", label="Source", show="source.display_name", link="system-detail", sort="source"),
    Column("target", "target.key", label="Target", show="target.display_name", link="system-detail", sort="target"),
    Column("direction"),
    Column("lifecycle", label="Lifecycle", show="get_lifecycle_display", note=_phase_two_note, sort="lifecycle"),
    Column("phase"),
    Column("connector_type", label="Connector", show="get_connector_type_display", sort="connector_type"),
    Column("platform", "connector_platform"),
    Column("trigger", "sync_trigger"),
    Column("interval_minutes"),
    Column("owner", "owner.email", label="Owner", show="owner.display_name", link="person-detail", sort="owner"),
    Column("backup_owner", "backup_owner.email"),
    Column("health", label="Health", template="includes/health_badge.html", sort="health", csv=False),
    Column("observed_interval", label="Observed interval", template="includes/observed_interval.html", csv=False),
    Column("reviewed_at", label="Reviewed", empty="never", css="date", sort="reviewed_at"),
    Column(
        "completeness",
        lambda i: round(i.completeness_score, 2),
        label="Spec completeness",
        sort="completeness",
        template="includes/completeness.html",
    ),
    Column("missing", lambda i: " ".join(i.missing_parts)),
    # Appended, so spreadsheets reading the older columns by position keep working.
    Column("health", lambda i: i.health_state or UNMONITORED),
    Column("open_findings"),
)

integration_list = read_only(
    role_required(
        ObjectListView(
            queryset=Integration.objects.select_related("source", "target", "owner", "backup_owner"),
            filterset=IntegrationListFilterSet,
            columns=COLUMNS,
            template="catalog/integration_list.html",
            row_context=_with_health,
            extra_context=_may_create,
        )
    )
)


def get_integration(key: str) -> Integration:
    try:
        return Integration.objects.select_related(*DETAIL_RELATED).get(key=key)
    except Integration.DoesNotExist:
        raise Http404(f"There is no integration with the key “{key}”.") from None


@read_only
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


@read_only
@role_required
def integration_spec(request: HttpRequest, key: str) -> HttpResponse:
    """The integration's spec document as import_specs reads it (what export_specs writes)."""
    integration = get_integration(key)
    text = HEADER + dump_documents([document_of(integration) or {}])
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{integration.key}.yaml"'
    return response
