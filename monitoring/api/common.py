"""What the monitoring API's endpoints share: who may act, how a JSON body is read, how a list is made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters as filters
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from catalog.api.permissions import ReadAnyRole
from catalog.models import Integration
from catalog.ownership import can_edit
from plumbline import storable

TRUE_FALSE = [("true", "true"), ("false", "false")]


def yes_no(**kwargs: Any) -> filters.TypedChoiceFilter:
    """A true/false filter: anything else is a 400 naming it."""
    return filters.TypedChoiceFilter(choices=TRUE_FALSE, coerce=lambda value: value == "true", **kwargs)


def integration_filter(**kwargs: Any) -> filters.ModelChoiceFilter:
    """An integration by key; an unknown key is a 400 naming the parameter."""
    return filters.ModelChoiceFilter(
        queryset=Integration.objects.all(), to_field_name="key", label="Integration (key)", **kwargs
    )


class UserField(serializers.SlugRelatedField[Any]):
    """A person who acted, by email (null: nobody, or the platform)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="email", read_only=True, allow_null=True, **kwargs)


class IntegrationKeyField(serializers.SlugRelatedField[Integration]):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="key", read_only=True, **kwargs)


class ActOnHealth(ReadAnyRole):
    """Owners and admins send; the action decides whose records they may act on (the integration's owner,
    backup owner, or an admin), as the health page does. Read-only tokens never write."""

    def may_write(self, user: Any) -> bool:
        return can_edit(user)

    def may_write_object(self, user: Any, obj: Any) -> bool:
        return True  # the shared action checks the integration (monitoring.health.actions.require_can_act)


class NoBodySerializer(serializers.Serializer):
    """No fields: an empty object, or no body at all."""


def read_body(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    """The JSON body checked by `serializer_class`: an object of its fields only, else a 400 naming the rest."""
    data = request.data
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
    known = serializer_class().fields
    unknown = sorted(str(name) for name in data if name not in known)
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise ValidationError({name: [f"unknown field (known: {listed})"] for name in unknown})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def ids_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=storable.INT64_MAX),
        allow_empty=False,
        max_length=500,
        help_text="Ids of the integration's open failed records (at most 500).",
    )
