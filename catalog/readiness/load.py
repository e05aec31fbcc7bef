"""Gather the checklist's facts for any number of go-lives in a fixed number of queries: scope
with people and systems joined, complete mappings, health, critical findings, attestations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models.base import ModelState

from catalog.choices import LOOKUP, HealthKind
from catalog.health import read_health
from catalog.models import Attestation, Integration, Mapping, Person, StoredFinding
from catalog.models.data_objects import read_sequence_sensitivity
from catalog.models.findings import Severity, SubjectType
from catalog.models.integrations import attach_sequence_declarations
from catalog.readiness.checklist import AttestationFacts, IntegrationFacts, Readiness, assess_golive
from catalog.rules.store import with_waivers

Attested = dict[str, AttestationFacts]

# What the checklist, the page and the CSV read of an integration in scope, and of its two owners.
# Loading only these (the systems not at all, each person once) keeps a scope of hundreds cheap
# to build; a field read that is not listed costs a query per integration, which the query-count
# tests catch.
INTEGRATION_FIELDS = (
    "key",
    "name",
    "source_id",
    "target_id",
    "sync_trigger",
    "interval_minutes",
    "max_latency_minutes",
    "error_surface",
    "error_notify",
    "resync",
    "connector_type",
    "maintained_by",
    "compatibility_sla_days",
    "sequence_sensitive",
    "data_objects",
    "health_kind",
    "phase",
    "target_date",
    "owner_id",
    "backup_owner_id",
)
PERSON_FIELDS = ("email", "name", "active")


def critical_findings(keys: Sequence[str], today: dt.date) -> dict[str, tuple[str, ...]]:
    """Integration key -> codes of its open critical findings that no waiver covers; one query."""
    found: dict[str, list[str]] = defaultdict(list)
    queryset = StoredFinding.objects.filter(
        subject_type=SubjectType.INTEGRATION, severity=Severity.CRITICAL, subject_key__in=list(keys)
    )
    # `waived` is the with_waivers() annotation, which the type checker cannot see.
    rows = with_waivers(queryset, today).values_list("subject_key", "code", "waived")  # type: ignore[misc]
    for key, code, waived in rows:
        if not waived:
            found[key].append(code)
    return {key: tuple(sorted(codes)) for key, codes in found.items()}


def latest_attestations(golive_ids: Sequence[int]) -> dict[tuple[int, int], Attested]:
    """(go-live id, integration id) -> item -> the latest attestation of it; one query."""
    latest: dict[tuple[int, int], Attested] = defaultdict(dict)
    rows = Attestation.objects.filter(golive_id__in=list(golive_ids)).order_by("recorded_at", "id")
    for row in rows:
        latest[(row.golive_id, row.integration_id)][row.item] = AttestationFacts(
            item=row.item,
            performed_by=row.performed_by,
            performed_on=row.performed_on,
            evidence_url=row.evidence_url,
            recorded_by=row.recorded_by_email,
            recorded_at=row.recorded_at,
        )
    return latest


def scope_facts(golive_ids: Sequence[int], today: dt.date) -> dict[int, list[IntegrationFacts]]:
    """Go-live id -> the facts of each integration in its scope, in scope order."""
    # One Integration per row of the scope (an integration in two go-lives is two rows), tagged
    # with its go-live; people are read once each and attached, not joined into every row.
    rows = (
        Integration.objects.filter(golive_scope__golive_id__in=list(golive_ids))
        .order_by("golive_scope__golive_id", "golive_scope__position", "golive_scope__id")
        .values_list(*LOADED, "golive_scope__golive_id")
    )
    # (go-live id, integration) per row of the scope.
    tagged = [(values[-1], _integration(values[:-1])) for values in rows]
    scope = [integration for _, integration in tagged]
    facts: dict[int, list[IntegrationFacts]] = {pk: [] for pk in golive_ids}
    if not scope:
        return facts
    _attach_people(scope)
    # The data objects' declared sequence sensitivity, as the findings read it (one query).
    attach_sequence_declarations(scope, read_sequence_sensitivity())
    integrations: dict[int, Integration] = {integration.pk: integration for integration in scope}
    # A lookup mapping without a value map leaves the mappings part missing (completeness.assess).
    open_lookups = Mapping.objects.filter(transform=LOOKUP, value_map="").values("integration_id")
    complete = set(
        Mapping.objects.filter(integration_id__in=list(integrations), source__gt="", target__gt="")
        .exclude(integration_id__in=open_lookups)
        .order_by()  # Mapping's ordering would join integrations and make every mapping distinct
        .values_list("integration_id", flat=True)
        .distinct()
    )
    watched = [pk for pk, i in integrations.items() if (i.health_kind or HealthKind.NONE) != HealthKind.NONE]
    health = read_health(watched) if watched else {}
    critical = critical_findings([i.key for i in integrations.values()], today)
    attested = latest_attestations(golive_ids)
    for golive_id, integration in tagged:
        facts[golive_id].append(
            IntegrationFacts(
                integration=integration,
                has_complete_mapping=integration.pk in complete,
                health=health.get(integration.pk),
                critical_findings=critical.get(integration.key, ()),
                attestations=attested.get((golive_id, integration.pk), {}),
            )
        )
    return facts


LOADED = ("id", *INTEGRATION_FIELDS)


def _integration(values: tuple[Any, ...]) -> Integration:
    """An Integration of the LOADED fields, from a row of values_list(*LOADED); the other fields are
    deferred, as .only() leaves them (read one, and it is loaded with a query of its own). Made as
    Model.from_db makes an instance, less its pass over all 58 fields per row: for the go-live list,
    with hundreds of integrations in scope, that pass cost three times the query (bench/web_bench.py)."""
    integration = Integration.__new__(Integration)
    integration._state = ModelState()
    integration._state.adding = False
    integration._state.db = DEFAULT_DB_ALIAS
    integration.__dict__.update(zip(LOADED, values, strict=True))
    return integration


def _attach_people(integrations: Sequence[Integration]) -> None:
    """Owner and backup owner onto each integration, from one query over the people named."""
    ids = {pk for i in integrations for pk in (i.owner_id, i.backup_owner_id) if pk is not None}
    people = {p.pk: p for p in Person.objects.filter(pk__in=ids).only(*PERSON_FIELDS)} if ids else {}
    for integration in integrations:
        for field in (Integration.owner.field, Integration.backup_owner.field):
            pk = getattr(integration, field.attname)
            field.set_cached_value(integration, people.get(pk) if pk is not None else None)


def readiness_by_golive(golive_ids: Sequence[int], today: dt.date) -> dict[int, Readiness]:
    return {pk: assess_golive(facts) for pk, facts in scope_facts(golive_ids, today).items()}
