"""A run-history API of no vendor in particular, for the json adapter's tests and benchmarks.

The stand-in for tests: see monitoring/platforms/standin.py. It serves GET <path> with the runs newest first,
`page_size` a page, in the shape its arguments choose (by default {"data": [...], "next": <url or null>},
the shape of Airbyte's GET /v1/jobs), and refuses a wrong bearer token with 401."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from monitoring.platforms.standin import REFUSED, Answer, Recorded, StandIn, bearer_ok


def airbyte_page(runs: list[dict[str, Any]], next_url: str | None) -> Any:
    """Airbyte's JobsResponse: {"data": [...], "next": ..., "previous": ...}."""
    return {"data": runs, "next": next_url}


class JsonRunsStandIn(StandIn):
    def __init__(
        self,
        *,
        runs: list[dict[str, Any]],
        token: str | None = None,
        path: str = "/v1/jobs",
        page_size: int = 2,
        shape: Callable[[list[dict[str, Any]], str | None], Any] = airbyte_page,
        next_base: str | None = None,
    ) -> None:
        super().__init__()
        self.runs = runs  # newest first, as the API lists them
        self.token = token  # None: no credential asked for (a url-only source)
        self.page_size = page_size
        self.shape = shape
        self.next_base = next_base  # another origin for next links, to test that they are refused
        self.route("GET", re.escape(path), self._list)

    def _list(self, request: Recorded, match: re.Match[str]) -> Answer:
        if self.token is not None and not bearer_ok(request, self.token):
            return REFUSED
        offset = int(request.query.get("offset", 0))
        page = self.runs[offset : offset + self.page_size]
        next_url = None
        if offset + self.page_size < len(self.runs):
            query = urlencode({**request.query, "offset": offset + self.page_size})
            next_url = f"{self.next_base or self.base_url}{request.path}?{query}"
        return Answer(200, self.shape(page, next_url))
