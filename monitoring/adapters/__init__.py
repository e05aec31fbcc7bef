"""Health adapters, one module per source kind; each has poll() and discover() (see observations.Adapter),
and those whose platform can send failed records again also have replay() (observations.Replayer).

Adapters only talk HTTP through monitoring.outbound and return plain values; they never touch
the database.
"""

from __future__ import annotations

from monitoring.adapters import boomi, celigo, http, mulesoft, workato
from monitoring.observations import Adapter, PollError, Replayer

ADAPTERS: dict[str, Adapter] = {
    "http": http,
    "boomi": boomi,
    "workato": workato,
    "celigo": celigo,
    "mulesoft": mulesoft,
}

# Celigo retries flow errors, Workato repeats jobs; the rest say why a re-sync stays manual.
REPLAYERS: dict[str, Replayer] = {"celigo": celigo, "workato": workato}
NO_REPLAY: dict[str, str] = {
    "heartbeat": "a heartbeat integration reports to Plumbline, which cannot ask it to send records again",
    "http": http.NO_REPLAY,
    "boomi": boomi.NO_REPLAY,
    "mulesoft": mulesoft.NO_REPLAY,
}


def get_adapter(kind: str) -> Adapter:
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise PollError(f"no health adapter for kind {kind!r}") from None


def get_replayer(kind: str) -> Replayer | None:
    """The adapter that can replay failed records for this kind, or None (see no_replay_reason)."""
    return REPLAYERS.get(kind)


def no_replay_reason(kind: str) -> str:
    return NO_REPLAY.get(kind, f"health kind {kind!r} has no replay API")
