"""/api/v1/reminders/: the stale-spec digests the /reminders/ page lists, by the same rule: admins
read every digest, everyone else the digests sent to them."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from catalog.api.filters import StrictFilterBackend
from catalog.api.permissions import ReadAnyRole
from catalog.filters import StrictBooleanFilter, StrictFilterSet
from catalog.models import Person, Reminder
from catalog.ownership import visible_reminders


class ReminderFilterSet(StrictFilterSet):
    person = filters.CharFilter(field_name="person__email", lookup_expr="iexact", label="Sent to (email)")
    sent = StrictBooleanFilter(field_name="sent_at", lookup_expr="isnull", exclude=True, label="Sent (true/false)")
    answered = StrictBooleanFilter(
        field_name="answered_at", lookup_expr="isnull", exclude=True, label="Answered (true/false)"
    )
    since = filters.DateFilter(field_name="period_start", lookup_expr="gte", label="Period starting on or after")
    until = filters.DateFilter(field_name="period_start", lookup_expr="lt", label="Period starting before")

    class Meta:
        model = Reminder
        fields: list[str] = []


class ReminderFindingSerializer(serializers.Serializer):
    code = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()


class ReminderItemSerializer(serializers.Serializer):
    """A document the digest listed, with the open findings it listed for it."""

    kind = serializers.CharField(help_text="Integration or ValueMap.")
    key = serializers.CharField()
    name = serializers.CharField()
    stale = serializers.BooleanField()
    findings = ReminderFindingSerializer(many=True)


class ReminderSerializer(serializers.ModelSerializer[Reminder]):
    person: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(slug_field="email", read_only=True)
    items = serializers.SerializerMethodField(help_text="What the digest listed.")

    class Meta:
        model = Reminder
        fields = [
            "id",
            "person",
            "period_start",
            "claimed_at",
            "sent_at",
            "cc",
            "stale_count",
            "finding_count",
            "items",
            "answered_at",
        ]

    @extend_schema_field(ReminderItemSerializer(many=True))
    def get_items(self, reminder: Reminder) -> list[dict[str, Any]]:
        # Digests store integrations without a kind (value maps came later).
        return [
            {
                "kind": item.get("kind", "Integration"),
                "key": item.get("key", ""),
                "name": item.get("name", ""),
                "stale": bool(item.get("stale")),
                "findings": [
                    {name: str(finding.get(name, "")) for name in ("code", "severity", "message")}
                    for finding in item.get("findings", [])
                ],
            }
            for item in reminder.items
        ]


class ReminderViewSet(viewsets.ReadOnlyModelViewSet[Reminder]):
    """Stale-spec digests, newest period first (sent_at null: claimed, still sending)."""

    serializer_class = ReminderSerializer
    filterset_class = ReminderFilterSet
    filter_backends = [StrictFilterBackend]
    permission_classes = [ReadAnyRole]

    def get_queryset(self) -> QuerySet[Reminder]:
        reminders = Reminder.objects.select_related("person").order_by("-period_start", "person__email", "id")
        return visible_reminders(self.request.user, reminders)
