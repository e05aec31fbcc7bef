"""What a submitted attestation, sign-off or review sign-off does, once for the pages and the API:
who may (PermissionDenied otherwise), the same form validation, the record written. Each returns the
record (None when refused) and the form, whose errors the page shows and the API answers as a 400."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied

from catalog.models import Attestation, GoLive, Integration, ReviewSignOff, SignOff
from catalog.readiness.checklist import Readiness
from catalog.readiness.forms import AttestationForm, ReviewSignOffForm, SignOffForm
from catalog.readiness.records import (
    ReviewRefused,
    SignOffRefused,
    attest,
    may_attest,
    may_sign_off,
    sign_off,
    sign_review,
)
from catalog.readiness.review import GoLiveReview


def attestable(readiness: Readiness, user: Any) -> list[Integration]:
    """The integrations in scope this user may attest for (their own, or all for an admin)."""
    return [row.integration for row in readiness.integrations if may_attest(user, row.integration)]


def submit_attestation(
    golive: GoLive, readiness: Readiness, user: Any, data: Mapping[str, Any]
) -> tuple[Attestation | None, AttestationForm]:
    integrations = attestable(readiness, user)
    if not integrations:
        raise PermissionDenied("Only an owner of an integration in this go-live, or an admin, may attest for it.")
    form = AttestationForm(data, integrations=integrations)
    if not form.is_valid():
        return None, form
    attestation = attest(
        golive,
        form.chosen_integration,
        user,
        item=form.cleaned_data["item"],
        performed_by=form.cleaned_data["performed_by"],
        performed_on=form.cleaned_data["performed_on"],
        evidence_url=form.cleaned_data["evidence_url"],
    )
    return attestation, form


def submit_sign_off(
    golive: GoLive, readiness: Readiness, user: Any, data: Mapping[str, Any]
) -> tuple[SignOff | None, SignOffForm]:
    if not may_sign_off(user, golive):
        raise PermissionDenied("Only the go-live's approver or an admin may sign it off.")
    form = SignOffForm(data)
    if form.is_valid():
        try:
            return sign_off(golive, user, readiness, override_reason=form.cleaned_data["override_reason"]), form
        except SignOffRefused as refused:
            form.add_error("override_reason", str(refused))
    return None, form


def submit_review_sign_off(
    golive: GoLive, review: GoLiveReview, user: Any, data: Mapping[str, Any]
) -> tuple[ReviewSignOff | None, ReviewSignOffForm]:
    if not may_sign_off(user, golive):
        raise PermissionDenied("Only the go-live's approver or an admin may sign its review.")
    form = ReviewSignOffForm(data)
    if form.is_valid():
        try:
            return sign_review(golive, user, review, notes=form.cleaned_data["notes"]), form
        except ReviewRefused as refused:
            form.add_error(None, str(refused))
    return None, form
