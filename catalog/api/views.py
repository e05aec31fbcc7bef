"""API viewsets: one generic spec-document viewset, a few lines per kind."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from catalog import filters
from catalog.api.filters import StrictFilterBackend, refuse_unknown_parameters
from catalog.api.golives import GoLiveRecordActions
from catalog.api.permissions import WriteAdmin, WriteOwned
from catalog.api.serializers import (
    CalendarSerializer,
    ChangeRecordSerializer,
    DataObjectSerializer,
    GoLiveSerializer,
    IntegrationSerializer,
    PersonSerializer,
    PlatformAccountSerializer,
    SpecSerializer,
    SystemSerializer,
    ValueMapSerializer,
)
from catalog.models import ChangeRecord
from catalog.ownership import owns_document
from catalog.reminders.review import confirm_review
from catalog.spec import edits, provenance
from catalog.value_maps import confirm_review as confirm_value_map_review


class InUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "It is still referenced; change or delete what references it first."
    default_code = "in_use"


WRITE_NOTE = "Validated exactly like an import; errors are a 400 keyed by field path (sync.interval_minutes)."


@extend_schema_view(
    list=extend_schema(description="The documents, filtered and paginated; an unknown filter is a 400."),
    retrieve=extend_schema(description="One document."),
    create=extend_schema(description="Create a document from a spec document in JSON. " + WRITE_NOTE),
    update=extend_schema(description="Replace the document; fields left out go back to defaults. " + WRITE_NOTE),
    partial_update=extend_schema(
        description="Merge into the document: groups merge one level deep, null removes a field. " + WRITE_NOTE
    ),
    destroy=extend_schema(description="Delete the document; 409 while others still reference it."),
)
class SpecViewSet(viewsets.ModelViewSet):
    """Spec documents of one kind: list, read, create, replace, merge, delete, history."""

    serializer_class: type[SpecSerializer]
    lookup_field = "key"
    lookup_url_kwarg = "key"
    lookup_value_regex = "[^/]+"
    filter_backends = [StrictFilterBackend]
    permission_classes = [WriteAdmin]

    def get_queryset(self) -> QuerySet[Any]:
        return self.serializer_class.read_queryset()

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        clean = serializer.validated_data["clean"]
        if not owns_document(self.request.user, clean.kind.name, clean.values):
            raise PermissionDenied(f"You may only create a {clean.kind.label} that names you as its owner.")
        serializer.save()

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        self._refuse_if_read_only(serializer.instance)
        serializer.save()

    def _refuse_if_read_only(self, instance: Any) -> None:
        kind = self.serializer_class.kind
        if reason := provenance.read_only_reason(kind.name, getattr(instance, kind.key_attr)):
            raise PermissionDenied(reason)

    def perform_destroy(self, instance: Any) -> None:
        self._refuse_if_read_only(instance)
        before = edits.document_of(instance)
        try:
            with transaction.atomic():
                instance.delete()
                edits.record_deletion(instance, before, actor=self.request.user, via=ChangeRecord.Via.API)
        except ProtectedError as error:
            referrers = sorted({str(obj) for obj in error.protected_objects})[:10]
            raise InUse(f"It is still referenced by: {', '.join(referrers)}.") from None

    @extend_schema(responses=ChangeRecordSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, key: str) -> Response:
        """The change history of this document, newest first, with the changed fields."""
        refuse_unknown_parameters(request)
        kind = self.serializer_class.kind
        records = ChangeRecord.objects.filter(kind=kind.name, key=key).select_related("actor")
        if not records.exists() and not self.get_queryset().filter(**{kind.key_attr: key}).exists():
            raise Http404
        page = self.paginate_queryset(records)
        serializer = ChangeRecordSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


class PersonViewSet(SpecViewSet):
    serializer_class = PersonSerializer
    filterset_class = filters.PersonFilterSet
    lookup_field = "email"


class SystemViewSet(SpecViewSet):
    serializer_class = SystemSerializer
    filterset_class = filters.SystemFilterSet
    permission_classes = [WriteOwned]


class CalendarViewSet(SpecViewSet):
    serializer_class = CalendarSerializer
    filterset_class = filters.CalendarFilterSet


class DataObjectViewSet(SpecViewSet):
    serializer_class = DataObjectSerializer
    filterset_class = filters.DataObjectFilterSet
    permission_classes = [WriteOwned]  # as systems: admins, and owners for the objects they own


class PlatformAccountViewSet(SpecViewSet):
    serializer_class = PlatformAccountSerializer
    filterset_class = filters.PlatformAccountFilterSet


class ValueMapViewSet(SpecViewSet):
    """Admins write value maps, as on the pages; the owner (or an admin) marks one reviewed."""

    serializer_class = ValueMapSerializer
    filterset_class = filters.ValueMapFilterSet

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        # The list leaves rows out (ValueMapSerializer): not read at all.
        return queryset.defer("rows") if self.action == "list" else queryset

    @extend_schema(request=None, responses=ValueMapSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[], permission_classes=[WriteOwned])
    def reviewed(self, request: Request, key: str) -> Response:
        """The owner or an admin confirms the rows are still accurate: reviewed_at becomes today,
        recorded in the history (as the page's button does)."""
        refuse_unknown_parameters(request)
        value_map = self.get_object()  # WriteOwned: the same can_edit rule as the page
        confirm_value_map_review(value_map, request.user, via=ChangeRecord.Via.API)
        return Response(self.get_serializer(self.get_queryset().get(pk=value_map.pk)).data)


class IntegrationViewSet(SpecViewSet):
    serializer_class = IntegrationSerializer
    filterset_class = filters.IntegrationFilterSet
    permission_classes = [WriteOwned]

    @extend_schema(request=None, responses=IntegrationSerializer, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reviewed(self, request: Request, key: str) -> Response:
        """The owner, backup owner or an admin confirms the spec is still accurate: reviewed_at becomes
        today, recorded in the history (as the reminder's link and the page's button do)."""
        refuse_unknown_parameters(request)
        integration = self.get_object()  # WriteOwned: the same can_edit rule as the page
        confirm_review(integration, request.user, via=ChangeRecord.Via.API)
        return Response(self.get_serializer(self.get_queryset().get(pk=integration.pk)).data)


class GoLiveViewSet(GoLiveRecordActions, SpecViewSet):
    serializer_class = GoLiveSerializer
    filterset_class = filters.GoLiveFilterSet
