"""The readers catalog pages and rules use (registered in apps.py); see catalog/health.py."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.urls import reverse

from catalog import health
from catalog.choices import HealthKind, HealthState
from catalog.health import UNMONITORED_RANK, WORST_FIRST
from catalog.models import Integration
from monitoring.ingest.pending import apply_before_reading
from monitoring.models import FailedRecord, Flip, HealthSource, ObservedConnection, Run
from monitoring.models.choices import RunStatus


def ping_path(ping_uuid: str) -> str:
    return reverse("ping", args=[ping_uuid])


def health_page_path(key: str) -> str:
    return reverse("integration-health", args=[key])


# The state row's fields HealthFacts holds, in its order.
HEALTH_FACT_FIELDS = (
    "kind",
    "state",
    "last_success_at",
    "observed_median_minutes",
    "observed_p95_minutes",
    "open_failed_records",
    "oldest_open_failed_at",
    "state_changed_at",
)
# The latest finished run's counts, joined in the same query (the reconciliation findings read them).
RUN_COUNT_FIELDS = (
    "external_id",
    "run_at",
    "records_in",
    "records_out",
    "records_failed",
    "source_count",
    "target_count",
    "period_start",
    "period_end",
)


def read_health(integration_ids: Sequence[int]) -> dict[int, health.HealthFacts]:
    """Current health of the given integrations, in one query of the denormalised state rows
    (after applying pings still pending, if any). Read as plain rows: a go-live's scope asks for
    hundreds, and a state row and a run as model instances cost more than the query."""
    apply_before_reading()
    rows = (
        HealthSource.objects.filter(integration_id__in=list(integration_ids))
        .order_by()  # looked up by integration: no sort
        .values_list(
            "integration_id", *HEALTH_FACT_FIELDS, "last_run_id", *(f"last_run__{name}" for name in RUN_COUNT_FIELDS)
        )
    )
    split = len(HEALTH_FACT_FIELDS)
    found = {}
    for integration_id, *values in rows:
        kind, state, last_success, median, p95, failed, oldest_failed, changed = values[:split]
        found[integration_id] = health.HealthFacts(
            kind=kind,
            state=state,
            last_success_at=last_success,
            observed_median_minutes=median,
            observed_p95_minutes=p95,
            open_failed_records=failed,
            oldest_open_failed_record_at=oldest_failed,
            state_changed_at=changed,
            last_run=None
            if values[split] is None
            else health.RunCounts(**dict(zip(RUN_COUNT_FIELDS, values[split + 1 :], strict=True))),
        )
    return found


def read_health_reason(integration_id: int) -> health.HealthReason | None:
    """Why one integration is in its state: its state row with the latest flip joined in; one query."""
    apply_before_reading()
    latest = Flip.objects.filter(integration_id=OuterRef("integration_id")).order_by("-at", "-id")
    source = (
        HealthSource.objects.filter(integration_id=integration_id)
        .annotate(flip_reason=Subquery(latest.values("reason")[:1]), flipped_at=Subquery(latest.values("at")[:1]))
        .first()
    )
    if source is None:
        return None
    return health.HealthReason(
        flip_reason=source.flip_reason or "",
        flipped_at=source.flipped_at,
        platform_stopped=source.platform_stopped,
        last_poll_error=source.last_poll_error,
        last_polled_at=source.last_polled_at,
        last_run_at=source.last_run_at,
        paused=source.paused,
    )


def undocumented() -> QuerySet[ObservedConnection]:
    """Observed connections no spec describes: discovered processes no spec's health.ref (on the same
    account) points at, and heartbeats to a slug no integration has as its key."""
    linked = Integration.objects.filter(health_account=OuterRef("account"), health_ref=OuterRef("ref"))
    named = Integration.objects.filter(key=OuterRef("ref"))
    return (
        ObservedConnection.objects.exclude(Exists(linked))
        .exclude(Q(account=None) & Exists(named))
        .select_related("account")
    )


def read_observed_connections() -> list[health.ObservedConnection]:
    return [
        health.ObservedConnection(source=c.source, ref=c.ref, name=c.name, first_seen_at=c.first_seen_at)
        for c in undocumented()
    ]


def rank_of(state_field: str) -> Case:
    """A state's place in WORST_FIRST (down 0 ... paused 5); no state (no source) after all."""
    return Case(
        *(When(**{state_field: state}, then=Value(rank)) for rank, state in enumerate(WORST_FIRST)),
        default=Value(UNMONITORED_RANK),
        output_field=IntegerField(),
    )


def annotate_integrations(integrations: QuerySet[Any]) -> QuerySet[Any]:
    """catalog.health.with_health: the integration list filters and sorts on these (one LEFT JOIN). Pings
    still pending are applied first, as before every read of health."""
    apply_before_reading()
    return integrations.annotate(health_state=F("health_source__state"), health_rank=rank_of("health_source__state"))


def read_failures_since(integration_ids: Sequence[int], since: dt.datetime) -> dict[int, health.FailuresSince]:
    """Failed runs (not test runs), flips to down or failing, and still-open failed records since
    `since`, per integration: three grouped queries."""
    ids = list(integration_ids)

    def counted(queryset: QuerySet[Any]) -> Counter[int]:
        rows = queryset.filter(integration_id__in=ids).values("integration_id").annotate(n=Count("id")).order_by()
        return Counter({row["integration_id"]: row["n"] for row in rows})

    runs = counted(Run.objects.filter(status=RunStatus.FAILED, test=False, run_at__gte=since))
    flips = counted(Flip.objects.filter(to_state__in=(HealthState.DOWN, HealthState.FAILING), at__gte=since))
    records = counted(FailedRecord.objects.filter(resolved_at__isnull=True, recorded_at__gte=since))
    return {
        pk: health.FailuresSince(failed_runs=runs[pk], flips_down=flips[pk], open_failed_records=records[pk])
        for pk in sorted(set(runs) | set(flips) | set(records))
    }


def read_health_totals() -> health.HealthTotals:
    """catalog.health.read_health_totals: the monitored state rows (the health board's) counted by
    state, with their open failed records summed; one grouped query."""
    apply_before_reading()
    rows = (
        HealthSource.objects.exclude(kind=HealthKind.NONE)
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"), failed=Sum("open_failed_records"))
    )
    by_state: dict[str, int] = {}
    failed = 0
    for state, n, open_failed in rows:
        by_state[state] = n
        failed += open_failed or 0
    return health.HealthTotals(by_state=by_state, open_failed_records=failed)


def read_flips(since: dt.datetime, until: dt.datetime) -> list[health.FlipFact]:
    """catalog.health.read_flips: the flips in [since, until), oldest first, with the integration's key."""
    flips = (
        Flip.objects.filter(at__gte=since, at__lt=until)
        .order_by("at", "id")
        .values_list("integration__key", "integration__name", "from_state", "to_state", "at")
    )
    return [health.FlipFact(key, name or key, before, after, at) for key, name, before, after, at in flips]
