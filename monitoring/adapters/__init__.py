"""Health adapters, one module per source kind; each has poll() and discover() (see observations.Adapter).

Adapters only talk HTTP through monitoring.outbound and return plain values; they never touch
the database.
"""

from __future__ import annotations

from monitoring.adapters import boomi, celigo, http, mulesoft, workato
from monitoring.observations import Adapter, PollError

ADAPTERS: dict[str, Adapter] = {
    "http": http,
    "boomi": boomi,
    "workato": workato,
    "celigo": celigo,
    "mulesoft": mulesoft,
}


def get_adapter(kind: str) -> Adapter:
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise PollError(f"no health adapter for kind {kind!r}") from None
