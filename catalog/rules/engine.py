"""Runs every rule over the whole estate in one pass: load everything with a fixed number of
queries (however many integrations there are), then decide in pure Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, ForeignKey, Model, OuterRef, Q, Subquery
from django.utils import timezone

from catalog.choices import LOOKUP, HealthKind, Lifecycle, Phase
from catalog.completeness import lookup_without_map
from catalog.data_objects import carriages
from catalog.health import HealthFacts, ObservedConnection, read_health, read_observed_connections
from catalog.models import (
    DataObject,
    GoLive,
    Integration,
    Person,
    PlatformAccount,
    ReviewSignOff,
    SignOff,
    System,
    ValueMap,
)
from catalog.models import Mapping as MappingRow
from catalog.models.integrations import attach_sequence_declarations
from catalog.rules.data_objects import conflicting_writers, no_master
from catalog.rules.estate import documented_refs, point_to_point_sprawl, undocumented_connections
from catalog.rules.failures import resync_loses_sequence, silent_failures
from catalog.rules.finding import Facts, Finding, sort_findings
from catalog.rules.golive import GoLiveReviewFacts, golive_review_due
from catalog.rules.maintenance import api_retirement_due, connector_maintenance_unowned
from catalog.rules.observed import failed_records_open, health_down, health_failing, unmonitored
from catalog.rules.ownership import owner_inactive, single_person_dependency, system_owner_inactive
from catalog.rules.phase_two import deferred_phase_two, workaround_exceeds_build
from catalog.rules.reconciliation import reconciliation_gap, records_dropped
from catalog.rules.spec import spec_incomplete, stale_spec
from catalog.rules.sync import realtime_claim_mismatch, sync_slower_than_declared
from catalog.rules.workarounds import workaround_missed
from catalog.workarounds.runs import CONFIRMED_LOOKBACK_DAYS, confirmed_due_times

IntegrationRule = Callable[[Integration, Facts], Finding | None]

# Which lifecycles each rule looks at. Retired integrations raise nothing: they are history.
# Deprecated ones still run until switched off, so what is observed of them (health, failed
# records, slowness), an API that stops before they do, and a missing owner still matter.
WRITTEN = frozenset({Lifecycle.PLANNED, Lifecycle.BUILDING, Lifecycle.LIVE})
RUNNING = frozenset({Lifecycle.LIVE, Lifecycle.DEPRECATED})
NOT_RETIRED = WRITTEN | RUNNING

RULES: tuple[tuple[IntegrationRule, frozenset[str]], ...] = (
    (spec_incomplete, WRITTEN),
    (stale_spec, WRITTEN),
    (owner_inactive, NOT_RETIRED),
    (single_person_dependency, WRITTEN),
    (deferred_phase_two, WRITTEN),
    (workaround_exceeds_build, WRITTEN),
    (workaround_missed, WRITTEN),
    (realtime_claim_mismatch, WRITTEN),
    (silent_failures, WRITTEN),
    (resync_loses_sequence, WRITTEN),
    (connector_maintenance_unowned, WRITTEN),
    (api_retirement_due, NOT_RETIRED),
    (unmonitored, frozenset({Lifecycle.LIVE})),
    (sync_slower_than_declared, RUNNING),
    (health_down, RUNNING),
    (health_failing, RUNNING),
    (failed_records_open, RUNNING),
    (records_dropped, RUNNING),
    (reconciliation_gap, RUNNING),
)


@dataclass
class Estate:
    """Everything the rules read, loaded up front."""

    integrations: list[Integration]
    systems_with_inactive_owner: list[System] = field(default_factory=list)
    complete_mapping_ids: set[int] = field(default_factory=set)
    health: dict[int, HealthFacts] = field(default_factory=dict)
    observed: list[ObservedConnection] = field(default_factory=list)
    golives: list[GoLiveReviewFacts] = field(default_factory=list)
    data_objects: dict[str, DataObject] = field(default_factory=dict)  # by key, masters and owners attached
    lookups: Lookups = field(default_factory=lambda: Lookups({}, {}))
    # Due times of confirmed workaround runs, by integration id.
    confirmed_runs: dict[int, set[dt.datetime]] = field(default_factory=dict)


@dataclass
class Lookups:
    """By integration: its lookup mappings without a value map, and (key, reviewed_at) of the value maps it names."""

    open: dict[int, tuple[str, ...]]
    value_maps: dict[int, tuple[tuple[str, dt.date | None], ...]]


def load_lookups() -> Lookups:
    """Two queries: the mapping rows that are lookups or name a value map, and every value map's
    review date (its rows are not read)."""
    reviewed = dict(ValueMap.objects.values_list("key", "reviewed_at"))
    open_rows: dict[int, list[str]] = {}
    named: dict[int, dict[str, dt.date | None]] = {}
    rows = MappingRow.objects.filter(Q(transform=LOOKUP) | Q(value_map__gt="")).order_by("integration_id", "position")
    for pk, position, source, target, key in rows.values_list(
        "integration_id", "position", "source", "target", "value_map"
    ):
        if not key:
            open_rows.setdefault(pk, []).append(lookup_without_map(position, source, target))
        elif key in reviewed:
            named.setdefault(pk, {})[key] = reviewed[key]
    return Lookups(
        {pk: tuple(found) for pk, found in open_rows.items()},
        {pk: tuple(maps.items()) for pk, maps in named.items()},
    )


def _attach(model: type[Model], objects: Iterable[Model], relation: str, targets: Mapping[int, Model]) -> None:
    """Fill a foreign key's cache from objects loaded once, instead of joining per row."""
    field = model._meta.get_field(relation)
    assert isinstance(field, ForeignKey)
    for obj in objects:
        pk = getattr(obj, field.attname)
        field.set_cached_value(obj, targets.get(pk) if pk is not None else None)


def load_estate() -> Estate:
    """Nine catalog queries (ten with workaround cadences) plus one per health reader, whatever the
    size of the estate: small tables (people, systems, accounts) are read once and attached, rather
    than joined per row."""
    people = {p.pk: p for p in Person.objects.all()}
    systems = {s.pk: s for s in System.objects.all()}
    accounts = {a.pk: a for a in PlatformAccount.objects.all()}
    # Retired integrations raise nothing, so they are not loaded at all. A process still running
    # on a platform whose only spec is retired is therefore an undocumented connection.
    # Few integrations have a calendar: joined, not read as a table of its own.
    integrations = list(
        Integration.objects.exclude(lifecycle=Lifecycle.RETIRED).select_related("sync_calendar").order_by()
    )
    for relation, targets in (
        ("source", systems),
        ("target", systems),
        ("owner", people),
        ("backup_owner", people),
        ("workaround_performed_by", people),
        ("health_account", accounts),
    ):
        _attach(Integration, integrations, relation, targets)
    _attach(System, systems.values(), "owner", people)
    data_objects = {d.key: d for d in DataObject.objects.order_by()}
    _attach(DataObject, data_objects.values(), "master", systems)
    _attach(DataObject, data_objects.values(), "owner", people)
    attach_sequence_declarations(integrations, {key: d.sequence_sensitive for key, d in data_objects.items()})
    complete_mapping_ids = set(
        MappingRow.objects.filter(source__gt="", target__gt="").values_list("integration_id", flat=True).distinct()
    )
    inactive_owner = [s for s in systems.values() if s.owner is not None and not s.owner.active]
    watched = [
        i.pk for i in integrations if i.lifecycle in RUNNING and (i.health_kind or HealthKind.NONE) != HealthKind.NONE
    ]
    health = read_health(watched) if watched else {}
    # Confirmed workaround runs (WORKAROUND_MISSED): read only when a phase-two item declares a cadence.
    cadenced = any(i.workaround_every and i.phase == Phase.PHASE_TWO for i in integrations)
    since = timezone.now() - dt.timedelta(days=CONFIRMED_LOOKBACK_DAYS)
    confirmed = confirmed_due_times(None, since) if cadenced else {}
    return Estate(
        integrations,
        inactive_owner,
        complete_mapping_ids,
        health,
        read_observed_connections(),
        golives=load_golive_reviews(),
        data_objects=data_objects,
        lookups=load_lookups(),
        confirmed_runs=confirmed,
    )


def load_golive_reviews() -> list[GoLiveReviewFacts]:
    """Signed-off go-lives with their latest sign-off and latest review: one query."""
    newest = ("-signed_at", "-id")
    latest_signoff = SignOff.objects.filter(golive=OuterRef("pk")).order_by(*newest).values("signed_at")
    latest_review = ReviewSignOff.objects.filter(golive=OuterRef("pk")).order_by(*newest).values("signed_at")
    rows = (
        GoLive.objects.filter(Exists(SignOff.objects.filter(golive=OuterRef("pk"))), date__isnull=False)
        .annotate(signed_off_at=Subquery(latest_signoff[:1]), reviewed_at=Subquery(latest_review[:1]))
        .order_by("key")
        .values_list("key", "name", "date", "approver__email", "signed_off_at", "reviewed_at")
    )
    return [GoLiveReviewFacts(*row) for row in rows]


RULES_BY_LIFECYCLE: dict[str, tuple[IntegrationRule, ...]] = {
    lifecycle: tuple(rule for rule, lifecycles in RULES if lifecycle in lifecycles) for lifecycle in Lifecycle.values
}


def evaluate_integration(integration: Integration, facts: Facts) -> list[Finding]:
    """Every finding one integration raises, in rule order."""
    findings: list[Finding] = []
    for rule in RULES_BY_LIFECYCLE.get(integration.lifecycle, ()):
        if (finding := rule(integration, facts)) is not None:
            findings.append(finding)
    return findings


def evaluate(
    estate: Estate, *, now: dt.datetime, review_days: int, golive_review_days: int | None = None
) -> list[Finding]:
    """Pure: the sorted findings of a loaded estate as of `now`; golive_review_days defaults to
    PLUMBLINE_GOLIVE_REVIEW_DAYS."""
    if golive_review_days is None:
        golive_review_days = settings.PLUMBLINE_GOLIVE_REVIEW_DAYS
    today = timezone.localdate(now)
    findings: list[Finding] = []
    for integration in estate.integrations:
        facts = Facts(
            today=today,
            now=now,
            review_days=review_days,
            health=estate.health.get(integration.pk),
            has_complete_mapping=integration.pk in estate.complete_mapping_ids,
            open_lookups=estate.lookups.open.get(integration.pk, ()),
            value_maps=estate.lookups.value_maps.get(integration.pk, ()),
            confirmed_runs=frozenset(estate.confirmed_runs.get(integration.pk, ())),
        )
        findings += evaluate_integration(integration, facts)
    for system in estate.systems_with_inactive_owner:
        if (finding := system_owner_inactive(system)) is not None:
            findings.append(finding)
    findings += undocumented_connections(estate.observed, documented_refs(estate.integrations))
    if (sprawl := point_to_point_sprawl(estate.integrations)) is not None:
        findings.append(sprawl)
    for golive in estate.golives:
        if (finding := golive_review_due(golive, today, golive_review_days)) is not None:
            findings.append(finding)
    declared = {key: d.sequence_sensitive for key, d in estate.data_objects.items()}
    for key, carriage in carriages(estate.integrations).items():
        document = estate.data_objects.get(key)
        findings += [f for f in (no_master(carriage, document), conflicting_writers(carriage, document, declared)) if f]
    return sort_findings(findings)


def evaluate_estate(*, now: dt.datetime | None = None, review_days: int | None = None) -> list[Finding]:
    """All findings of the stored estate, fresh; review_days defaults to PLUMBLINE_REVIEW_DAYS."""
    return evaluate(
        load_estate(),
        now=now or timezone.now(),
        review_days=settings.PLUMBLINE_REVIEW_DAYS if review_days is None else review_days,
    )
