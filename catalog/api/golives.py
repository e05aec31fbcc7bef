"""/api/v1/golives/<key>/ readiness/, attestations/, sign-off/, review/ and review/sign-off/: the
readiness record and the post-go-live review, with the rules of the pages (catalog.readiness.actions
decides for both; the forms validate both). Unknown parameters and body fields are a 400."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api.filters import refuse_unknown_parameters
from catalog.api.permissions import ReadAnyRole
from catalog.models import Attestation, AttestedItem, GoLive, Integration, ReviewSignOff, SignOff
from catalog.readiness.actions import submit_attestation, submit_review_sign_off, submit_sign_off
from catalog.readiness.checklist import NOT_APPLICABLE, PASS, Readiness
from catalog.readiness.forms import AttestationForm, ReviewSignOffForm, SignOffForm
from catalog.readiness.load import readiness_by_golive
from catalog.readiness.review import GoLiveReview, load_review


class WriteByRule(ReadAnyRole):
    """Any role may send; the action decides who may (may_attest, may_sign_off), as the page does.
    Read-only tokens are still refused by ReadAnyRole."""

    def may_write(self, user: Any) -> bool:
        return True

    def may_write_object(self, user: Any, obj: Any) -> bool:
        return True


# ---- response serializers (read from plain dicts and model rows) ----


class AttestationFactsSerializer(serializers.Serializer):
    performed_by = serializers.CharField()
    performed_on = serializers.DateField()
    evidence_url = serializers.URLField()
    recorded_by = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class ChecklistItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    status = serializers.ChoiceField(choices=[PASS, "fail", NOT_APPLICABLE])
    detail = serializers.CharField()
    attested = serializers.BooleanField()
    attestation = AttestationFactsSerializer(allow_null=True)


class IntegrationReadinessSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    passed = serializers.IntegerField()
    applicable = serializers.IntegerField()
    blockers = serializers.IntegerField(help_text="How many items block.")
    items = ChecklistItemSerializer(many=True)


class SignOffSerializer(serializers.ModelSerializer[SignOff]):
    class Meta:
        model = SignOff
        fields = ["signed_by_email", "signed_at", "readiness_percent", "blockers", "override_reason"]


class ReadinessSerializer(serializers.Serializer):
    golive = serializers.CharField(help_text="The go-live's key.")
    date = serializers.DateField(allow_null=True)
    percent = serializers.IntegerField(help_text="Items passed of items that apply, rounded down.")
    passed = serializers.IntegerField()
    applicable = serializers.IntegerField()
    blockers = serializers.ListField(child=serializers.CharField(), help_text="Every blocker in words.")
    signoff = SignOffSerializer(allow_null=True, help_text="The latest sign-off; null before any.")
    integrations = IntegrationReadinessSerializer(many=True)


class AttestationSerializer(serializers.ModelSerializer[Attestation]):
    integration: serializers.SlugRelatedField[Integration] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )

    class Meta:
        model = Attestation
        fields = [
            "integration",
            "item",
            "performed_by",
            "performed_on",
            "evidence_url",
            "recorded_by_email",
            "recorded_at",
        ]


class ReviewSignOffSerializer(serializers.ModelSerializer[ReviewSignOff]):
    class Meta:
        model = ReviewSignOff
        fields = ["signed_by_email", "signed_at", "notes", "figures"]


class FailuresSerializer(serializers.Serializer):
    integration = serializers.CharField()
    failed_runs = serializers.IntegerField()
    flips_down = serializers.IntegerField(help_text="Flips to down or failing.")
    open_failed_records = serializers.IntegerField()


class DeferredSerializer(serializers.Serializer):
    integration = serializers.CharField()
    reason = serializers.CharField()


class WorkaroundSerializer(serializers.Serializer):
    integration = serializers.CharField()
    performed_by = serializers.CharField(allow_blank=True)
    hours_per_month = serializers.FloatField(allow_null=True)
    description = serializers.CharField(allow_blank=True)


class SpecChangeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    who = serializers.CharField()
    kind = serializers.CharField()
    key = serializers.CharField()
    action = serializers.CharField()


class ReviewSerializer(serializers.Serializer):
    golive = serializers.CharField()
    date = serializers.DateField(allow_null=True)
    review_days = serializers.IntegerField(help_text="PLUMBLINE_GOLIVE_REVIEW_DAYS.")
    due_on = serializers.DateField(allow_null=True, help_text="Null until signed off, or with no go-live date.")
    pending = serializers.BooleanField(help_text="Signed off and no review signed since.")
    overdue_days = serializers.IntegerField(allow_null=True, help_text="Days since due while unsigned; else null.")
    since = serializers.DateTimeField(allow_null=True, help_text="Failures are counted from here.")
    signoff = SignOffSerializer(allow_null=True)
    review = ReviewSignOffSerializer(allow_null=True, help_text="The review signed since the latest sign-off.")
    deferred = DeferredSerializer(many=True)
    workarounds = WorkaroundSerializer(many=True)
    failures = FailuresSerializer(many=True)
    spec_changes = SpecChangeSerializer(many=True, help_text="Newest first, at most 50.")
    spec_changes_total = serializers.IntegerField()
    signatures = ReviewSignOffSerializer(many=True)


# ---- request serializers (for the schema: the forms validate) ----


class NewAttestationSerializer(serializers.Serializer):
    integration = serializers.CharField(help_text="Key of an integration in scope you may attest for.")
    item = serializers.ChoiceField(choices=AttestedItem.choices)
    performed_by = serializers.CharField(max_length=200)
    performed_on = serializers.DateField(help_text="Not in the future.")
    evidence_url = serializers.URLField(max_length=500, help_text="http or https.")


class NewSignOffSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Required while anything blocks."
    )


class NewReviewSignOffSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000)


# ---- documents ----


def readiness_document(golive: GoLive, readiness: Readiness, signoff: SignOff | None) -> dict[str, Any]:
    return {
        "golive": golive.key,
        "date": golive.date,
        "percent": readiness.percent,
        "passed": readiness.passed,
        "applicable": readiness.applicable,
        "blockers": list(readiness.blockers),
        "signoff": signoff,
        "integrations": [
            {
                "key": row.integration.key,
                "name": row.integration.display_name,
                "passed": row.passed,
                "applicable": row.applicable,
                "blockers": len(row.blockers),
                "items": [
                    {
                        "code": item.code,
                        "label": item.label,
                        "status": item.status,
                        "detail": item.detail,
                        "attested": item.attested,
                        "attestation": item.attestation,
                    }
                    for item in row.items
                ],
            }
            for row in readiness.integrations
        ],
    }


def review_document(review: GoLiveReview) -> dict[str, Any]:
    return {
        "golive": review.golive.key,
        "date": review.golive.date,
        "review_days": review.review_days,
        "due_on": review.due_on,
        "pending": review.pending,
        "overdue_days": review.overdue_days,
        "since": review.since,
        "signoff": review.signoff,
        "review": review.review,
        "deferred": [{"integration": i.integration.key, "reason": i.reason} for i in review.deferred],
        "workarounds": [
            {
                "integration": i.integration.key,
                "performed_by": i.performed_by,
                "hours_per_month": i.hours_per_month,
                "description": i.description,
            }
            for i in review.workarounds
        ],
        "failures": [
            {
                "integration": i.integration.key,
                "failed_runs": i.failures.failed_runs,
                "flips_down": i.failures.flips_down,
                "open_failed_records": i.failures.open_failed_records,
            }
            for i in review.failures
        ],
        "spec_changes": list(review.spec_changes),
        "spec_changes_total": review.spec_changes_total,
        "signatures": list(review.signatures),
    }


def form_data(request: Request, form_class: type[forms.Form]) -> Mapping[str, Any]:
    """The JSON body as form data: an object of known fields only (else a 400 naming the rest)."""
    data = request.data
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
    known = set(form_class.base_fields)
    unknown = sorted(str(name) for name in data if name not in known)
    if unknown:
        listed = ", ".join(sorted(known))
        raise ValidationError({name: [f"unknown field (known: {listed})"] for name in unknown})
    # The forms read text, as a page posts it: a number or a list is refused here, not half-parsed.
    not_text = sorted(str(name) for name, value in data.items() if not isinstance(value, str))
    if not_text:
        raise ValidationError({name: ["must be a string"] for name in not_text})
    return data


def refused(form: forms.Form) -> ValidationError:
    """The form's errors as the API's 400: messages by field, non_field_errors for the rest."""
    errors = form.errors.get_json_data()
    return ValidationError(
        {
            "non_field_errors" if name == NON_FIELD_ERRORS else name: [error["message"] for error in found]
            for name, found in errors.items()
        }
    )


def _readiness(golive: GoLive) -> Readiness:
    return readiness_by_golive([golive.pk], timezone.localdate())[golive.pk]


def _latest_signoff(golive: GoLive) -> SignOff | None:
    return golive.signoffs.order_by("-signed_at", "-id").first()


class GoLiveRecordActions:
    """The readiness record and the review, as actions of the go-live viewset."""

    get_object: Any
    paginate_queryset: Any
    get_paginated_response: Any

    @extend_schema(request=None, responses=ReadinessSerializer, filters=False)
    @action(detail=True, methods=["get"], permission_classes=[ReadAnyRole], filter_backends=[], pagination_class=None)
    def readiness(self, request: Request, key: str) -> Response:
        """The readiness checklist: every integration in scope with its items, the blockers, the latest sign-off."""
        refuse_unknown_parameters(request)
        golive = self.get_object()
        document = readiness_document(golive, _readiness(golive), _latest_signoff(golive))
        return Response(ReadinessSerializer(document).data)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses=AttestationSerializer(many=True),
        filters=False,
        description="Every attestation recorded for this go-live, newest first.",
    )
    @extend_schema(
        methods=["POST"],
        request=NewAttestationSerializer,
        responses={201: AttestationSerializer},
        description=(
            "Record an attestation, as the page's form does: an owner or backup owner of the integration, "
            "or an admin; the day not in the future; the evidence an http(s) link."
        ),
    )
    @action(detail=True, methods=["get", "post"], permission_classes=[WriteByRule], filter_backends=[])
    def attestations(self, request: Request, key: str) -> Response:
        """List the attestations, or record one."""
        refuse_unknown_parameters(request)
        golive = self.get_object()
        if request.method == "GET":
            rows = (
                Attestation.objects.filter(golive=golive).select_related("integration").order_by("-recorded_at", "-id")
            )
            page = self.paginate_queryset(rows)
            return self.get_paginated_response(AttestationSerializer(page, many=True).data)
        data = form_data(request, AttestationForm)
        attestation, form = submit_attestation(golive, _readiness(golive), request.user, data)
        if attestation is None:
            raise refused(form)
        return Response(AttestationSerializer(attestation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NewSignOffSerializer, responses={201: SignOffSerializer}, filters=False)
    @action(detail=True, methods=["post"], url_path="sign-off", permission_classes=[WriteByRule], filter_backends=[])
    def sign_off(self, request: Request, key: str) -> Response:
        """The approver or an admin signs the go-live off; while anything blocks, override_reason is required."""
        refuse_unknown_parameters(request)
        golive = self.get_object()
        data = form_data(request, SignOffForm)
        signoff, form = submit_sign_off(golive, _readiness(golive), request.user, data)
        if signoff is None:
            raise refused(form)
        return Response(SignOffSerializer(signoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ReviewSerializer, filters=False)
    @action(detail=True, methods=["get"], permission_classes=[ReadAnyRole], filter_backends=[], pagination_class=None)
    def review(self, request: Request, key: str) -> Response:
        """The post-go-live review: what is still deferred, workarounds still running, failures since the
        go-live date, spec changes since sign-off, and its signatures."""
        refuse_unknown_parameters(request)
        return Response(ReviewSerializer(review_document(load_review(self.get_object()))).data)

    @extend_schema(request=NewReviewSignOffSerializer, responses={201: ReviewSignOffSerializer}, filters=False)
    @action(
        detail=True,
        methods=["post"],
        url_path="review/sign-off",
        url_name="review-sign-off",
        permission_classes=[WriteByRule],
        filter_backends=[],
    )
    def review_sign_off(self, request: Request, key: str) -> Response:
        """The approver or an admin signs the review of a signed-off go-live, with optional notes."""
        refuse_unknown_parameters(request)
        golive = self.get_object()
        data = form_data(request, ReviewSignOffForm)
        signature, form = submit_review_sign_off(golive, load_review(golive), request.user, data)
        if signature is None:
            raise refused(form)
        return Response(ReviewSignOffSerializer(signature).data, status=status.HTTP_201_CREATED)
