"""The post-go-live review: PLUMBLINE_GOLIVE_REVIEW_DAYS after a signed-off go-live's date, what was
left undone. Four sections: integrations in scope still deferred (phase two, or not live yet),
workarounds still running, failures since the go-live date, and spec changes since the sign-off.

The sections are pure functions of the scope; load_review() gathers it in a fixed number of queries
(monitoring's data only through catalog.health)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from catalog.choices import Lifecycle, Phase
from catalog.health import FailuresSince, read_failures_since
from catalog.models import ChangeRecord, GoLive, Integration, ReviewSignOff, SignOff
from catalog.rules.finding import person_name
from catalog.rules.golive import days_overdue, review_due_on, review_pending

# The spec changes listed on the page and in the API (the total is always given).
SPEC_CHANGES_SHOWN = 50
NOT_LIVE = frozenset({Lifecycle.PLANNED, Lifecycle.BUILDING})
KIND_WORDS = {"Integration": "integration", "GoLive": "go-live"}


@dataclass(frozen=True)
class DeferredItem:
    integration: Integration
    reason: str


@dataclass(frozen=True)
class WorkaroundItem:
    integration: Integration
    performed_by: str
    hours_per_month: float | None
    description: str


@dataclass(frozen=True)
class FailureItem:
    integration: Integration
    failures: FailuresSince


@dataclass(frozen=True)
class SpecChange:
    at: dt.datetime
    who: str
    kind: str
    key: str
    action: str
    history_url: str

    @property
    def document(self) -> str:
        """How the page names the document: "integration chargebee-invoices-to-netsuite"."""
        return f"{KIND_WORDS.get(self.kind, self.kind)} {self.key}"


def deferred_items(scope: Sequence[Integration]) -> tuple[DeferredItem, ...]:
    """Integrations in scope still deferred to phase two or not yet live, with why in words."""
    items = []
    for integration in scope:
        reasons = []
        if integration.phase == Phase.PHASE_TWO:
            target = integration.target_date
            promise = f"promised for {target.isoformat()}" if target else "no target date"
            reasons.append(f"deferred to phase two, {promise}")
        if integration.lifecycle in NOT_LIVE:
            reasons.append(f"not live yet ({Lifecycle(integration.lifecycle).label.lower()})")
        if reasons:
            items.append(DeferredItem(integration, "; ".join(reasons)))
    return tuple(items)


def workaround_items(scope: Sequence[Integration]) -> tuple[WorkaroundItem, ...]:
    """Integrations in scope with a manual workaround written (who does it, or what they do)."""
    return tuple(
        WorkaroundItem(
            integration,
            person_name(integration.workaround_performed_by) if integration.workaround_performed_by else "",
            integration.workaround_hours_per_month,
            integration.workaround_description,
        )
        for integration in scope
        if integration.workaround_description or integration.workaround_performed_by_id is not None
    )


def failure_items(scope: Sequence[Integration], failures: Mapping[int, FailuresSince]) -> tuple[FailureItem, ...]:
    """Integrations in scope with anything failed since the go-live, in scope order."""
    return tuple(
        FailureItem(integration, failures[integration.pk])
        for integration in scope
        if integration.pk in failures and failures[integration.pk].any
    )


@dataclass(frozen=True)
class GoLiveReview:
    golive: GoLive
    review_days: int
    today: dt.date
    signoff: SignOff | None  # the latest sign-off
    signatures: tuple[ReviewSignOff, ...]  # every review signed, newest first
    deferred: tuple[DeferredItem, ...] = ()
    workarounds: tuple[WorkaroundItem, ...] = ()
    failures: tuple[FailureItem, ...] = ()
    spec_changes: tuple[SpecChange, ...] = ()
    spec_changes_total: int = 0

    @cached_property
    def due_on(self) -> dt.date | None:
        return review_due_on(self.golive.date, self.review_days) if self.signoff else None

    @cached_property
    def review(self) -> ReviewSignOff | None:
        """The review signed since the latest sign-off, if any."""
        latest = self.signatures[0] if self.signatures else None
        if latest is None or self.signoff is None:
            return None
        return None if review_pending(self.signoff.signed_at, latest.signed_at) else latest

    @cached_property
    def pending(self) -> bool:
        return self.signoff is not None and self.review is None

    @cached_property
    def overdue_days(self) -> int | None:
        """Days since the review fell due while it is unsigned (0 on the due day); else None."""
        return days_overdue(self.due_on, self.today) if self.pending else None

    @cached_property
    def since(self) -> dt.datetime | None:
        """Failures count from the start of the go-live's date (the sign-off time without a date)."""
        if self.golive.date is not None:
            return timezone.make_aware(dt.datetime.combine(self.golive.date, dt.time.min))
        return self.signoff.signed_at if self.signoff else None

    def figures(self) -> dict[str, int]:
        """The counts a review signature keeps."""
        return {
            "deferred": len(self.deferred),
            "workarounds": len(self.workarounds),
            "failed_runs": sum(item.failures.failed_runs for item in self.failures),
            "flips_down": sum(item.failures.flips_down for item in self.failures),
            "open_failed_records": sum(item.failures.open_failed_records for item in self.failures),
            "spec_changes": self.spec_changes_total,
        }


def _history_url(kind: str, key: str) -> str:
    if kind == "GoLive":
        return reverse("golive-detail", args=[key])
    return reverse("integration-detail", args=[key]) + "#history-heading"


def spec_changes_since(
    golive: GoLive, scope: Sequence[Integration], since: dt.datetime
) -> tuple[tuple[SpecChange, ...], int]:
    """Change records of the go-live and the integrations in its scope after `since`, newest
    first (up to SPEC_CHANGES_SHOWN), and how many there are in all; two queries."""
    records = ChangeRecord.objects.filter(
        Q(kind="Integration", key__in=[i.key for i in scope]) | Q(kind="GoLive", key=golive.key), at__gt=since
    )
    total = records.count()
    shown = records.select_related("actor").order_by("-at", "-id")[:SPEC_CHANGES_SHOWN]
    changes = tuple(
        SpecChange(
            at=r.at,
            who=r.actor.get_username() if r.actor else f"({r.via})",
            kind=r.kind,
            key=r.key,
            action=r.action,
            history_url=_history_url(r.kind, r.key),
        )
        for r in shown
    )
    return changes, total


def load_review(golive: GoLive, today: dt.date | None = None, review_days: int | None = None) -> GoLiveReview:
    """The review of one go-live; the sections are empty until it is signed off. At most eight
    queries, whatever the size of the scope."""
    today = today or timezone.localdate()
    days = settings.PLUMBLINE_GOLIVE_REVIEW_DAYS if review_days is None else review_days
    signoff = golive.signoffs.order_by("-signed_at", "-id").first()
    signatures = tuple(golive.review_signoffs.order_by("-signed_at", "-id"))
    review = GoLiveReview(golive, days, today, signoff, signatures)
    if signoff is None or review.since is None:
        return review
    scope = list(
        Integration.objects.filter(golive_scope__golive=golive)
        .select_related("workaround_performed_by")
        .order_by("golive_scope__position", "golive_scope__id")
    )
    failures = read_failures_since([i.pk for i in scope], review.since)
    changes, total = spec_changes_since(golive, scope, signoff.signed_at)
    return GoLiveReview(
        golive,
        days,
        today,
        signoff,
        signatures,
        deferred=deferred_items(scope),
        workarounds=workaround_items(scope),
        failures=failure_items(scope, failures),
        spec_changes=changes,
        spec_changes_total=total,
    )
