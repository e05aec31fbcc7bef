"""/api/v1/resyncs/: re-sync requests, tracked until resolved, and POST …/<id>/resolve/ as on the health page."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api.filters import StrictFilterBackend, refuse_unknown_parameters
from catalog.filters import StrictFilterSet
from monitoring.api.common import (
    ActOnHealth,
    IntegrationKeyField,
    NoBodySerializer,
    UserField,
    integration_filter,
    read_body,
)
from monitoring.health import actions
from monitoring.ingest.pending import apply_before_reading
from monitoring.models import FailedRecord, ResyncRequest
from monitoring.models.choices import ResyncMethod, ResyncStatus


class ResyncFilterSet(StrictFilterSet):
    integration = integration_filter()
    status = filters.ChoiceFilter(choices=ResyncStatus.choices)
    method = filters.ChoiceFilter(choices=ResyncMethod.choices)

    class Meta:
        model = ResyncRequest
        fields: list[str] = []


class ResyncSerializer(serializers.ModelSerializer[ResyncRequest]):
    integration = IntegrationKeyField()
    requested_by = UserField()
    resolved_by = UserField()
    failed_records: serializers.PrimaryKeyRelatedField[FailedRecord] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = ResyncRequest
        fields = [
            "id",
            "integration",
            "method",
            "status",
            "requested_at",
            "requested_by",
            "resolved_at",
            "resolved_by",
            "note",
            "claimed_at",
            "sent_at",
            "platform_ref",
            "error",
            "failed_records",
        ]


def resync_queryset() -> QuerySet[ResyncRequest]:
    """Re-sync requests with what the serializer shows, in a fixed number of queries."""
    return ResyncRequest.objects.select_related(
        "integration", "integration__owner", "integration__backup_owner", "requested_by", "resolved_by"
    ).prefetch_related(Prefetch("failed_records", queryset=FailedRecord.objects.only("pk").order_by("position")))


class ResyncViewSet(viewsets.ReadOnlyModelViewSet[ResyncRequest]):
    """Re-sync requests of every integration, newest first, with the ids of the failed records each carries."""

    serializer_class = ResyncSerializer
    filterset_class = ResyncFilterSet
    filter_backends = [StrictFilterBackend]
    permission_classes = [ActOnHealth]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema being built: read nothing
            return ResyncRequest.objects.none()
        apply_before_reading()
        return resync_queryset().order_by("-requested_at", "-id")

    @extend_schema(request=NoBodySerializer, responses=ResyncSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def resolve(self, request: Request, pk: str) -> Response:
        """The re-sync is done: it and the failed records it carried are resolved (already resolved: unchanged)."""
        refuse_unknown_parameters(request)
        read_body(request, NoBodySerializer)
        resync = self.get_object()
        actions.resolve_resync(resync, request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=resync.pk)).data)
