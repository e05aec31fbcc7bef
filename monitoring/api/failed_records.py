"""/api/v1/failed-records/: records runs could not move, and the health page's actions on them.

Per record: POST /api/v1/failed-records/<id>/acknowledge/, …/resolve/ ({"note": "…"} optional) and
…/resync/. In bulk, for one integration: POST /api/v1/failed-records/acknowledge/ (resolve/, resync/)
with {"integration": "<key>", "ids": [1, 2]}. Only open (unresolved) records are acted on; an id that is
not one of the integration's open records is a 400 naming it, and nothing changes."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api.filters import StrictFilterBackend, refuse_unknown_parameters
from catalog.filters import StrictFilterSet
from catalog.models import Integration
from monitoring.api.common import (
    ActOnHealth,
    IntegrationKeyField,
    NoBodySerializer,
    UserField,
    ids_field,
    integration_filter,
    read_body,
)
from monitoring.api.resyncs import ResyncSerializer, resync_queryset
from monitoring.health import actions
from monitoring.ingest.pending import apply_before_reading
from monitoring.models import FailedRecord

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
STATES = {
    OPEN: Q(resolved_at=None, acknowledged_at=None),
    ACKNOWLEDGED: Q(resolved_at=None, acknowledged_at__isnull=False),
    RESOLVED: Q(resolved_at__isnull=False),
}


def state_of(record: FailedRecord) -> str:
    if record.resolved_at is not None:
        return RESOLVED
    return ACKNOWLEDGED if record.acknowledged_at is not None else OPEN


class FailedRecordFilterSet(StrictFilterSet):
    integration = integration_filter()
    state = filters.ChoiceFilter(
        choices=[(name, name) for name in STATES],
        method="by_state",
        label="open (neither acknowledged nor resolved), acknowledged (not yet resolved) or resolved",
    )
    since = filters.IsoDateTimeFilter(field_name="recorded_at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="recorded_at", lookup_expr="lt")
    run = filters.CharFilter(field_name="run__external_id", label="Run (its id, as /api/v1/runs/ gives it)")
    resync = filters.NumberFilter(field_name="resync_requests", label="Re-sync request (id)")

    class Meta:
        model = FailedRecord
        fields: list[str] = []

    def by_state(self, queryset: QuerySet[FailedRecord], name: str, value: str) -> QuerySet[FailedRecord]:
        return queryset.filter(STATES[value])


class FailedRecordSerializer(serializers.ModelSerializer[FailedRecord]):
    integration = IntegrationKeyField()
    run: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="external_id", read_only=True, allow_null=True
    )
    state = serializers.SerializerMethodField()
    acknowledged_by = UserField()
    resolved_by = UserField()
    resyncs: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        source="resync_requests", many=True, read_only=True
    )

    class Meta:
        model = FailedRecord
        fields = [
            "id",
            "integration",
            "run",
            "position",
            "key",
            "error",
            "occurred_at",
            "external_id",
            "recorded_at",
            "state",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "resolution",
            "replay_requested_at",
            "resyncs",
        ]

    def get_state(self, record: FailedRecord) -> str:
        return state_of(record)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=actions.NOTE_LENGTH, help_text="How it was resolved."
    )


class SelectionSerializer(serializers.Serializer):
    integration = serializers.CharField(max_length=100, help_text="The integration's key.")
    ids = ids_field()


class ResolveSelectionSerializer(SelectionSerializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=actions.NOTE_LENGTH, help_text="How they were resolved."
    )


class ChangedSerializer(serializers.Serializer):
    integration = serializers.CharField()
    ids = serializers.ListField(child=serializers.IntegerField())
    changed = serializers.IntegerField(help_text="How many changed (those acknowledged already are not counted).")


def _integration(key: str) -> Integration:
    integration = Integration.objects.select_related("owner", "backup_owner").filter(key=key).first()
    if integration is None:
        raise ValidationError({"integration": ["no integration with this key"]})
    return integration


def _check_open(records: QuerySet[FailedRecord], ids: list[int], integration: Integration) -> None:
    missing = sorted(set(ids) - set(records.values_list("pk", flat=True)))
    if missing:
        listed = ", ".join(str(pk) for pk in missing)
        raise ValidationError({"ids": [f"not open failed records of {integration.key}: {listed}"]})


class FailedRecordViewSet(viewsets.ReadOnlyModelViewSet[FailedRecord]):
    """Failed records of every integration, newest first, with what was done about them."""

    serializer_class = FailedRecordSerializer
    filterset_class = FailedRecordFilterSet
    filter_backends = [StrictFilterBackend]
    permission_classes = [ActOnHealth]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema being built: read nothing
            return FailedRecord.objects.none()
        apply_before_reading()
        return (
            FailedRecord.objects.select_related(
                "integration",
                "run",
                "acknowledged_by",
                "resolved_by",
                "integration__owner",
                "integration__backup_owner",
            )
            .prefetch_related("resync_requests")
            .order_by("-recorded_at", "-position", "-id")
        )

    def _open_record(self, request: Request) -> FailedRecord:
        """The record the URL names, if the user may act on its integration and it is still open."""
        record = self.get_object()
        actions.require_can_act(request.user, record.integration)
        if record.resolved_at is not None:
            raise ValidationError({"id": [f"failed record {record.pk} is resolved: only open records are acted on"]})
        return record

    def _act(self, request: Request, record: FailedRecord, record_action: str, note: str = "") -> Any:
        records = actions.open_records(record.integration, [record.pk])
        return actions.act_on_records(record.integration, records, record_action, request.user, note)[1]

    def _reread(self, record: FailedRecord) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=record.pk)).data)

    @extend_schema(request=NoBodySerializer, responses=FailedRecordSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def acknowledge(self, request: Request, pk: str) -> Response:
        """Acknowledge an open failed record: seen and being dealt with (it stays open)."""
        refuse_unknown_parameters(request)
        record = self._open_record(request)
        read_body(request, NoBodySerializer)
        self._act(request, record, "acknowledge")
        return self._reread(record)

    @extend_schema(request=NoteSerializer, responses=FailedRecordSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def resolve(self, request: Request, pk: str) -> Response:
        """Resolve an open failed record, with an optional note; the open count on its health is recounted."""
        refuse_unknown_parameters(request)
        record = self._open_record(request)
        self._act(request, record, "resolve", read_body(request, NoteSerializer).get("note", ""))
        return self._reread(record)

    @extend_schema(request=NoBodySerializer, responses={201: ResyncSerializer}, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def resync(self, request: Request, pk: str) -> Response:
        """Request a re-sync of an open failed record: replayed by a worker when the spec says replay-in-order,
        else a manual request tracked until resolved."""
        refuse_unknown_parameters(request)
        record = self._open_record(request)
        read_body(request, NoBodySerializer)
        resync = self._act(request, record, "resync")
        return Response(ResyncSerializer(resync_queryset().get(pk=resync.pk)).data, status=status.HTTP_201_CREATED)

    def _many(self, request: Request, record_action: str, body: type[serializers.Serializer]) -> Response:
        refuse_unknown_parameters(request)
        data = read_body(request, body)
        integration, ids = _integration(data["integration"]), data["ids"]
        actions.require_can_act(request.user, integration)
        records = actions.open_records(integration, ids)
        _check_open(records, ids, integration)
        changed, resync = actions.act_on_records(
            integration, records, record_action, request.user, data.get("note", "")
        )
        if resync is not None:
            return Response(ResyncSerializer(resync_queryset().get(pk=resync.pk)).data, status=status.HTTP_201_CREATED)
        document = {"integration": integration.key, "ids": sorted(set(ids)), "changed": changed}
        return Response(ChangedSerializer(document).data)

    @extend_schema(
        request=SelectionSerializer,
        responses=ChangedSerializer,
        filters=False,
        operation_id="failed_records_acknowledge_many",
    )
    @action(detail=False, methods=["post"], url_path="acknowledge", url_name="acknowledge-many", filter_backends=[])
    def acknowledge_many(self, request: Request) -> Response:
        """Acknowledge open failed records of one integration by id (each must be one, else a 400 naming it)."""
        return self._many(request, "acknowledge", SelectionSerializer)

    @extend_schema(
        request=ResolveSelectionSerializer,
        responses=ChangedSerializer,
        filters=False,
        operation_id="failed_records_resolve_many",
    )
    @action(detail=False, methods=["post"], url_path="resolve", url_name="resolve-many", filter_backends=[])
    def resolve_many(self, request: Request) -> Response:
        """Resolve open failed records of one integration by id, with an optional note; its open count is recounted."""
        return self._many(request, "resolve", ResolveSelectionSerializer)

    @extend_schema(
        request=SelectionSerializer,
        responses={201: ResyncSerializer},
        filters=False,
        operation_id="failed_records_resync_many",
    )
    @action(detail=False, methods=["post"], url_path="resync", url_name="resync-many", filter_backends=[])
    def resync_many(self, request: Request) -> Response:
        """Request one re-sync of open failed records of one integration by id (replayed in their original order)."""
        return self._many(request, "resync", SelectionSerializer)
