"""Writing the readiness record: attestations by an integration's owners, sign-off by the approver.
Each is a new row (who, when), so the record's history is never rewritten."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from catalog.models import Attestation, GoLive, Integration, ReviewSignOff, SignOff
from catalog.ownership import can_edit
from catalog.readiness.checklist import Readiness
from catalog.readiness.review import GoLiveReview
from catalog.rules.store import refresh_findings
from plumbline.accounts.roles import email_of, is_admin

logger = logging.getLogger(__name__)


class SignOffRefused(Exception):
    """Sign-off while something blocks, without a reason to override."""


class ReviewRefused(Exception):
    """A post-go-live review of a go-live nobody has signed off."""


def may_attest(user: Any, integration: Integration) -> bool:
    """An owner of the integration (owner or backup owner) or an admin."""
    return can_edit(user, integration)


def may_sign_off(user: Any, golive: GoLive) -> bool:
    """The go-live's approver (matched by email) or an admin."""
    if is_admin(user):
        return True
    approver = golive.approver
    return approver is not None and bool(email_of(user)) and approver.email.lower() == email_of(user)


def attest(
    golive: GoLive,
    integration: Integration,
    user: Any,
    *,
    item: str,
    performed_by: str,
    performed_on: dt.date,
    evidence_url: str,
    now: dt.datetime | None = None,
) -> Attestation:
    if not may_attest(user, integration):
        raise PermissionDenied("Only the integration's owner, its backup owner or an admin may attest for it.")
    return Attestation.objects.create(
        golive=golive,
        integration=integration,
        item=item,
        performed_by=performed_by,
        performed_on=performed_on,
        evidence_url=evidence_url,
        recorded_by=user,
        recorded_by_email=email_of(user),
        recorded_at=now or timezone.now(),
    )


def sign_off(
    golive: GoLive, user: Any, readiness: Readiness, *, override_reason: str = "", now: dt.datetime | None = None
) -> SignOff:
    """Record the sign-off with the readiness it was given on; refused while anything blocks,
    unless the reason to go ahead anyway is written down."""
    if not may_sign_off(user, golive):
        raise PermissionDenied("Only the go-live's approver or an admin may sign it off.")
    reason = override_reason.strip()
    if readiness.is_blocked and not reason:
        count = len(readiness.blockers)
        raise SignOffRefused(
            f"{count} blocker{'s' if count != 1 else ''} remain{'s' if count == 1 else ''}: fix "
            f"{'it' if count == 1 else 'them'}, or write why the go-live goes ahead anyway."
        )
    return SignOff.objects.create(
        golive=golive,
        signed_by=user,
        signed_by_email=email_of(user),
        signed_at=now or timezone.now(),
        readiness_percent=readiness.percent,
        blockers=list(readiness.blockers),
        override_reason=reason,
    )


def sign_review(
    golive: GoLive, user: Any, review: GoLiveReview, *, notes: str = "", now: dt.datetime | None = None
) -> ReviewSignOff:
    """Record the post-go-live review with the figures it showed. The same people sign it as sign
    the go-live off; there is nothing to review before the go-live is signed off. Findings are
    refreshed at once, so GOLIVE_REVIEW_DUE goes away with the signature."""
    if not may_sign_off(user, golive):
        raise PermissionDenied("Only the go-live's approver or an admin may sign its review.")
    if review.signoff is None:
        raise ReviewRefused("The go-live is not signed off yet: there is nothing to review.")
    signature = ReviewSignOff.objects.create(
        golive=golive,
        signed_by=user,
        signed_by_email=email_of(user),
        signed_at=now or timezone.now(),
        notes=notes.strip(),
        figures=review.figures(),
    )
    refresh_findings_safely()
    return signature


def refresh_findings_safely() -> None:
    # The signature has been written; a failing refresh must not undo it (the nightly task refreshes again).
    try:
        refresh_findings()
    except Exception:
        logger.exception("refreshing findings after a review sign-off failed")
