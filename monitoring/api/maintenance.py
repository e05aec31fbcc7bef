"""/api/v1/maintenance-windows/: systems' planned outages as planned in the app (a spec's own windows are
in its System document). POST plans one and DELETE cancels one that is not over, with the page's rules
(monitoring/alerting/maintenance_plans.py): the system's owner or an admin; the page's form checks the
window (one-off: starts_at and ends_at; recurring: repeats, days or rrule, duration_minutes), every time
given as the wall time in `timezone`, without an offset."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.api.filters import StrictFilterBackend, refuse_unknown_parameters
from catalog.api.golives import refused
from catalog.api.permissions import ReadAnyRole
from catalog.filters import StrictFilterSet
from catalog.models import ChangeRecord, System
from catalog.ownership import can_edit
from monitoring.alerting import maintenance_plans as plans
from monitoring.alerting.maintenance import app_window
from monitoring.api.common import read_body, yes_no
from monitoring.models import MaintenanceWindow
from plumbline.recurrence import DAY_NAMES


def span_now(row: MaintenanceWindow, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
    """The occurrence of the window under way now, else its next one; None once it is over."""
    return plans.next_span(app_window(row, row.system), now)


class MaintenanceWindowFilterSet(StrictFilterSet):
    system = filters.ModelChoiceFilter(queryset=System.objects.all(), to_field_name="key", label="System (key)")
    active = yes_no(method="by_timing", label="Open now (true) or not (false)")
    upcoming = yes_no(method="by_timing", label="Not open now but opening later (true) or not (false)")

    class Meta:
        model = MaintenanceWindow
        fields: list[str] = []

    def by_timing(self, queryset: QuerySet[MaintenanceWindow], name: str, value: bool) -> QuerySet[Any]:
        """Occurrences are worked out in Python (a recurrence is no query): the windows not over are read once."""
        now = timezone.now()
        matching = []
        for row in plans.cancellable().select_related("system"):
            span = span_now(row, now)
            opens_now = span is not None and span[0] <= now
            matches = opens_now if name == "active" else (span is not None and not opens_now)
            if matches:
                matching.append(row.pk)
        return queryset.filter(pk__in=matching) if value else queryset.exclude(pk__in=matching)


class MaintenanceWindowSerializer(serializers.ModelSerializer[MaintenanceWindow]):
    system: serializers.SlugRelatedField[System] = serializers.SlugRelatedField(slug_field="key", read_only=True)
    recurring = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField(help_text="Open now: flips of integrations touching it raise no alerts.")
    next_starts_at = serializers.SerializerMethodField(help_text="The occurrence under way, else the next; null: over.")
    next_ends_at = serializers.SerializerMethodField()

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "system",
            "starts_at",
            "ends_at",
            "reason",
            "rrule",
            "timezone",
            "duration_minutes",
            "recurring",
            "active",
            "next_starts_at",
            "next_ends_at",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._spans: dict[int, tuple[dt.datetime, dt.datetime] | None] = {}

    def _span(self, row: MaintenanceWindow) -> tuple[dt.datetime, dt.datetime] | None:
        """Worked out once per window (a recurrence is walked to find it), for the three fields that show it."""
        if row.pk not in self._spans:
            self._spans[row.pk] = span_now(row, self.context.get("now") or timezone.now())
        return self._spans[row.pk]

    def get_recurring(self, row: MaintenanceWindow) -> bool:
        return bool(row.rrule)

    def get_active(self, row: MaintenanceWindow) -> bool:
        span = self._span(row)
        return span is not None and span[0] <= (self.context.get("now") or timezone.now())

    def get_next_starts_at(self, row: MaintenanceWindow) -> dt.datetime | None:
        span = self._span(row)
        return span[0] if span else None

    def get_next_ends_at(self, row: MaintenanceWindow) -> dt.datetime | None:
        span = self._span(row)
        return span[1] if span else None


WALL_TIME = "The wall time in `timezone`, without an offset, e.g. 2026-12-05T22:00."


class NewMaintenanceWindowSerializer(serializers.Serializer):
    """The page's form, as JSON: the form checks the values; this only reads their JSON types."""

    system = serializers.CharField(help_text="The system's key.")
    starts_at = serializers.CharField(help_text=WALL_TIME + " For a recurring window, the first occurrence.")
    ends_at = serializers.CharField(required=False, allow_blank=True, help_text=WALL_TIME + " A one-off window only.")
    repeats = serializers.ChoiceField(choices=[value for value, _ in plans.REPEATS], required=False, allow_blank=True)
    days = serializers.ListField(
        child=serializers.ChoiceField(choices=list(DAY_NAMES)), required=False, help_text="Weekly windows only."
    )
    rrule = serializers.CharField(required=False, allow_blank=True, help_text="With repeats: rule (RFC 5545).")
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2_000_000_000, help_text="A recurring window only."
    )
    timezone = serializers.CharField(required=False, allow_blank=True, help_text="IANA name; default the server's.")
    reason = serializers.CharField(required=False, allow_blank=True)


def _form_data(data: dict[str, Any]) -> dict[str, Any]:
    """The body as the page's form reads it; a time with an offset is refused (it would be read as another)."""
    for name in ("starts_at", "ends_at"):
        parsed = parse_datetime(data.get(name) or "") if isinstance(data.get(name), str) else None
        if parsed is not None and parsed.tzinfo is not None:
            raise ValidationError({name: ["give the wall time in `timezone`, without an offset"]})
    return {name: value for name, value in data.items() if name != "system" and value is not None}


class PlanMaintenance(ReadAnyRole):
    """Owners and admins send; whose systems they may plan for is the page's rule (plans.may_plan)."""

    def may_write(self, user: Any) -> bool:
        return can_edit(user)

    def may_write_object(self, user: Any, obj: Any) -> bool:
        return plans.may_plan(user, obj.system)


class MaintenanceWindowViewSet(
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet[MaintenanceWindow],
):
    """Maintenance windows planned in the app, the latest start first, each saying whether it is open now."""

    serializer_class = MaintenanceWindowSerializer
    filterset_class = MaintenanceWindowFilterSet
    filter_backends = [StrictFilterBackend]
    permission_classes = [PlanMaintenance]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema being built: read nothing
            return MaintenanceWindow.objects.none()
        if self.action == "destroy":
            return plans.cancellable().select_related("system__owner")  # one that is over is not found
        return MaintenanceWindow.objects.select_related("system").order_by("-starts_at", "-id")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(request=NewMaintenanceWindowSerializer, responses={201: MaintenanceWindowSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Plan a window for a system: the system's owner or an admin, with the maintenance page's checks."""
        refuse_unknown_parameters(request)
        data = read_body(request, NewMaintenanceWindowSerializer)
        system = System.objects.select_related("owner").filter(key=data["system"]).first()
        if system is None:
            raise ValidationError({"system": ["no system with this key"]})
        window, form = plans.plan_window(system, request.user, _form_data(data), ChangeRecord.Via.API)
        if window is None:
            raise refused(form)
        return Response(self.get_serializer(window).data, status=status.HTTP_201_CREATED)

    @extend_schema(filters=False)
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Cancel a window that is not over: alerts are sent again; the change history keeps what it was."""
        refuse_unknown_parameters(request)
        plans.cancel_window(self.get_object(), request.user, ChangeRecord.Via.API)
        return Response(status=status.HTTP_204_NO_CONTENT)
