"""The one filterset for stored findings, shared by the findings page and the API. Strict like
every filterset here (catalog.filters.StrictFilterSet): an unknown parameter is an error (400)."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.http import QueryDict

from catalog.filters import COMMON_PARAMETERS, StrictFilterSet
from catalog.models import Integration, Person, StoredFinding, System
from catalog.models.findings import FindingCode, Severity, SubjectType

WAIVED_CHOICES = [("yes", "Waived"), ("no", "Counted (not waived)")]


class StoredFindingFilterSet(StrictFilterSet):
    """Expects a queryset annotated by catalog.rules.store.with_waivers (for `waived`)."""

    extra_parameters: ClassVar[frozenset[str]] = COMMON_PARAMETERS | {"group"}

    code = django_filters.MultipleChoiceFilter(choices=FindingCode.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    subject_type = django_filters.ChoiceFilter(choices=SubjectType.choices)
    subject = django_filters.CharFilter(field_name="subject_key", lookup_expr="icontains")
    owner = django_filters.ModelChoiceFilter(queryset=Person.objects.all(), to_field_name="email")
    waived = django_filters.ChoiceFilter(choices=WAIVED_CHOICES, method="filter_waived")
    system = django_filters.ModelChoiceFilter(
        queryset=System.objects.all(), to_field_name="key", method="filter_system", label="System"
    )

    class Meta:
        model = StoredFinding
        fields = ["code", "severity", "subject_type", "subject", "owner", "waived", "system"]

    def filter_system(self, queryset: QuerySet[StoredFinding], name: str, value: System) -> QuerySet[StoredFinding]:
        """Findings about the system itself and about every integration into or out of it."""
        touching = Integration.objects.filter(Q(source=value) | Q(target=value)).values("key")
        return queryset.filter(
            Q(subject_type=SubjectType.SYSTEM, subject_key=value.key)
            | Q(subject_type=SubjectType.INTEGRATION, subject_key__in=touching)
        )

    def filter_waived(self, queryset: QuerySet[StoredFinding], name: str, value: str) -> QuerySet[StoredFinding]:
        # `waived` is an annotation (store.with_waivers), which the type checker cannot see.
        return queryset.filter(Q(waived=(value == "yes")))


def without_blanks(params: QueryDict) -> QueryDict:
    """The parameters minus empty values: a form's "any" option sends `code=`, which filters nothing."""
    kept = QueryDict(mutable=True)
    for name in params:
        values = [value for value in params.getlist(name) if value != ""]
        if values:
            kept.setlist(name, values)
    return kept


def parameter_errors(params: QueryDict, filterset: StoredFindingFilterSet) -> list[str]:
    """Every unknown parameter and every bad value, each naming the parameter and what was given."""
    if filterset.is_valid():
        return []
    errors = []
    for name, messages in filterset.errors.items():
        given = ", ".join(repr(v) for v in params.getlist(name))
        errors += [f"{name}={given}: {message}" for message in messages]
    return errors
