from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from catalog.filters import whole_number


class Pagination(PageNumberPagination):
    """`page` (a number, or `last`) and `page_size` (default 50, larger than 500 reads as
    500). A value that is not a number is a 400 naming it, as with filters; a page past the
    last is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if not raw:
            return self.page_size
        number = whole_number(raw)
        if number is None:
            raise ValidationError({self.page_size_query_param: ["must be a whole number of 1 or more"]})
        return min(number, self.max_page_size)

    def get_page_number(self, request: Request, paginator: Paginator[Any]) -> int:
        raw = request.query_params.get(self.page_query_param, "")
        if not raw:
            return 1
        if raw in self.last_page_strings:
            return paginator.num_pages
        number = whole_number(raw)
        if number is None:
            raise ValidationError({self.page_query_param: ["must be a whole number of 1 or more, or last"]})
        return number

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Results per page: {self.page_size} by default, at most {self.max_page_size}."
                )
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = "A page number (1 is the first); past the last page is a 404."
        return parameters

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        # DRF always sends all four keys; next and previous are null at the ends.
        paginated["required"] = ["count", "next", "previous", "results"]
        paginated["properties"]["count"]["minimum"] = 0
        return paginated
