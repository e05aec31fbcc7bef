"""/api/v1/findings/: stored findings (the shape of `manage.py findings --format json`, plus
owner, first-seen time and waiver), filtered by the same filterset as the findings page."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers, viewsets

from catalog.api.filters import StrictFilterBackend
from catalog.api.permissions import ReadAnyRole
from catalog.models import Person, StoredFinding
from catalog.models.findings import finding_title
from catalog.rules.filters import StoredFindingFilterSet
from catalog.rules.store import ordered, with_waivers


class FindingSerializer(serializers.ModelSerializer[StoredFinding]):
    subject_key = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField(help_text="What the code means in plain words.")
    owner: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(
        slug_field="email",
        read_only=True,
        allow_null=True,
        help_text="Null for estate findings and ownerless subjects.",
    )
    waived = serializers.BooleanField(read_only=True)
    waiver_reason = serializers.CharField(read_only=True, allow_null=True)
    waiver_expires_on = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = StoredFinding
        fields = [
            "code",
            "title",
            "severity",
            "subject_type",
            "subject_key",
            "message",
            "remedy",
            "owner",
            "first_seen_at",
            "waived",
            "waiver_reason",
            "waiver_expires_on",
        ]

    def get_title(self, finding: StoredFinding) -> str:
        return finding_title(finding.code)

    def get_subject_key(self, finding: StoredFinding) -> str | None:
        # Estate findings have no subject key: null, as in the CLI's JSON.
        return finding.subject_key or None


class FindingViewSet(viewsets.ReadOnlyModelViewSet[StoredFinding]):
    """Open findings as of the last refresh (after every import and edit, and nightly)."""

    serializer_class = FindingSerializer
    filterset_class = StoredFindingFilterSet
    filter_backends = [StrictFilterBackend]
    permission_classes = [ReadAnyRole]

    def get_queryset(self) -> QuerySet[Any]:
        queryset = with_waivers(StoredFinding.objects.select_related("owner"), timezone.localdate())
        return ordered(queryset)
