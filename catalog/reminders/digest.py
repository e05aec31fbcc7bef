"""Who gets which digest, and when their manager is copied: pure decisions, no database."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from catalog.models.findings import FindingCode, SubjectType
from catalog.rules.finding import Finding, sort_findings

# Digests in a row nobody answered before the owner's manager is copied on the next one.
UNANSWERED_BEFORE_COPY = 3


def period_start(today: dt.date, days: int) -> dt.date:
    """First day of the reminder period holding `today`. Periods are counted from Monday
    0001-01-01, so with 7 days every period starts on a Monday."""
    ordinal = today.toordinal()
    return dt.date.fromordinal(ordinal - (ordinal - 1) % days)


@dataclass(frozen=True)
class DigestItem:
    """One integration in a digest: its STALE_SPEC finding (if stale) and its other open findings."""

    key: str
    name: str
    stale: Finding | None
    findings: tuple[Finding, ...]

    @property
    def rank(self) -> int:
        return max((f.rank for f in self.all_findings), default=0)

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        return ((self.stale,) if self.stale else ()) + self.findings

    def as_json(self) -> dict[str, Any]:
        """What the Reminder row keeps of it, for the reminders page."""
        return {
            "key": self.key,
            "name": self.name,
            "stale": self.stale is not None,
            "findings": [{"code": f.code, "severity": f.severity, "message": f.message} for f in self.all_findings],
        }


def digests_by_owner(
    findings: Iterable[Finding], names: Mapping[str, str], snoozed: set[str]
) -> dict[str, list[DigestItem]]:
    """Owner email -> what their digest lists: stale specs first, then the rest by their most
    severe finding. `findings` are the counted (not waived) ones; snoozed integrations are left out;
    only integration findings with an owner are about "integrations they own"."""
    by_integration: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.subject_type != SubjectType.INTEGRATION or not finding.owner or not finding.subject_key:
            continue
        if finding.subject_key in snoozed:
            continue
        by_integration[(finding.owner, finding.subject_key)].append(finding)
    digests: dict[str, list[DigestItem]] = defaultdict(list)
    for (owner, key), found in by_integration.items():
        stale = next((f for f in found if f.code == FindingCode.STALE_SPEC), None)
        others = tuple(sort_findings([f for f in found if f is not stale]))
        digests[owner].append(DigestItem(key, names.get(key) or key, stale, others))
    for items in digests.values():
        items.sort(key=lambda item: (item.stale is None, -item.rank, item.key))
    return dict(digests)


def copies_manager(
    sent: Sequence[dt.datetime], last_answer: dt.datetime | None, after: int = UNANSWERED_BEFORE_COPY
) -> bool:
    """Copy the manager when the `after` latest digests were all sent after the owner last
    answered one (opened a review link, confirmed, snoozed or edited a spec), or they never did."""
    latest = sorted(sent, reverse=True)[:after]
    if len(latest) < after:
        return False
    return last_answer is None or last_answer < min(latest)
