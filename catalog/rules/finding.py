"""The pure result of a rule, what a rule may know besides the integration, and the wording helpers
every rule shares so messages read the same way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from catalog.health import HealthFacts
from catalog.models import Integration
from catalog.models.findings import SEVERITY_RANK, FindingCode, SubjectType

JSON_KEYS: tuple[str, ...] = ("code", "severity", "subject_type", "subject_key", "message", "remedy")

# The spec fields a remedy changes, for the technical reader: remedies say what to do in words, and
# pages show these paths beside them in small type. Codes about what is observed name none.
SPEC_FIELDS: dict[str, tuple[str, ...]] = {
    FindingCode.SPEC_INCOMPLETE: (
        "source",
        "target",
        "mappings",
        "sync.trigger",
        "sync.interval_minutes",
        "sync.max_latency_minutes",
        "error_handling",
        "owner",
        "connector.type",
        "connector.maintained_by",
        "connector.compatibility_sla_days",
    ),
    FindingCode.UNDOCUMENTED_CONNECTION: ("health.kind", "health.ref"),
    FindingCode.DEFERRED_PHASE_TWO: ("target_date", "deferred_since"),
    FindingCode.WORKAROUND_EXCEEDS_BUILD: ("workaround.hours_per_month", "build_estimate_hours"),
    FindingCode.SINGLE_PERSON_DEPENDENCY: ("backup_owner",),
    FindingCode.REALTIME_CLAIM_MISMATCH: ("sync.vendor_claim", "sync.interval_minutes", "sync.max_latency_minutes"),
    FindingCode.SYNC_SLOWER_THAN_DECLARED: ("sync.interval_minutes", "sync.max_latency_minutes"),
    FindingCode.SILENT_FAILURES: ("error_handling.surface", "error_handling.notify"),
    FindingCode.RESYNC_LOSES_SEQUENCE: ("error_handling.resync",),
    FindingCode.CONNECTOR_MAINTENANCE_UNOWNED: ("connector.maintained_by", "connector.compatibility_sla_days"),
    FindingCode.API_RETIREMENT_DUE: ("connector.api_version", "connector.api_retirement_date"),
    FindingCode.STALE_SPEC: ("reviewed_at",),
    FindingCode.OWNER_INACTIVE: ("owner", "backup_owner"),
    FindingCode.UNMONITORED: ("health.kind",),
    FindingCode.RECORDS_DROPPED: ("reconciliation.tolerance_percent", "reconciliation.tolerance_records"),
    FindingCode.RECONCILIATION_GAP: ("reconciliation.tolerance_percent", "reconciliation.tolerance_records"),
    FindingCode.NO_MASTER: ("master",),
    FindingCode.CONFLICTING_WRITERS: ("data_objects", "master"),
    FindingCode.WORKAROUND_MISSED: ("workaround.every", "workaround.performed_by"),
}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # info | warning | critical
    subject_type: str  # integration | system | person | connection | estate | data_object
    subject_key: str | None  # None for the estate
    message: str
    remedy: str
    # Email of the subject's owner, for grouping and filtering; not part of the JSON contract.
    owner: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """Exactly the keys of the `findings --format json` contract (DESIGN.md, Interfaces)."""
        return {key: getattr(self, key) for key in JSON_KEYS}

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    @property
    def subject(self) -> tuple[str, str]:
        """(subject_type, subject_key) with "" for the estate: how waivers and stored rows match."""
        return (self.subject_type, self.subject_key or "")

    def sort_key(self) -> tuple[int, str, str, str]:
        return (-self.rank, self.code, *self.subject)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Severity descending, then code, then subject: the same order on every run."""
    return sorted(findings, key=Finding.sort_key)


@dataclass(frozen=True)
class Facts:
    """What a rule may know about one integration besides its own row and related objects."""

    today: dt.date
    now: dt.datetime
    review_days: int = 180
    health: HealthFacts | None = None  # None: monitoring has no data for it
    has_complete_mapping: bool = False  # a mapping naming both source and target exists
    # Its mappings that are lookups without a value map, as completeness.lookup_without_map says them.
    open_lookups: tuple[str, ...] = ()
    # (key, reviewed_at) of each value map its mappings name.
    value_maps: tuple[tuple[str, dt.date | None], ...] = ()
    # Due times (UTC) of the workaround runs confirmed lately (catalog/workarounds/runs.py).
    confirmed_runs: frozenset[dt.datetime] = frozenset()


def about(integration: Integration, code: str, severity: str, message: str, remedy: str) -> Finding:
    """A finding whose subject is the integration, owned by the integration's owner."""
    owner = integration.owner.email if integration.owner else None
    return Finding(code, severity, SubjectType.INTEGRATION, integration.key, message, remedy, owner)


def plural(count: int | float, word: str, words: str | None = None) -> str:
    shown = number(count)
    return f"{shown} {word}" if count == 1 else f"{shown} {words or word + 's'}"


def number(value: int | float) -> str:
    """6.0 -> "6", 6.25 -> "6.2": hours and minutes as people write them."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))


def person_name(person: object) -> str:
    name = getattr(person, "name", "") or getattr(person, "email", "")
    return str(name)


def listing(items: list[str], limit: int = 5) -> str:
    """Join as "a, b and c"; beyond the limit "a, b, c, d, e and 4 more"."""
    if len(items) > limit:
        shown, rest = items[:limit], len(items) - limit
        return f"{', '.join(shown)} and {rest} more"
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
