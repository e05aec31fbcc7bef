"""The filter backend of every API list: the strict filtersets of catalog.filters, so an
unknown parameter or a bad value is a 400 naming the parameter, as on the list pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from catalog.filters import COMMON_PARAMETERS


class StrictFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            refuse_unknown_parameters(request)
            return queryset
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.qs


def refuse_unknown_parameters(request: Request, known: frozenset[str] = COMMON_PARAMETERS) -> None:
    """For lists without a filterset: any parameter but paging/format is an error."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ValidationError({name: ["unknown parameter (this list has no filters)"] for name in unknown})
