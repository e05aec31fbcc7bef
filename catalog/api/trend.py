"""/api/v1/trend/: the daily estate snapshots as JSON, oldest first (the dashboard's trend lines
in numbers). Any role may read; parameters are strict: an unknown one or a bad value is a 400."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import generics, serializers

from catalog.api.filters import StrictFilterBackend
from catalog.api.permissions import ReadAnyRole
from catalog.filters import StrictFilterSet
from catalog.models import EstateSnapshot
from catalog.trend.chart import WINDOW_DAYS
from catalog.trend.reading import window
from catalog.trend.snapshot import FIGURES

# Two years: as far back as snapshots are kept by default (PLUMBLINE_TREND_DAYS).
MAX_DAYS = 730


class WholeDaysFilter(django_filters.Filter):
    field_class = forms.IntegerField


class TrendFilterSet(StrictFilterSet):
    # Not paged: at most MAX_DAYS rows, so paging parameters are unknown here too.
    extra_parameters: ClassVar[frozenset[str]] = frozenset({"format"})

    days = WholeDaysFilter(
        method="keep",
        min_value=1,
        max_value=MAX_DAYS,
        label=f"The last N days, today included (default {WINDOW_DAYS}, at most {MAX_DAYS}).",
    )
    since = django_filters.DateFilter(
        field_name="taken_on", lookup_expr="gte", label="Only snapshots taken on or after this date (YYYY-MM-DD)."
    )

    class Meta:
        model = EstateSnapshot
        fields: list[str] = []

    def keep(self, queryset: QuerySet[EstateSnapshot], name: str, value: int) -> QuerySet[EstateSnapshot]:
        return queryset  # the window is cut in filter_queryset, where the default applies too

    def filter_queryset(self, queryset: QuerySet[EstateSnapshot]) -> QuerySet[EstateSnapshot]:
        days = self.form.cleaned_data.get("days") or WINDOW_DAYS
        today = timezone.localdate()
        return super().filter_queryset(queryset) & window(today, days)


class SnapshotSerializer(serializers.ModelSerializer[EstateSnapshot]):
    breakdown = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="findings_by_code, findings_by_severity, health (monitored integrations by state), lifecycle.",
    )

    class Meta:
        model = EstateSnapshot
        fields = ["taken_on", "taken_at", *FIGURES, "breakdown"]
        extra_kwargs = {"completeness_average": {"help_text": "The average completeness score, 0 to 1."}}


class TrendView(generics.ListAPIView[EstateSnapshot]):
    """The estate's daily snapshots, oldest first: the last 90 days unless `days` (at most 730) or `since` say."""

    serializer_class = SnapshotSerializer
    filterset_class = TrendFilterSet
    filter_backends = [StrictFilterBackend]
    permission_classes = [ReadAnyRole]
    pagination_class = None

    def get_queryset(self) -> QuerySet[Any]:
        return EstateSnapshot.objects.order_by("taken_on")
