"""One filterset per model, serving the list pages and the API alike.

Strict by design: a query parameter that is not a filter (nor paging/ordering/format) is an
error, never "return everything", and a bad value is an error naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import django_filters as filters
from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog import choices
from catalog.completeness import PARTS
from catalog.models import Calendar, DataObject, GoLive, Integration, Person, PlatformAccount, System, ValueMap
from plumbline import storable

# Parameters every list understands besides its filters.
COMMON_PARAMETERS = frozenset({"page", "page_size", "ordering", "format", "csrfmiddlewaretoken"})
_MAX_DIGITS = len(str(storable.INT64_MAX))


def whole_number(raw: str) -> int | None:
    """A page or page size: a whole number of 1 or more in ASCII digits, within 64 bits; else
    None. ("²" and "٣" are digits to str.isdigit(), and int() refuses the first.)"""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_DIGITS:
        return None
    number = int(raw)
    return number if 1 <= number <= storable.INT64_MAX else None


class StorableValuesForm(forms.Form):
    """A value that parses but that the database cannot compare (a time at +20:00, one that
    leaves year 9999 in UTC, an integer beyond 64 bits) is an error naming its parameter."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        for name, value in list(cleaned.items()):
            values = [value.start, value.stop] if isinstance(value, slice) else value
            for item in values if isinstance(values, list | tuple) else [values]:
                if found := storable.problem(item):
                    self.add_error(name, found)
                    break
        return cleaned


class StrictFilterSet(filters.FilterSet):
    """Unknown parameters are form errors, so pages and the API answer 400 naming them; so are
    values the database could not compare (StorableValuesForm)."""

    extra_parameters: ClassVar[frozenset[str]] = COMMON_PARAMETERS

    def get_form_class(self) -> type[forms.Form]:
        form_class: type[forms.Form] = super().get_form_class()
        return type(form_class.__name__, (StorableValuesForm, form_class), {})

    def unknown_parameters(self) -> list[str]:
        if self.data is None:
            return []
        return sorted(set(self.data.keys()) - set(self.filters) - self.extra_parameters)

    def is_valid(self) -> bool:
        return super().is_valid() and not self.unknown_parameters()

    @property
    def errors(self) -> dict[str, list[str]]:
        """Messages by parameter name, unknown parameters included."""
        found = {name: [str(m) for m in messages] for name, messages in self.form.errors.items()}
        known = ", ".join(sorted(self.filters))
        for name in self.unknown_parameters():
            found[name] = [f"unknown filter (known: {known})"]
        return found

    def error_text(self) -> str:
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())


# What Django's NullBooleanSelect sends for "neither yes nor no".
NEITHER = "unknown"


class _StrictBooleanSelect(forms.NullBooleanSelect):
    """Passes a value it does not recognise on to the field, instead of reading it as "any"."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        raw = data.get(name)
        return raw if value is None and raw not in (None, "", NEITHER) else value


class _StrictBooleanField(forms.NullBooleanField):
    widget = _StrictBooleanSelect

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]  # the stubs miss None
        result = super().to_python(value)
        if result is None and value not in (None, "", NEITHER):
            raise forms.ValidationError("Enter true or false.", code="invalid")
        return result


class StrictBooleanFilter(filters.BooleanFilter):
    """A boolean filter for which `?complete=maybe` is an error, not "no filter"."""

    field_class = _StrictBooleanField


class StrictOrderingFilter(filters.OrderingFilter):
    """`?ordering=,` reads as no ordering given, not as "no order at all": empty items are
    dropped, so the model's default order (and stable pages) holds."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        return super().filter(qs, [item for item in value or [] if item])


def _person(name: str, label: str) -> filters.ModelChoiceFilter:
    return filters.ModelChoiceFilter(
        field_name=name,
        queryset=Person.objects.all(),
        to_field_name="email",
        label=label,
        widget=forms.TextInput,
    )


def _system(name: str, label: str) -> filters.ModelChoiceFilter:
    return filters.ModelChoiceFilter(
        field_name=name,
        queryset=System.objects.all(),
        to_field_name="key",
        label=label,
        widget=forms.TextInput,
    )


class IntegrationFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", label="Search")
    owner = _person("owner", "Owner (email)")
    backup_owner = _person("backup_owner", "Backup owner (email)")
    source = _system("source", "Source system")
    target = _system("target", "Target system")
    system = filters.ModelChoiceFilter(
        method="either_side",
        queryset=System.objects.all(),
        to_field_name="key",
        label="System (either side)",
        widget=forms.TextInput,
    )
    connector_type = filters.ChoiceFilter(choices=choices.ConnectorType.choices, label="Connector type")
    platform = filters.ChoiceFilter(
        field_name="connector_platform", choices=choices.CONNECTOR_PLATFORM_CHOICES, label="Platform"
    )
    lifecycle = filters.ChoiceFilter(choices=choices.Lifecycle.choices)
    phase = filters.ChoiceFilter(choices=choices.Phase.choices)
    health_kind = filters.ChoiceFilter(choices=choices.HEALTH_KIND_CHOICES, label="Health source")
    complete = StrictBooleanFilter(method="by_complete", label="Spec complete")
    missing = filters.ChoiceFilter(
        method="by_missing", choices=[(p, p.replace("_", " ")) for p in PARTS], label="Missing part"
    )
    reviewed_before = filters.DateFilter(field_name="reviewed_at", lookup_expr="lt", label="Reviewed before")
    reviewed_after = filters.DateFilter(field_name="reviewed_at", lookup_expr="gt", label="Reviewed after")
    ordering = StrictOrderingFilter(
        fields=(
            ("key", "key"),
            ("name", "name"),
            ("source__key", "source"),
            ("target__key", "target"),
            ("lifecycle", "lifecycle"),
            ("phase", "phase"),
            ("connector_type", "connector_type"),
            ("owner__email", "owner"),
            ("completeness_score", "completeness"),
            ("reviewed_at", "reviewed_at"),
        )
    )

    class Meta:
        model = Integration
        fields: list[str] = []

    def search(self, queryset: QuerySet[Integration], name: str, value: str) -> QuerySet[Integration]:
        return queryset.filter(Q(name__icontains=value) | Q(key__icontains=value) | Q(description__icontains=value))

    def either_side(self, queryset: QuerySet[Integration], name: str, value: System) -> QuerySet[Integration]:
        return queryset.filter(Q(source=value) | Q(target=value))

    def by_complete(self, queryset: QuerySet[Integration], name: str, value: bool) -> QuerySet[Integration]:
        return queryset.filter(completeness_missing="") if value else queryset.exclude(completeness_missing="")

    def by_missing(self, queryset: QuerySet[Integration], name: str, value: str) -> QuerySet[Integration]:
        return queryset.filter(completeness_missing__contains=f",{value},")


class SystemFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", label="Search")
    category = filters.ChoiceFilter(choices=choices.Category.choices)
    owner = _person("owner", "Owner (email)")
    ordering = StrictOrderingFilter(fields=(("key", "key"), ("name", "name"), ("category", "category")))

    class Meta:
        model = System
        fields: list[str] = []

    def search(self, queryset: QuerySet[System], name: str, value: str) -> QuerySet[System]:
        return queryset.filter(Q(name__icontains=value) | Q(key__icontains=value) | Q(vendor__icontains=value))


class DataObjectFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", label="Search")
    master = _system("master", "Master (system key)")
    owner = _person("owner", "Owner (email)")
    has_master = StrictBooleanFilter(field_name="master", lookup_expr="isnull", exclude=True, label="Has a master")
    sequence_sensitive = StrictBooleanFilter()
    ordering = StrictOrderingFilter(fields=(("key", "key"), ("name", "name")))

    class Meta:
        model = DataObject
        fields: list[str] = []

    def search(self, queryset: QuerySet[DataObject], name: str, value: str) -> QuerySet[DataObject]:
        return queryset.filter(Q(name__icontains=value) | Q(key__icontains=value))


class PersonFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", label="Search")
    team = filters.CharFilter(lookup_expr="iexact")
    active = StrictBooleanFilter()
    manager = _person("manager", "Manager (email)")
    ordering = StrictOrderingFilter(fields=(("email", "email"), ("name", "name"), ("team", "team")))

    class Meta:
        model = Person
        fields: list[str] = []

    def search(self, queryset: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value) | Q(team__icontains=value))


class CalendarFilterSet(StrictFilterSet):
    ordering = StrictOrderingFilter(fields=(("key", "key"), ("name", "name")))

    class Meta:
        model = Calendar
        fields: list[str] = []


class ValueMapFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", label="Search")
    owner = _person("owner", "Owner (email)")
    stale = StrictBooleanFilter(method="by_stale", label="Stale (review due)")
    ordering = StrictOrderingFilter(fields=(("key", "key"), ("name", "name"), ("reviewed_at", "reviewed_at")))

    class Meta:
        model = ValueMap
        fields: list[str] = []

    def search(self, queryset: QuerySet[ValueMap], name: str, value: str) -> QuerySet[ValueMap]:
        return queryset.filter(Q(name__icontains=value) | Q(key__icontains=value))

    def by_stale(self, queryset: QuerySet[ValueMap], name: str, value: bool) -> QuerySet[ValueMap]:
        # The STALE_SPEC rule's boundary (value_map_stale): older than PLUMBLINE_REVIEW_DAYS days.
        due = Q(reviewed_at=None) | Q(
            reviewed_at__lt=timezone.localdate() - dt.timedelta(days=settings.PLUMBLINE_REVIEW_DAYS)
        )
        return queryset.filter(due) if value else queryset.exclude(due)


class PlatformAccountFilterSet(StrictFilterSet):
    platform = filters.ChoiceFilter(choices=choices.ACCOUNT_PLATFORM_CHOICES)
    ordering = StrictOrderingFilter(fields=(("key", "key"), ("platform", "platform")))

    class Meta:
        model = PlatformAccount
        fields: list[str] = []


class GoLiveFilterSet(StrictFilterSet):
    approver = _person("approver", "Approver (email)")
    date_before = filters.DateFilter(field_name="date", lookup_expr="lt")
    date_after = filters.DateFilter(field_name="date", lookup_expr="gt")
    integration = filters.ModelChoiceFilter(
        field_name="integrations",
        queryset=Integration.objects.all(),
        to_field_name="key",
        widget=forms.TextInput,
    )
    ordering = StrictOrderingFilter(fields=(("key", "key"), ("date", "date")))

    class Meta:
        model = GoLive
        fields: list[str] = []
