"""Integration pages: the filtered list (and its CSV), one integration's page (the answers first:
health, why, intervals, review, findings, go-lives, what depends on it; then the spec), its YAML,
and the owner's "spec still accurate" button."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import django_filters
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalog.choices import HealthKind, HealthState, Lifecycle, Phase
from catalog.filters import IntegrationFilterSet, StrictOrderingFilter
from catalog.health import UNMONITORED, WORST_FIRST, health_page_path, read_health, read_health_reason, with_health
from catalog.models import ChangeRecord, DataObject, GoLive, Integration, SignOff, StoredFinding
from catalog.models.findings import Severity, SubjectType
from catalog.models.integrations import attach_sequence_declarations
from catalog.ownership import can_edit
from catalog.readiness.load import readiness_by_golive
from catalog.reminders.review import confirm_review
from catalog.rules.finding import Facts, Finding
from catalog.rules.spec import stale_spec
from catalog.rules.store import ordered, with_waivers
from catalog.spec import provenance
from catalog.spec.edits import document_of
from catalog.spec.exporter import HEADER, dump_documents
from catalog.value_maps import with_value_maps
from catalog.views.generic import Column, ObjectListView, url_of
from catalog.views.history import history_of
from catalog.views.workarounds import workaround_card
from plumbline.accounts.roles import role_required
from plumbline.http import read_only

DETAIL_RELATED = (
    "source",
    "target",
    "owner",
    "backup_owner",
    "workaround_performed_by",
    "health_account",
    "sync_calendar",
)


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


# Integrations that keep running (and so pass a gap on downstream), as the graph's blast radius counts them.
RUNNING = (Lifecycle.LIVE, Lifecycle.DEPRECATED)
DOWNSTREAM_SHOWN = 20
# Observed slower than this times the declared interval is SYNC_SLOWER_THAN_DECLARED (DESIGN.md).
SLOWER_FACTOR = 1.5


@dataclass(frozen=True)
class ReviewStatus:
    """When the owner last confirmed the spec, and the STALE_SPEC the rules raise for it today."""

    reviewed_at: dt.date | None
    days_ago: int | None
    review_days: int
    stale: Finding | None

    @property
    def due_in(self) -> int | None:
        return None if self.days_ago is None else self.review_days - self.days_ago


def review_status(
    integration: Integration, today: dt.date, value_maps: tuple[tuple[str, dt.date | None], ...] = ()
) -> ReviewStatus:
    """`value_maps`: (key, reviewed_at) of the value maps its mappings name, stale with it (STALE_SPEC)."""
    review_days = settings.PLUMBLINE_REVIEW_DAYS
    facts = Facts(today=today, now=timezone.now(), review_days=review_days, value_maps=value_maps)
    reviewed = integration.reviewed_at
    days_ago = (today - reviewed).days if reviewed else None
    return ReviewStatus(reviewed, days_ago, review_days, stale_spec(integration, facts))


def _golives(integration: Integration, today: dt.date) -> list[dict[str, Any]]:
    """The go-lives with this integration in scope: overall readiness, this integration's blockers,
    the latest sign-off; a fixed number of queries however many there are."""
    golives = list(GoLive.objects.filter(scope__integration=integration).select_related("approver"))
    readiness = readiness_by_golive([g.pk for g in golives], today)
    signed: dict[int, SignOff] = {}
    for signoff in SignOff.objects.filter(golive__in=golives).order_by("signed_at", "id"):
        signed[signoff.golive_id] = signoff
    rows = []
    for golive in golives:
        ready = readiness[golive.pk]
        mine = next((row for row in ready.integrations if row.integration.pk == integration.pk), None)
        rows.append({"golive": golive, "readiness": ready, "mine": mine, "signoff": signed.get(golive.pk)})
    return rows


def _downstream(integration: Integration) -> dict[str, Any]:
    """Running integrations that take data from this one's target: a gap here reaches them next."""
    if integration.target is None:
        return {"integrations": [], "count": 0}
    fed = (
        Integration.objects.filter(source=integration.target, lifecycle__in=RUNNING)
        .exclude(pk=integration.pk)
        .select_related("target")
        .order_by("key")
    )
    shown = list(fed[: DOWNSTREAM_SHOWN + 1])
    count = len(shown) if len(shown) <= DOWNSTREAM_SHOWN else fed.count()
    return {"integrations": shown[:DOWNSTREAM_SHOWN], "count": count}


def _findings(integration: Integration, today: dt.date) -> list[StoredFinding]:
    queryset = StoredFinding.objects.filter(subject_type=SubjectType.INTEGRATION, subject_key=integration.key)
    return list(ordered(with_waivers(queryset, today)))


def _intervals(integration: Integration, health: Any) -> dict[str, Any]:
    declared = integration.interval_minutes
    median = health.observed_median_minutes if health else None
    slower = bool(declared and median is not None and median > SLOWER_FACTOR * declared)
    return {
        "declared": declared,
        "median": median,
        "p95": health.observed_p95_minutes if health else None,
        "slower": slower,
    }


@read_only
@role_required
def integration_detail(request: HttpRequest, key: str) -> HttpResponse:
    """The answers an auditor opens the page for come first; the written spec follows."""
    integration = get_integration(key)
    declared = DataObject.objects.filter(key__in=[str(o) for o in integration.data_objects or []])
    attach_sequence_declarations([integration], dict(declared.values_list("key", "sequence_sensitive")))
    today = timezone.localdate()
    health = read_health([integration.pk]).get(integration.pk)
    findings = _findings(integration, today)
    open_findings = [f for f in findings if not f.waived]  # type: ignore[attr-defined]
    mappings = with_value_maps(list(integration.mappings.all()), today, settings.PLUMBLINE_REVIEW_DAYS)
    named = {row.value_map.key: row.value_map.reviewed_at for row in mappings if row.value_map}
    context = {
        "integration": integration,
        "mappings": mappings,
        "missing": integration.missing_parts,
        "health": health,
        "state_label": HealthState(health.state).label if health else "",
        "monitored": (integration.health_kind or HealthKind.NONE) != HealthKind.NONE,
        "reason": read_health_reason(integration.pk) if health else None,
        "health_page": health_page_path(integration.key),
        "intervals": _intervals(integration, health),
        "review": review_status(integration, today, tuple(named.items())),
        "findings": findings,
        "open_count": len(open_findings),
        "waived_count": len(findings) - len(open_findings),
        "critical_count": sum(f.severity == Severity.CRITICAL for f in open_findings),
        "golives": _golives(integration, today),
        "downstream": _downstream(integration),
        "history": history_of("Integration", integration.key),
        "can_edit": can_edit(request.user, integration),
        "workaround": workaround_card(request, integration),
    }
    return render(request, "catalog/integration_detail.html", context)


@role_required
@require_POST
def integration_reviewed(request: HttpRequest, key: str) -> HttpResponse:
    """The owner (or an admin) confirms the spec is still accurate: reviewed_at becomes today."""
    integration = get_integration(key)
    if not can_edit(request.user, integration):
        raise PermissionDenied("Only the integration's owner, its backup owner or an admin may confirm its spec.")
    if confirm_review(integration, request.user, via=ChangeRecord.Via.PAGE) is None:
        messages.info(request, f"{integration.display_name} was already confirmed today.")
    else:
        messages.success(request, f"Confirmed: {integration.display_name} is still accurate (reviewed today).")
    return redirect("integration-detail", key=integration.key)


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
