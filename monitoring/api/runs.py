"""/api/v1/runs/: observed runs, newest first, filtered strictly like every API list."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from catalog.api.filters import StrictFilterBackend
from catalog.api.permissions import ReadAnyRole
from catalog.filters import StrictFilterSet
from catalog.models import Integration
from monitoring.ingest.pending import apply_before_reading
from monitoring.models import Run
from monitoring.models.choices import RunStatus


class RunFilterSet(StrictFilterSet):
    integration = filters.ModelChoiceFilter(
        queryset=Integration.objects.all(), to_field_name="key", label="Integration (key)"
    )
    status = filters.ChoiceFilter(choices=RunStatus.choices)
    since = filters.IsoDateTimeFilter(field_name="run_at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="run_at", lookup_expr="lt")
    source_kind = filters.CharFilter()
    # Test executions (Boomi test_manual) are not runs of the integration: listed only when asked for.
    test = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        method="filter_test",
        label="Test executions (true: only those; default: none)",
    )

    class Meta:
        model = Run
        fields: list[str] = []

    def filter_test(self, queryset: QuerySet[Run], name: str, value: bool | None) -> QuerySet[Run]:
        return queryset.filter(test=bool(value))

    def filter_queryset(self, queryset: QuerySet[Run]) -> QuerySet[Run]:
        if self.form.cleaned_data.get("test") in (None, ""):
            queryset = queryset.filter(test=False)
        return super().filter_queryset(queryset)


class RunSerializer(serializers.ModelSerializer[Run]):
    integration: serializers.SlugRelatedField[Integration] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    id = serializers.CharField(source="external_id", read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "integration",
            "source_kind",
            "status",
            "started_at",
            "finished_at",
            "run_at",
            "records_in",
            "records_out",
            "records_failed",
            "message",
            "test",
        ]


class RunViewSet(viewsets.ReadOnlyModelViewSet[Run]):
    """Runs of every integration as monitoring recorded them (upserted by the run's own id)."""

    serializer_class = RunSerializer
    filterset_class = RunFilterSet
    filter_backends = [StrictFilterBackend]
    permission_classes = [ReadAnyRole]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema being built: read nothing
            return Run.objects.none()
        apply_before_reading()
        return Run.objects.select_related("integration").order_by("-run_at", "-id")
