"""/api/v1/observed-connections/: what platform discovery found running, or heartbeats pinged, with whether a
spec describes it (the rule of the observed connections page: monitoring.health.readers.undocumented)."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Exists, OuterRef, QuerySet
from rest_framework import serializers, viewsets

from catalog.api.filters import StrictFilterBackend
from catalog.filters import StrictFilterSet
from catalog.models import PlatformAccount
from monitoring.api.common import yes_no
from monitoring.health.readers import undocumented
from monitoring.models import ObservedConnection

DISCOVERED, HEARTBEAT = "discovered", "heartbeat"


class ObservedConnectionFilterSet(StrictFilterSet):
    account = filters.ModelChoiceFilter(
        queryset=PlatformAccount.objects.all(), to_field_name="key", label="Platform account (key)"
    )
    documented = yes_no(method="by_documented", label="A spec describes it (true) or none does (false)")
    kind = filters.ChoiceFilter(
        choices=[(DISCOVERED, DISCOVERED), (HEARTBEAT, HEARTBEAT)],
        method="by_kind",
        label="discovered (on a platform account) or heartbeat (pinged to an unknown slug)",
    )

    class Meta:
        model = ObservedConnection
        fields: list[str] = []

    def by_documented(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.filter(documented=value)

    def by_kind(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(account__isnull=value == HEARTBEAT)


class ObservedConnectionSerializer(serializers.ModelSerializer[ObservedConnection]):
    account: serializers.SlugRelatedField[PlatformAccount] = serializers.SlugRelatedField(
        slug_field="key", read_only=True, allow_null=True
    )
    kind = serializers.SerializerMethodField()
    documented = serializers.BooleanField(read_only=True, help_text="A spec describes it.")

    class Meta:
        model = ObservedConnection
        fields = ["id", "kind", "account", "ref", "name", "first_seen_at", "last_seen_at", "ping_count", "documented"]

    def get_kind(self, connection: ObservedConnection) -> str:
        return HEARTBEAT if connection.account_id is None else DISCOVERED


class ObservedConnectionViewSet(viewsets.ReadOnlyModelViewSet[ObservedConnection]):
    """Connections seen running, by account, name and ref; documented false is the page's list."""

    serializer_class = ObservedConnectionSerializer
    filterset_class = ObservedConnectionFilterSet
    filter_backends = [StrictFilterBackend]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema being built: read nothing
            return ObservedConnection.objects.none()
        described = ~Exists(undocumented().filter(pk=OuterRef("pk")))
        return (
            ObservedConnection.objects.select_related("account")
            .annotate(documented=described)
            .order_by("account__key", "name", "ref", "id")
        )
