"""/api/v1/workaround-runs/: the stored runs of phase-two workarounds (due, confirmed or missed),
as the integration page's workaround card shows them to every role."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from catalog.api.filters import StrictFilterBackend
from catalog.api.permissions import ReadAnyRole
from catalog.filters import StrictFilterSet
from catalog.models import Integration, WorkaroundRun
from catalog.schedules import ScheduleError, zone


class RunState:
    CONFIRMED = "confirmed"
    DUE = "due"  # not confirmed, its due day not over yet
    MISSED = "missed"  # not confirmed, and its due day (in sync.timezone) has passed

    choices = [(CONFIRMED, "confirmed"), (DUE, "due, not confirmed yet"), (MISSED, "missed")]


def today_starts(names: set[str], now: dt.datetime) -> dict[str, dt.datetime]:
    """The start of today in each named zone, in UTC (an unknown zone is read as UTC)."""
    starts = {}
    for name in names:
        try:
            local = now.astimezone(zone(name))
        except ScheduleError:
            local = now.astimezone(dt.UTC)
        starts[name] = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    return starts


def missed_now(timezones: dict[str, dt.datetime]) -> Q:
    """Unconfirmed runs due before the start of today where their integration keeps its time."""
    before_today = Q(pk__in=[])
    for name, start in timezones.items():
        before_today |= Q(integration__sync_timezone=name, due_at__lt=start)
    return Q(confirmed_at__isnull=True) & before_today


class WorkaroundRunFilterSet(StrictFilterSet):
    integration = filters.ModelChoiceFilter(
        queryset=Integration.objects.all(), to_field_name="key", label="Integration (key)"
    )
    state = filters.ChoiceFilter(choices=RunState.choices, method="by_state")
    since = filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte", label="Due at or after (ISO 8601)")
    until = filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt", label="Due before (ISO 8601)")

    class Meta:
        model = WorkaroundRun
        fields: list[str] = []

    def by_state(self, queryset: QuerySet[WorkaroundRun], name: str, value: str) -> QuerySet[WorkaroundRun]:
        if value == RunState.CONFIRMED:
            return queryset.filter(confirmed_at__isnull=False)
        names = set(Integration.objects.filter(workaround_runs__isnull=False).values_list("sync_timezone", flat=True))
        missed = missed_now(today_starts(names, timezone.now()))
        if value == RunState.MISSED:
            return queryset.filter(missed)
        return queryset.filter(confirmed_at__isnull=True).exclude(missed)


class WorkaroundRunSerializer(serializers.ModelSerializer[WorkaroundRun]):
    integration: serializers.SlugRelatedField[Integration] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    state = serializers.SerializerMethodField()
    missed = serializers.SerializerMethodField(help_text="Not confirmed, and its due day has passed.")
    confirmed_by = serializers.CharField(read_only=True, help_text="Email; empty for a ping or when not confirmed.")

    class Meta:
        model = WorkaroundRun
        fields = [
            "id",
            "integration",
            "due_at",
            "state",
            "missed",
            "reminder_sent_at",
            "confirmed_at",
            "confirmed_by",
            "confirmed_via",
            "hours",
            "note",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=RunState.choices))
    def get_state(self, run: WorkaroundRun) -> str:
        if run.confirmed_at is not None:
            return RunState.CONFIRMED
        start = today_starts({run.integration.sync_timezone}, self.context["now"])[run.integration.sync_timezone]
        return RunState.MISSED if run.due_at < start else RunState.DUE

    @extend_schema_field(serializers.BooleanField())
    def get_missed(self, run: WorkaroundRun) -> bool:
        return self.get_state(run) == RunState.MISSED


class WorkaroundRunViewSet(viewsets.ReadOnlyModelViewSet[WorkaroundRun]):
    """Runs of manual workarounds, latest due first: a row exists once a run was reminded of or confirmed."""

    serializer_class = WorkaroundRunSerializer
    filterset_class = WorkaroundRunFilterSet
    filter_backends = [StrictFilterBackend]
    permission_classes = [ReadAnyRole]

    def get_queryset(self) -> QuerySet[WorkaroundRun]:
        return WorkaroundRun.objects.select_related("integration").order_by("-due_at", "integration__key")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}
