"""Gather the checklist's facts for any number of go-lives in a fixed number of queries: scope
with people and systems joined, complete mappings, health, critical findings, attestations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from catalog.choices import HealthKind
from catalog.health import read_health
from catalog.models import Attestation, GoLiveIntegration, Integration, Mapping, StoredFinding
from catalog.models.findings import Severity, SubjectType
from catalog.readiness.checklist import AttestationFacts, IntegrationFacts, Readiness, assess_golive
from catalog.rules.store import with_waivers

Attested = dict[str, AttestationFacts]


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
    scope = list(
        GoLiveIntegration.objects.filter(golive_id__in=list(golive_ids))
        .select_related("integration__owner", "integration__backup_owner", "integration__source", "integration__target")
        .order_by("golive_id", "position", "id")
    )
    facts: dict[int, list[IntegrationFacts]] = {pk: [] for pk in golive_ids}
    if not scope:
        return facts
    integrations: dict[int, Integration] = {row.integration_id: row.integration for row in scope}
    complete = set(
        Mapping.objects.filter(integration_id__in=list(integrations), source__gt="", target__gt="")
        .values_list("integration_id", flat=True)
        .distinct()
    )
    watched = [pk for pk, i in integrations.items() if (i.health_kind or HealthKind.NONE) != HealthKind.NONE]
    health = read_health(watched) if watched else {}
    critical = critical_findings([i.key for i in integrations.values()], today)
    attested = latest_attestations(golive_ids)
    for row in scope:
        integration = row.integration
        facts[row.golive_id].append(
            IntegrationFacts(
                integration=integration,
                has_complete_mapping=integration.pk in complete,
                health=health.get(integration.pk),
                critical_findings=critical.get(integration.key, ()),
                attestations=attested.get((row.golive_id, integration.pk), {}),
            )
        )
    return facts


def readiness_by_golive(golive_ids: Sequence[int], today: dt.date) -> dict[int, Readiness]:
    return {pk: assess_golive(facts) for pk, facts in scope_facts(golive_ids, today).items()}
