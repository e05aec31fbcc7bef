"""What catalog pages and rules may know about observed health, without importing monitoring.

monitoring depends on catalog, never the reverse: at start-up monitoring registers readers
here, and catalog code asks through `read_health()` / `read_observed_connections()`. With no
reader registered (monitoring not installed) every integration reads as no data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from catalog.choices import HealthKind

# ObservedConnection.source of a heartbeat to a slug no integration has (else a platform account key).
HEARTBEAT_SOURCE = HealthKind.HEARTBEAT.value
# What pages and the graph show for an integration with no health source (health kind none).
UNMONITORED = "unmonitored"


@dataclass(frozen=True)
class HealthFacts:
    """Monitoring's denormalised current state of one integration."""

    kind: str
    state: str  # a HealthState value
    last_success_at: dt.datetime | None = None
    observed_median_minutes: float | None = None
    observed_p95_minutes: float | None = None
    open_failed_records: int = 0
    oldest_open_failed_record_at: dt.datetime | None = None
    state_changed_at: dt.datetime | None = None


@dataclass(frozen=True)
class ObservedConnection:
    """A running process/recipe/flow or heartbeat that no spec describes."""

    source: str  # "celigo-prod" (platform account key) or HEARTBEAT_SOURCE
    ref: str  # the platform's id for it
    name: str
    first_seen_at: dt.datetime | None = None


@dataclass(frozen=True)
class HealthReason:
    """Why one integration is in its health state, for its page: the latest flip's reason, what
    the platform says about it, and whether Plumbline could ask at all."""

    flip_reason: str = ""
    flipped_at: dt.datetime | None = None
    platform_stopped: str = ""  # the platform reports the process stopped, with its words
    last_poll_error: str = ""  # the last poll failed (a vendor outage, a 429): not the integration's fault
    last_polled_at: dt.datetime | None = None
    last_run_at: dt.datetime | None = None
    paused: bool = False


HealthReader = Callable[[Sequence[int]], dict[int, HealthFacts]]
ReasonReader = Callable[[int], HealthReason | None]
ObservedReader = Callable[[], list[ObservedConnection]]
PathOf = Callable[[str], str]

_health_reader: HealthReader | None = None
_reason_reader: ReasonReader | None = None
_observed_reader: ObservedReader | None = None
_ping_path: PathOf | None = None
_health_page_path: PathOf | None = None


def register_health_reader(reader: HealthReader) -> None:
    global _health_reader
    _health_reader = reader


def register_reason_reader(reader: ReasonReader) -> None:
    global _reason_reader
    _reason_reader = reader


def register_observed_reader(reader: ObservedReader) -> None:
    global _observed_reader
    _observed_reader = reader


def register_pages(*, ping: PathOf, health_page: PathOf) -> None:
    """Monitoring's URLs catalog links to: a heartbeat's ping URL by ping uuid, and an
    integration's health page by key (catalog never spells another app's URLs itself)."""
    global _ping_path, _health_page_path
    _ping_path, _health_page_path = ping, health_page


def ping_path(ping_uuid: str) -> str | None:
    """The path a heartbeat integration pings (None when monitoring is not installed)."""
    return _ping_path(ping_uuid) if _ping_path else None


def health_page_path(key: str) -> str | None:
    """The path of an integration's health page (None when monitoring is not installed)."""
    return _health_page_path(key) if _health_page_path else None


def read_health(integration_ids: Sequence[int]) -> dict[int, HealthFacts]:
    """Current health by integration id (ids with no health source are left out); one query."""
    return _health_reader(integration_ids) if _health_reader else {}


def read_health_reason(integration_id: int) -> HealthReason | None:
    """Why one integration is in its state (None: no health source, or monitoring not installed); one query."""
    return _reason_reader(integration_id) if _reason_reader else None


def read_observed_connections() -> list[ObservedConnection]:
    return _observed_reader() if _observed_reader else []
