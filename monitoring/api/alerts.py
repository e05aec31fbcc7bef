"""/api/v1/flips/ (changes of health state, each with its alerts) and /api/v1/alerts/ (who was told what,
whether it went out), with POST /api/v1/alerts/<id>/acknowledge/ as on the health page: acknowledging one
alert acknowledges every alert of its flip, and escalation stops."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api.filters import StrictFilterBackend, refuse_unknown_parameters
from catalog.choices import HealthState
from catalog.filters import StrictFilterSet
from catalog.models import Integration
from monitoring.api.common import (
    ActOnHealth,
    IntegrationKeyField,
    NoBodySerializer,
    UserField,
    integration_filter,
    read_body,
    yes_no,
)
from monitoring.health import actions
from monitoring.ingest.pending import apply_before_reading
from monitoring.models import Alert, Flip
from monitoring.models.choices import Channel

SENT, FAILED, PENDING = "sent", "failed", "pending"
ALERT_STATUSES = {
    SENT: Q(sent_at__isnull=False),
    FAILED: Q(sent_at=None) & ~Q(error=""),
    PENDING: Q(sent_at=None, error=""),
}


def alert_status(alert: Alert) -> str:
    """sent; failed (not sent, with the error of the last attempt; retried while attempts are left); pending."""
    if alert.sent_at is not None:
        return SENT
    return FAILED if alert.error else PENDING


class FlipFilterSet(StrictFilterSet):
    integration = integration_filter()
    to_state = filters.ChoiceFilter(choices=HealthState.choices)
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = Flip
        fields: list[str] = []


class AlertFilterSet(StrictFilterSet):
    integration = integration_filter(method="by_integration")
    flip = filters.NumberFilter(field_name="flip_id", label="Flip (id)")
    channel = filters.ChoiceFilter(choices=Channel.choices)
    status = filters.ChoiceFilter(
        choices=[(name, name) for name in ALERT_STATUSES], method="by_status", label="sent, failed or pending"
    )
    acknowledged = yes_no(method="by_acknowledged", label="Acknowledged (true/false)")

    class Meta:
        model = Alert
        fields: list[str] = []

    def by_integration(self, queryset: QuerySet[Any], name: str, value: Integration) -> QuerySet[Any]:
        """Its own flips' alerts and the roll-ups covering one of its flips (as the health page lists them)."""
        covering = Alert.covers.through.objects.filter(flip__integration=value).values("alert_id")
        return queryset.filter(Q(flip__integration=value) | Q(pk__in=covering))

    def by_status(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        return queryset.filter(ALERT_STATUSES[value])

    def by_acknowledged(self, queryset: QuerySet[Alert], name: str, value: bool | None) -> QuerySet[Alert]:
        return queryset.filter(acknowledged_at__isnull=not value)


class AlertSummarySerializer(serializers.ModelSerializer[Alert]):
    status = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = ["id", "channel", "recipient", "escalation_level", "status", "sent_at", "acknowledged_at"]

    def get_status(self, alert: Alert) -> str:
        return alert_status(alert)


class AlertSerializer(AlertSummarySerializer):
    integration: serializers.SlugRelatedField[Integration] = serializers.SlugRelatedField(
        source="flip.integration", slug_field="key", read_only=True
    )
    system: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="key", read_only=True, allow_null=True
    )
    acknowledged_by = UserField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "flip",
            "integration",
            "system",
            "channel",
            "recipient",
            "subject",
            "escalation_level",
            "created_at",
            "status",
            "attempts",
            "sent_at",
            "error",
            "acknowledged_at",
            "acknowledged_by",
        ]


class FlipSerializer(serializers.ModelSerializer[Flip]):
    integration = IntegrationKeyField()
    alerts = serializers.SerializerMethodField()

    class Meta:
        model = Flip
        fields = [
            "id",
            "integration",
            "from_state",
            "to_state",
            "at",
            "reason",
            "suppressed_reason",
            "escalation_level",
            "alerts",
        ]

    @extend_schema_field(AlertSummarySerializer(many=True))
    def get_alerts(self, flip: Flip) -> list[dict[str, Any]]:
        """Its own alerts and the roll-ups covering it, newest first."""
        found = {alert.pk: alert for alert in [*flip.alerts.all(), *flip.rollup_alerts.all()]}
        ordered = sorted(found.values(), key=lambda alert: (alert.created_at, alert.pk), reverse=True)
        return list(AlertSummarySerializer(ordered, many=True).data)


ALERTS_ORDER = ("-created_at", "-id")


class FlipViewSet(viewsets.ReadOnlyModelViewSet[Flip]):
    """Changes of every integration's health state, newest first, each with the alerts it raised."""

    serializer_class = FlipSerializer
    filterset_class = FlipFilterSet
    filter_backends = [StrictFilterBackend]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema being built: read nothing
            return Flip.objects.none()
        apply_before_reading()
        alerts = Alert.objects.order_by(*ALERTS_ORDER)
        return (
            Flip.objects.select_related("integration")
            .prefetch_related(Prefetch("alerts", queryset=alerts), Prefetch("rollup_alerts", queryset=alerts))
            .order_by("-at", "-id")
        )


class AlertViewSet(viewsets.ReadOnlyModelViewSet[Alert]):
    """Alerts of every flip, newest first."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    filter_backends = [StrictFilterBackend]
    permission_classes = [ActOnHealth]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema being built: read nothing
            return Alert.objects.none()
        apply_before_reading()
        return Alert.objects.select_related(
            "flip__integration__owner", "flip__integration__backup_owner", "system", "acknowledged_by"
        ).order_by("-created_at", "-id")

    @extend_schema(request=NoBodySerializer, responses=AlertSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def acknowledge(self, request: Request, pk: str) -> Response:
        """Acknowledge the alert, and with it every alert of its flip: it is not escalated further."""
        refuse_unknown_parameters(request)
        read_body(request, NoBodySerializer)
        alert = self.get_object()
        actions.acknowledge_alert(alert, request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=alert.pk)).data)
