"""What a health pull sees, as plain values: adapters produce these, monitoring stores them.

Adapters (monitoring/adapters/<kind>.py) talk to the outside world and return a PollResult;
they never touch the database. Persisting (upsert by external id), state evaluation, flips
and alerts live elsewhere so every adapter gets them the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, Protocol

import httpx

RunStatus = Literal["success", "failed", "running"]


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


@dataclass(frozen=True)
class FailedRecordObservation:
    key: str
    error: str
    occurred_at: dt.datetime | None = None
    run_external_id: str | None = None
    external_id: str | None = None  # the platform's id of the error, where it has one (for retry)


@dataclass(frozen=True)
class PollTarget:
    """Everything an adapter needs for one integration's health source."""

    kind: str  # http | boomi | workato | celigo | mulesoft
    ref: str = ""  # Boomi processId | Workato recipe id | Celigo flow _id | MuleSoft app name
    url: str = ""  # http: the status URL
    base_url: str = ""  # platforms: the account's base URL
    account_id: str = ""  # boomi: account id; mulesoft: "<orgId>/<envId>"
    secret_env: str = ""  # name of the env var holding the credential (read at call time)
    cursor: str | None = None  # where the previous poll stopped (adapter-defined, opaque)


@dataclass(frozen=True)
class PollResult:
    runs: list[RunObservation] = field(default_factory=list)  # any order; upserted by external_id
    failed_records: list[FailedRecordObservation] = field(default_factory=list)
    cursor: str | None = None  # store and pass back next time


@dataclass(frozen=True)
class DiscoveredProcess:
    ref: str
    name: str


class PollError(Exception):
    """A poll that could not be completed (auth refused, bad response, blocked address)."""


class Adapter(Protocol):
    def poll(self, target: PollTarget, client: httpx.Client) -> PollResult: ...

    def discover(self, target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]: ...
