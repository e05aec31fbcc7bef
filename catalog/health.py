"""What catalog pages and rules may know about observed health, without importing monitoring.

monitoring depends on catalog, never the reverse: at start-up monitoring registers readers
here, and catalog code asks through `read_health()` / `read_observed_connections()`. With no
reader registered (monitoring not installed) every integration reads as no data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, IntegerField, QuerySet, Value
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from catalog.choices import HealthKind, HealthState

# ObservedConnection.source of a heartbeat to a slug no integration has (else a platform account key).
HEARTBEAT_SOURCE = HealthKind.HEARTBEAT.value
# What pages and the graph show for an integration with no health source (health kind none).
UNMONITORED = "unmonitored"
# Health states as an auditor reads them, worst first: the health board and the integration list
# sort this way. Paused comes last, as nobody expects it to run; integrations with no health
# source (UNMONITORED) after all of them.
WORST_FIRST: tuple[HealthState, ...] = (
    HealthState.DOWN,
    HealthState.FAILING,
    HealthState.LATE,
    HealthState.UNKNOWN,
    HealthState.UP,
    HealthState.PAUSED,
)
# The health_rank of an integration with no health source.
UNMONITORED_RANK = len(WORST_FIRST)
# The name of the estate-wide health board's URL (DESIGN.md "Pages": /health/), a page monitoring serves.
HEALTH_BOARD = "health-board"


@dataclass(frozen=True)
class RunCounts:
    """The counts of an integration's latest finished run, for the reconciliation findings
    (RECORDS_DROPPED, RECONCILIATION_GAP); a count the run did not report is None."""

    external_id: str
    run_at: dt.datetime
    records_in: int | None = None
    records_out: int | None = None
    records_failed: int | None = None
    source_count: int | None = None
    target_count: int | None = None
    period_start: dt.datetime | None = None
    period_end: dt.datetime | None = None


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
    last_run: RunCounts | None = None


@dataclass(frozen=True)
class FailuresSince:
    """What went wrong with one integration since a moment (a go-live): failed runs, flips to down
    or failing, and failed records recorded since then that are still open."""

    failed_runs: int = 0
    flips_down: int = 0
    open_failed_records: int = 0

    @property
    def any(self) -> bool:
        return bool(self.failed_runs or self.flips_down or self.open_failed_records)


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


@dataclass(frozen=True)
class HealthTotals:
    """The estate's health in counts, for the daily snapshot: integrations by state, and the
    failed records still open across the estate."""

    by_state: dict[str, int]
    open_failed_records: int = 0


@dataclass(frozen=True)
class FlipFact:
    """One change of an integration's health state, for the weekly email."""

    integration_key: str
    integration_name: str
    from_state: str
    to_state: str
    at: dt.datetime


HealthReader = Callable[[Sequence[int]], dict[int, HealthFacts]]
TotalsReader = Callable[[], HealthTotals]
FlipsReader = Callable[[dt.datetime, dt.datetime], list[FlipFact]]
ReasonReader = Callable[[int], HealthReason | None]
ObservedReader = Callable[[], list[ObservedConnection]]
FailuresReader = Callable[[Sequence[int], dt.datetime], dict[int, FailuresSince]]
PathOf = Callable[[str], str]
# Integrations (a queryset) annotated with health_state and health_rank, in the same query.
HealthAnnotator = Callable[[QuerySet[Any]], QuerySet[Any]]

_health_reader: HealthReader | None = None
_reason_reader: ReasonReader | None = None
_observed_reader: ObservedReader | None = None
_failures_reader: FailuresReader | None = None
_ping_path: PathOf | None = None
_health_page_path: PathOf | None = None
_health_annotator: HealthAnnotator | None = None
_totals_reader: TotalsReader | None = None
_flips_reader: FlipsReader | None = None


def register_health_reader(reader: HealthReader) -> None:
    global _health_reader
    _health_reader = reader


def register_reason_reader(reader: ReasonReader) -> None:
    global _reason_reader
    _reason_reader = reader


def register_observed_reader(reader: ObservedReader) -> None:
    global _observed_reader
    _observed_reader = reader


def register_failures_reader(reader: FailuresReader) -> None:
    global _failures_reader
    _failures_reader = reader


def register_pages(*, ping: PathOf, health_page: PathOf) -> None:
    """Monitoring's URLs catalog links to: a heartbeat's ping URL by ping uuid, and an
    integration's health page by key (catalog never spells another app's URLs itself)."""
    global _ping_path, _health_page_path
    _ping_path, _health_page_path = ping, health_page


def register_trend_readers(*, totals: TotalsReader, flips: FlipsReader) -> None:
    """What the estate's trend reads of health: the totals of a snapshot and a week's flips."""
    global _totals_reader, _flips_reader
    _totals_reader, _flips_reader = totals, flips


def register_health_annotator(annotate: HealthAnnotator) -> None:
    global _health_annotator
    _health_annotator = annotate


def with_health(integrations: QuerySet[Any]) -> QuerySet[Any]:
    """Integrations annotated with `health_state` (None: no health source) and `health_rank`
    (the state's place in WORST_FIRST; UNMONITORED_RANK without a source), so lists filter and
    sort by health in the database. With monitoring not installed every row reads as no data."""
    if _health_annotator:
        return _health_annotator(integrations)
    return integrations.annotate(
        health_state=Value(None, output_field=CharField()),
        health_rank=Value(UNMONITORED_RANK, output_field=IntegerField()),
    )


def health_board_path(**query: str) -> str | None:
    """The health board filtered by `query` (state, owner, lifecycle, ...); None when monitoring,
    which serves it, is not installed."""
    try:
        path = reverse(HEALTH_BOARD)
    except NoReverseMatch:
        return None
    return f"{path}?{urlencode(query)}" if query else path


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


def read_failures_since(integration_ids: Sequence[int], since: dt.datetime) -> dict[int, FailuresSince]:
    """Failures since `since` by integration id (ids with none are left out); a fixed number of
    queries, however many integrations."""
    return _failures_reader(integration_ids, since) if _failures_reader and integration_ids else {}


def read_health_totals() -> HealthTotals:
    """Integrations by health state and the open failed records, counted in the database (one
    grouped query whatever the estate's size); nothing with monitoring not installed."""
    return _totals_reader() if _totals_reader else HealthTotals(by_state={})


def read_flips(since: dt.datetime, until: dt.datetime) -> list[FlipFact]:
    """Every flip at or after `since` and before `until`, oldest first; one query."""
    return _flips_reader(since, until) if _flips_reader else []
