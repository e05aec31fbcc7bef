"""The readiness checklist as pure functions: facts about each integration in, items out.

Each item passes, fails (a blocker) or does not apply. An item that does not apply counts
neither way in the readiness percentage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from catalog.choices import (
    MAINTAINED_CONNECTOR_TYPES,
    ConnectorType,
    ErrorSurface,
    HealthKind,
    HealthState,
    MaintainedBy,
    Phase,
    Resync,
    health_kind_label,
)
from catalog.completeness import assess
from catalog.health import HealthFacts
from catalog.models import Integration
from catalog.models.findings import FindingCode, finding_title
from catalog.models.readiness import AttestedItem
from catalog.rules.finding import listing, person_name, plural
from catalog.rules.spec import PART_NAMES

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "n/a"
EMPTY_SCOPE = "No integrations are in this go-live's scope."


@dataclass(frozen=True)
class AttestationFacts:
    """The latest attestation of one item for one integration in the go-live."""

    item: str
    performed_by: str
    performed_on: dt.date
    evidence_url: str
    recorded_by: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class IntegrationFacts:
    """Everything the checklist reads about one integration in scope (owner, backup owner,
    source and target attached to it)."""

    integration: Integration
    has_complete_mapping: bool = False
    health: HealthFacts | None = None  # None: monitoring has no data for it
    critical_findings: tuple[str, ...] = ()  # codes of open critical findings that are not waived
    attestations: Mapping[str, AttestationFacts] = field(default_factory=dict)


Outcome = tuple[str, str]  # (status, what it means in words)


def spec_complete(facts: IntegrationFacts) -> Outcome:
    result = assess(facts.integration, has_complete_mapping=facts.has_complete_mapping)
    if result.is_complete:
        return PASS, "all six required parts are written"
    return FAIL, f"the spec is missing {listing([PART_NAMES[part] for part in result.missing], limit=6)}"


def owner_with_backup(facts: IntegrationFacts) -> Outcome:
    owner, backup = facts.integration.owner, facts.integration.backup_owner
    if owner is None:
        return FAIL, "no owner is named"
    if not owner.active:
        return FAIL, f"the owner {person_name(owner)} has left the company"
    if backup is None:
        return FAIL, f"{person_name(owner)} owns it with no backup owner"
    if backup.email == owner.email:
        return FAIL, "the backup owner is the owner"
    if not backup.active:
        return FAIL, f"the backup owner {person_name(backup)} has left the company"
    return PASS, f"owned by {person_name(owner)}, backed up by {person_name(backup)}"


def failures_reach_a_person(facts: IntegrationFacts) -> Outcome:
    integration = facts.integration
    surface = integration.error_surface
    if surface == ErrorSurface.LOG_FILE:
        return FAIL, "failures only reach a log file"
    if surface == ErrorSurface.NONE:
        return FAIL, "failures are not surfaced anywhere"
    if surface not in (ErrorSurface.ALERT, ErrorSurface.MONITORED_CHANNEL):
        return FAIL, "how failures are surfaced is not written"
    how = "an alert" if surface == ErrorSurface.ALERT else "a monitored channel"
    notify = [str(name) for name in integration.error_notify or [] if str(name).strip()]
    if not notify:
        return FAIL, f"failures go to {how} but nobody is named to be told (error_handling.notify)"
    return PASS, f"failures go to {how} for {listing(notify)}"


def resync_keeps_sequence(facts: IntegrationFacts) -> Outcome:
    integration = facts.integration
    if not integration.is_sequence_sensitive:
        return NOT_APPLICABLE, "the data is not sequence-sensitive"
    if integration.resync == Resync.REPLAY_IN_ORDER:
        return PASS, "a re-sync replays records in their original order"
    if not integration.resync:
        return FAIL, "the data is sequence-sensitive and no re-sync method is written"
    label = Resync(integration.resync).label.lower()
    return FAIL, f"the data is sequence-sensitive but the re-sync is {label}: replayed records lose their order"


# How a connector type reads in a sentence.
CONNECTOR_WORDS: dict[str, str] = {
    ConnectorType.NATIVE: "native connector",
    ConnectorType.IPAAS: "iPaaS connector",
    ConnectorType.CUSTOM_API: "custom API connector",
    ConnectorType.FILE_TRANSFER: "file transfer",
    ConnectorType.MANUAL: "manual transfer",
}
MAINTAINER_WORDS: dict[str, str] = {
    MaintainedBy.SOURCE_VENDOR: "the source system's vendor",
    MaintainedBy.TARGET_VENDOR: "the target system's vendor",
    MaintainedBy.IPAAS_VENDOR: "the iPaaS vendor",
    MaintainedBy.INTERNAL: "the internal team",
    MaintainedBy.PARTNER: "the implementation partner",
}


def connector_maintained(facts: IntegrationFacts) -> Outcome:
    integration = facts.integration
    kind = integration.connector_type
    if not kind:
        return FAIL, "the connector type is not written"
    words = CONNECTOR_WORDS.get(kind, kind)
    if kind not in MAINTAINED_CONNECTOR_TYPES:
        return NOT_APPLICABLE, f"a {words}: no vendor connector to keep compatible"
    gaps = []
    if not integration.maintained_by:
        gaps.append("nobody is named to maintain it")
    if integration.compatibility_sla_days is None:
        gaps.append("no compatibility SLA is agreed")
    if gaps:
        return FAIL, f"the {words}: {' and '.join(gaps)}"
    who = MAINTAINER_WORDS.get(integration.maintained_by, integration.maintained_by)
    return PASS, f"maintained by {who}, fixed within {plural(integration.compatibility_sla_days or 0, 'day')}"


def health_up(facts: IntegrationFacts) -> Outcome:
    kind = facts.integration.health_kind or HealthKind.NONE
    if kind == HealthKind.NONE:
        return FAIL, "no health source is set (health.kind: none)"
    # Platform names keep their capitals; a heartbeat reads as a common noun.
    label = HealthKind.HEARTBEAT.label.lower() if kind == HealthKind.HEARTBEAT else health_kind_label(kind)
    health = facts.health
    if health is None or health.state == HealthState.UNKNOWN:
        return FAIL, f"the {label} health source has reported nothing yet"
    if health.state != HealthState.UP:
        since = f" since {health.state_changed_at:%Y-%m-%d %H:%M}" if health.state_changed_at else ""
        return FAIL, f"health is {health.state}{since}"
    return PASS, f"{label} health is up"


# A critical finding whose cause another checklist item already checks: while that item blocks, the
# finding is the same blocker in other words, so it is not counted (or listed) a second time.
COVERED_BY: dict[str, str] = {
    FindingCode.HEALTH_DOWN: "health-up",
    FindingCode.HEALTH_FAILING: "health-up",
    FindingCode.UNMONITORED: "health-up",
    FindingCode.SILENT_FAILURES: "failures-reach-person",
    FindingCode.OWNER_INACTIVE: "owner-backup",
    FindingCode.SINGLE_PERSON_DEPENDENCY: "owner-backup",
    FindingCode.RESYNC_LOSES_SEQUENCE: "resync-sequence",
    FindingCode.CONNECTOR_MAINTENANCE_UNOWNED: "connector-maintenance",
    FindingCode.SPEC_INCOMPLETE: "spec-complete",
}
CRITICAL_FINDING_ITEM = "no-critical-finding"


def _sentence_case(title: str) -> str:
    return title[:1].lower() + title[1:]


def no_other_critical_finding(facts: IntegrationFacts, blocking: frozenset[str] = frozenset()) -> Outcome:
    """Open critical findings not already blocking as another item (`blocking`: the failing items)."""
    codes = sorted({code for code in facts.critical_findings if COVERED_BY.get(code) not in blocking})
    if not codes:
        return PASS, "no open critical finding besides the blockers above"
    names = [_sentence_case(finding_title(code)) for code in codes]
    return FAIL, f"open critical {'finding' if len(codes) == 1 else 'findings'}: {listing(names)}"


def phase_two_has_target(facts: IntegrationFacts) -> Outcome:
    integration = facts.integration
    if integration.phase != Phase.PHASE_TWO:
        return NOT_APPLICABLE, "not deferred to phase two"
    if integration.target_date is None:
        return FAIL, "deferred to phase two with no target date"
    return PASS, f"deferred to phase two, promised for {integration.target_date.isoformat()}"


NOT_ATTESTED: dict[str, str] = {
    AttestedItem.FAILURE_SIMULATION: "no failure simulation is attested yet",
    AttestedItem.RESYNC_REHEARSAL: "no re-sync after an outage is attested as rehearsed yet",
}


def attested(item: str) -> Callable[[IntegrationFacts], Outcome]:
    def check(facts: IntegrationFacts) -> Outcome:
        attestation = facts.attestations.get(item)
        if attestation is None:
            return FAIL, NOT_ATTESTED[item]
        return PASS, f"by {attestation.performed_by} on {attestation.performed_on.isoformat()}"

    return check


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    check: Callable[[IntegrationFacts], Outcome]
    attested: bool = False


ITEMS: tuple[Item, ...] = (
    Item("spec-complete", "Spec complete", spec_complete),
    Item("owner-backup", "Owner active with a backup", owner_with_backup),
    Item("failures-reach-person", "Failures reach a named person", failures_reach_a_person),
    Item("resync-sequence", "Re-sync preserves sequence", resync_keeps_sequence),
    Item("connector-maintenance", "Connector maintenance owned with an SLA", connector_maintained),
    Item("health-up", "Health monitored and up", health_up),
    Item(CRITICAL_FINDING_ITEM, "No other open critical finding", no_other_critical_finding),
    Item("phase-two-target", "Phase-two item has a target date", phase_two_has_target),
    *(Item(item.value, item.label, attested(item.value), attested=True) for item in AttestedItem),
)


@dataclass(frozen=True)
class ItemResult:
    code: str
    label: str
    status: str
    detail: str
    attested: bool = False
    attestation: AttestationFacts | None = None

    @property
    def blocks(self) -> bool:
        return self.status == FAIL


# The figures below are computed once per instance (cached_property writes past the frozen
# dataclass): a page reads them many times, over hundreds of integrations.
@dataclass(frozen=True)
class IntegrationReadiness:
    integration: Integration
    items: tuple[ItemResult, ...]

    @cached_property
    def blockers(self) -> tuple[ItemResult, ...]:
        return tuple(item for item in self.items if item.blocks)

    @cached_property
    def passed(self) -> int:
        return sum(item.status == PASS for item in self.items)

    @cached_property
    def applicable(self) -> int:
        return sum(item.status != NOT_APPLICABLE for item in self.items)

    def item(self, code: str) -> ItemResult:
        return next(item for item in self.items if item.code == code)


@dataclass(frozen=True)
class Readiness:
    integrations: tuple[IntegrationReadiness, ...]

    @cached_property
    def passed(self) -> int:
        return sum(row.passed for row in self.integrations)

    @cached_property
    def applicable(self) -> int:
        return sum(row.applicable for row in self.integrations)

    @cached_property
    def percent(self) -> int:
        """Items passed of items that apply, rounded down: 100 only when nothing blocks."""
        return self.passed * 100 // self.applicable if self.applicable else 0

    @cached_property
    def blockers(self) -> tuple[str, ...]:
        """Every blocker in words: "Chargebee invoices to NetSuite: failures only reach a log file"."""
        if not self.integrations:
            return (EMPTY_SCOPE,)
        return tuple(
            f"{row.integration.display_name}: {item.detail}" for row in self.integrations for item in row.blockers
        )

    @cached_property
    def is_blocked(self) -> bool:
        return bool(self.blockers)

    @cached_property
    def blocked_integrations(self) -> tuple[IntegrationReadiness, ...]:
        """The integrations with at least one blocker, in scope order."""
        return tuple(row for row in self.integrations if row.blockers)


def assess_integration(facts: IntegrationFacts) -> IntegrationReadiness:
    """Every item; the critical-findings item last, so it counts only causes no other item blocks on."""
    outcomes = {item.code: item.check(facts) for item in ITEMS if item.code != CRITICAL_FINDING_ITEM}
    blocking = frozenset(code for code, (status, _) in outcomes.items() if status == FAIL)
    outcomes[CRITICAL_FINDING_ITEM] = no_other_critical_finding(facts, blocking)
    results = []
    for item in ITEMS:
        status, detail = outcomes[item.code]
        attestation = facts.attestations.get(item.code) if item.attested else None
        results.append(ItemResult(item.code, item.label, status, detail, item.attested, attestation))
    return IntegrationReadiness(facts.integration, tuple(results))


def assess_golive(scope: Sequence[IntegrationFacts]) -> Readiness:
    """The readiness of a go-live whose scope is these integrations, in scope order."""
    return Readiness(tuple(assess_integration(facts) for facts in scope))
