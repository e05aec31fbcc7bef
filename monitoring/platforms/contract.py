"""What a health pull sees, as plain values: adapters produce these, monitoring stores them.

Adapters (monitoring/platforms/<kind>/adapter.py) talk to the outside world and return a PollResult;
they never touch the database. Persisting (upsert by external id), state evaluation, flips
and alerts live elsewhere so every adapter gets them the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import httpx

from plumbline.storable import INT64_MAX

RunStatus = Literal["success", "failed", "running"]
# The largest record count a run stores (a signed 64-bit column on every database).
MAX_COUNT = INT64_MAX


@dataclass(frozen=True)
class RunObservation:
    external_id: str  # the platform's own run/execution/job id; runs are upserted by it
    status: RunStatus  # "failed" also covers "completed with errors" (COMPLETE_WARN, numError>0)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    records_in: int | None = None
    records_out: int | None = None
    records_failed: int | None = None
    message: str = ""
    # Reconciliation (http and json status documents): what the source and the target system each
    # counted for a period; period_start/period_end unset: the run's own time.
    source_count: int | None = None
    target_count: int | None = None
    period_start: dt.datetime | None = None
    period_end: dt.datetime | None = None
    # A test execution (Boomi test_manual): stored and shown apart, never a run of the integration for
    # its health (last run, last success, observed interval, state).
    test: bool = False


@dataclass(frozen=True)
class FailedRecordObservation:
    key: str
    error: str
    occurred_at: dt.datetime | None = None
    run_external_id: str | None = None
    external_id: str | None = None  # the platform's id of the error, where it has one (for retry)


@dataclass(frozen=True)
class ResolvedObservation:
    """Failed records the platform itself has closed: the one with this error id (external_id), or every
    open one of a run (run_external_id), e.g. a Boomi retry that succeeded for its originalExecutionId."""

    external_id: str = ""  # as FailedRecordObservation.external_id
    run_external_id: str = ""
    how: str = ""  # shown with the record, e.g. "resolved on Celigo" or "retried by execution-42"


@dataclass(frozen=True)
class PollTarget:
    """Everything an adapter needs for one integration's health source."""

    kind: str  # http | boomi | workato | celigo | mulesoft
    ref: str = ""  # Boomi processId | Workato recipe id | Celigo flow _id | MuleSoft app name
    url: str = ""  # http: the status URL
    base_url: str = ""  # platforms: the account's base URL
    account_id: str = ""  # boomi: account id; mulesoft: "<orgId>/<envId>"
    secret_env: str = ""  # name of the env var holding the credential (read at call time)
    token_url: str = ""  # the account's OAuth2 client-credentials endpoint, if any
    scope: str = ""  # the OAuth2 scope to ask for ("" = the platform's default)
    cursor: str | None = None  # where the previous poll stopped (adapter-defined, opaque)
    # json: the health block's items, fields, status_map, next, failed_records and path (docs/json-health.md)
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PollResult:
    runs: list[RunObservation] = field(default_factory=list)  # any order; upserted by external_id
    failed_records: list[FailedRecordObservation] = field(default_factory=list)
    cursor: str | None = None  # store and pass back next time
    resolved: list[ResolvedObservation] = field(default_factory=list)  # closed on the platform since
    stopped: str = ""  # why the platform has the recipe/flow/app switched off ("stopped on Workato: ..."); "" when on


@dataclass(frozen=True)
class DiscoveredProcess:
    ref: str
    name: str


class PollError(Exception):
    """A poll that could not be completed (auth refused, bad response, blocked address)."""


class Adapter(Protocol):
    def poll(self, target: PollTarget, client: httpx.Client) -> PollResult: ...

    def discover(self, target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]: ...


@dataclass(frozen=True)
class ReplayRecord:
    """A stored failed record handed to a platform to send again (see monitoring/health/resync.py)."""

    position: int  # its order of arrival: replays go in ascending position, the original order
    key: str
    external_id: str = ""  # the platform's id of the error (Celigo: retryDataKey; Workato: job id)
    run_external_id: str = ""  # the run it failed in (Workato: the job to repeat)
    occurred_at: dt.datetime | None = None


@dataclass(frozen=True)
class ReplayResult:
    accepted: list[int] = field(default_factory=list)  # positions the platform took, in the order sent
    skipped: dict[int, str] = field(default_factory=dict)  # position -> why it was not sent
    reference: str = ""  # the platform's handle of the replay (e.g. Celigo retry job ids), when it gives one
    error: str = ""  # a later call failed after earlier ones were accepted (the first failing call raises)


class Replayer(Protocol):
    """The optional replay capability: adapters whose platform can re-send failed records have it.

    `records` come in original order and are sent in that order; a refused credential or a failed
    first call raises PollError, and nothing is sent twice within one call.
    """

    def replay(self, target: PollTarget, client: httpx.Client, records: Sequence[ReplayRecord]) -> ReplayResult: ...
