"""/api/v1/changes/: the change log across every document, newest first, as JSON pages or as one
streamed CSV (?format=csv or Accept: text/csv) of the same filtered set, one row per changed field."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import audit
from catalog.api.filters import StrictFilterBackend
from catalog.api.pagination import Pagination
from catalog.api.permissions import ReadAnyRole
from catalog.api.serializers import ChangeRecordSerializer
from catalog.filters import StrictFilterSet
from catalog.models import ChangeRecord


class ChangeFilterSet(StrictFilterSet):
    kind = filters.CharFilter(lookup_expr="iexact", label="Document kind (Integration, System, GoLive, ...)")
    key = filters.CharFilter(label="Document key (exact)")
    user = filters.CharFilter(field_name="actor__email", lookup_expr="iexact", label="Who changed it (email)")
    via = filters.ChoiceFilter(choices=ChangeRecord.Via.choices)
    action = filters.ChoiceFilter(choices=ChangeRecord.Action.choices)
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", label="At or after (ISO 8601)")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt", label="Before (ISO 8601)")

    class Meta:
        model = ChangeRecord
        fields: list[str] = []


class ChangeLogSerializer(ChangeRecordSerializer):
    """One change of any document: the history item plus its id."""

    class Meta(ChangeRecordSerializer.Meta):
        fields = ["id", *ChangeRecordSerializer.Meta.fields]


class CsvRenderer(BaseRenderer):
    """Chosen by ?format=csv or Accept: text/csv; the view streams the file itself (ChangeViewSet.list)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        raise NotImplementedError("the CSV is streamed by the view")


CSV_DESCRIPTION = (
    "With ?format=csv or Accept: text/csv: the same filtered set as one CSV file (not paginated), "
    "one row per changed field (a change of no field has one row with field, before and after empty): "
    + ",".join(audit.CHANGE_HEADER)
    + ". Lists and groups are JSON; a cell that starts with = + - @, a tab or a carriage return is "
    "prefixed with an apostrophe so a spreadsheet does not run it."
)


@extend_schema_view(
    list=extend_schema(
        description="Every change record of every document, newest first, filtered and paginated; an "
        "unknown filter or a bad value is a 400 naming it. " + CSV_DESCRIPTION,
        responses={
            (200, "application/json"): ChangeLogSerializer(many=True),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description=CSV_DESCRIPTION,
                examples=[
                    OpenApiExample(
                        "A changed interval",
                        value=",".join(audit.CHANGE_HEADER) + "\r\n2026-10-01T09:00:00+00:00,ana@example.com,"
                        "api,Integration,invoices,update,sync.interval_minutes,15,30,\r\n",
                        media_type="text/csv",
                    )
                ],
            ),
        },
    ),
    retrieve=extend_schema(description="One change record.", responses={200: ChangeLogSerializer}),
)
class ChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[ChangeRecord]):
    """The change log: who changed which document, when, through what, before and after."""

    serializer_class = ChangeLogSerializer
    filterset_class = ChangeFilterSet
    filter_backends = [StrictFilterBackend]
    permission_classes = [ReadAnyRole]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CsvRenderer]

    def get_queryset(self) -> QuerySet[ChangeRecord]:
        return audit.change_log()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if isinstance(request.accepted_renderer, CsvRenderer):
            if isinstance(self.paginator, Pagination):  # the file is not paged; a bad page_size is still a 400
                self.paginator.get_page_size(request)
            records = self.filter_queryset(self.get_queryset())
            return audit.streamed_csv("changes.csv", audit.CHANGE_HEADER, audit.change_rows(records))
        return super().list(request, *args, **kwargs)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Errors (a bad filter asked for as CSV) are answered in JSON, as the schema documents.
        if isinstance(response, Response) and isinstance(getattr(request, "accepted_renderer", None), CsvRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
