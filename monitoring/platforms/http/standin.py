"""An integration's own status URL, as DESIGN.md's HTTP pull shape.

The stand-in for tests and benchmarks: see monitoring/platforms/standin.py."""

from __future__ import annotations

from typing import Any

from monitoring.platforms.standin import Answer, StandIn


class StatusPage(StandIn):
    """An integration's own status URL at /status (DESIGN.md's HTTP pull shape); no auth."""

    def __init__(self, body: Any = None) -> None:
        super().__init__()
        self.body: Any = body if body is not None else {"runs": [], "failed_records": []}
        self.route("GET", "/status", lambda request, match: Answer(200, self.body))
