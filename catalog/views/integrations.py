"""Integration pages: the filtered list (and its CSV), one integration's spec, its YAML."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.choices import Phase
from catalog.filters import IntegrationFilterSet
from catalog.health import health_page_path, read_health
from catalog.models import Integration
from catalog.ownership import can_edit
from catalog.spec import provenance
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
    Column("health", label="Health", template="includes/health_badge.html", csv=False),
    Column("reviewed_at", label="Reviewed", empty="never", css="date", sort="reviewed_at"),
    Column(
        "completeness",
        lambda i: round(i.completeness_score, 2),
        label="Spec completeness",
        sort="completeness",
        template="includes/completeness.html",
    ),
    Column("missing", lambda i: " ".join(i.missing_parts)),
)

integration_list = read_only(
    role_required(
        ObjectListView(
            queryset=Integration.objects.select_related("source", "target", "owner", "backup_owner"),
            filterset=IntegrationFilterSet,
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
    text = HEADER + _which_copy_wins(integration.key) + dump_documents([document_of(integration) or {}])
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{integration.key}.yaml"'
    return response


def _which_copy_wins(key: str) -> str:
    """A YAML comment saying whether this copy or the file it was imported from is the newer one."""
    last = provenance.last_change("Integration", key)
    if last is None:
        return ""
    if last.in_app:
        lines = [
            f"This copy was last {last.describe()}: it is newer than any spec file.",
            "The next import of a file holding this key replaces it; export it to keep the change.",
        ]
    else:
        lines = [f"This copy was last {last.describe()}; no change has been made in Plumbline since."]
    if reason := provenance.read_only_reason("Integration", key):
        lines.append(reason)
    return "".join(f"# {line}\n" for line in lines)
