"""Writing the readiness record: attestations by an integration's owners, sign-off by the approver.
Each is a new row (who, when), so the record's history is never rewritten."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from catalog.models import Attestation, GoLive, Integration, SignOff
from catalog.ownership import can_edit
from catalog.readiness.checklist import Readiness
from plumbline.accounts.roles import email_of, is_admin


class SignOffRefused(Exception):
    """Sign-off while something blocks, without a reason to override."""


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
