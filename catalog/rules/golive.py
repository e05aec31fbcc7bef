"""GOLIVE_REVIEW_DUE: a signed-off go-live's post-go-live review is due and nobody has signed it.

The review falls due PLUMBLINE_GOLIVE_REVIEW_DAYS (default 90) days after the go-live's date: a
go-live on 1 January with 90 days is due on 1 April (day 90), not on 31 March (day 89). A review
signed after the latest sign-off closes it; signing the go-live off again opens a new one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from catalog.models.findings import FindingCode, Severity, SubjectType
from catalog.rules.finding import Finding, plural

# Overdue by this many days or more, the finding is critical.
CRITICAL_AFTER_DAYS = 30


@dataclass(frozen=True)
class GoLiveReviewFacts:
    """What the rule reads of one go-live: its date, approver, latest sign-off and latest review."""

    key: str
    name: str
    date: dt.date | None
    approver_email: str | None
    signed_off_at: dt.datetime | None
    reviewed_at: dt.datetime | None


def review_due_on(date: dt.date | None, review_days: int) -> dt.date | None:
    """The day the post-go-live review falls due; None for a go-live with no date."""
    return None if date is None else date + dt.timedelta(days=review_days)


def review_pending(signed_off_at: dt.datetime | None, reviewed_at: dt.datetime | None) -> bool:
    """Signed off, and no review signed since the latest sign-off."""
    return signed_off_at is not None and (reviewed_at is None or reviewed_at < signed_off_at)


def days_overdue(due_on: dt.date | None, today: dt.date) -> int | None:
    """0 on the due day, 1 the day after; None before it (or with no due day)."""
    if due_on is None or today < due_on:
        return None
    return (today - due_on).days


def golive_review_due(golive: GoLiveReviewFacts, today: dt.date, review_days: int) -> Finding | None:
    if not review_pending(golive.signed_off_at, golive.reviewed_at):
        return None
    due_on = review_due_on(golive.date, review_days)
    overdue = days_overdue(due_on, today)
    if due_on is None or overdue is None:
        return None
    severity = Severity.CRITICAL if overdue >= CRITICAL_AFTER_DAYS else Severity.WARNING
    assert golive.date is not None
    when = "today" if overdue == 0 else f"on {due_on.isoformat()} ({plural(overdue, 'day')} ago)"
    return Finding(
        FindingCode.GOLIVE_REVIEW_DUE,
        severity,
        SubjectType.GOLIVE,
        golive.key,
        f"{golive.name or golive.key} went live on {golive.date.isoformat()}; its {review_days}-day review fell due "
        f"{when} and is not signed.",
        "The approver reviews what is still deferred, the workarounds still running, the failures since go-live "
        "and the specs changed since sign-off, and signs the review on the go-live's review page.",
        golive.approver_email,
    )
