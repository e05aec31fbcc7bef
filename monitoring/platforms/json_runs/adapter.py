"""health.kind json: any run-history API, read by the JMESPath expressions of the integration's health block.

- Runs: GET <url> (health.url), or GET <account base_url><path> (health.account + health.path) with the
  account's credential: a bearer token held in secret_env, or, when the account names a token_url, an
  OAuth2 client-credentials token (monitoring/platforms/oauth.py).
- Each answer is read by `items` (the list of runs on this page) and, for each run, by the `fields`
  expressions (id and status required; started_at, finished_at, records_in, records_out, records_failed,
  message, and for reconciliation source_count, target_count, period_start, period_end optional).
  `status_map` maps the API's status to success, failed or running; a status it does not name stops
  the poll with a PollError naming the value.
- Paging: `next`, evaluated on the whole answer, gives the next page's URL (absolute, or relative to the
  page's); a null or empty value ends the list. A next link on another origin is refused (the credential
  goes with it), and at most outbound.MAX_PAGES pages are read per poll.
- The API is read as newest first (as run histories list): where started_at is read, a run that started
  later than the one above it stops the poll rather than guess which runs are new.
- Cursor: the id of the newest run with no run still running at or above it (cursors.newest_finished_id).
  The next poll reads from the first page until it meets that run: runs above it are returned (a running
  one again until it ends; runs are upserted by id, so nothing is stored twice), it and those below are
  not. A read cut at the page bound before meeting it keeps the cursor where it was, so no unread run is
  passed over. The API is never asked to filter (its parameters are its own), so every poll starts at
  the first page.
- Failed records (optional): `failed_records`, evaluated on each run returned, gives a list of objects
  with key, error and occurred_at (ISO 8601, optional), stored against that run.
- Times are ISO 8601 with a timezone ("Z" accepted), read strictly; anything else is a PollError.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import jmespath
from jmespath.exceptions import JMESPathError

from monitoring.platforms import oauth, outbound
from monitoring.platforms.contract import (
    DiscoveredProcess,
    FailedRecordObservation,
    PollError,
    PollResult,
    PollTarget,
    RunObservation,
    RunStatus,
)
from monitoring.platforms.cursors import newest_finished_id
from monitoring.platforms.fields import count, parse_time
from plumbline.storable import stored_as_text

logger = logging.getLogger(__name__)

PLATFORM = "JSON run history"
NO_REPLAY = "a run-history API read through expressions has no documented way to send records again"
NO_DISCOVERY = "a json account lists no processes: each health block names its own runs"
MESSAGE_MAX = 2000  # characters of a run's message or a record's error kept


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    config = _Config(target.options)
    session = _Session(target, client)
    what = f"{PLATFORM} at {httpx.URL(session.url).host}"
    previous = target.cursor or None
    runs: list[RunObservation] = []
    seen: set[str] = set()
    records: list[FailedRecordObservation] = []
    reached_cursor = False
    complete = True
    last_started: dt.datetime | None = None
    for page_number, body in enumerate(session.pages(config, what), start=1):
        items = config.evaluate("items", body, what)
        if items is None:
            items = []
        if not isinstance(items, list):
            raise PollError(f"{what}: health.items must give a list of runs, got {_kind(items)}")
        for n, item in enumerate(items, start=1):
            where = f"{what}: page {page_number} run {n}"
            run = _run(config, item, where)
            if run.external_id == previous:
                reached_cursor = True
                break
            if run.external_id in seen:
                continue  # new runs shifted the pages while they were read: this one was on the page before
            if run.started_at and last_started and run.started_at > last_started:
                raise PollError(f"{where}: runs are not listed newest first (started_at goes up); nothing was read")
            last_started = run.started_at or last_started
            seen.add(run.external_id)
            runs.append(run)
            if config.failed_records:
                records += _failed_records(config, item, run.external_id, where)
        if reached_cursor:
            break
    else:
        complete = not session.cut
    if not complete:
        logger.warning("%s: stopped after %d pages before the cursor; it stays where it was", what, outbound.MAX_PAGES)
    cursor = newest_finished_id(runs, previous) if complete or reached_cursor else previous
    return PollResult(runs=runs, failed_records=records, cursor=cursor)


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    """Nothing to discover: a json account is only a credential and a base_url (NO_DISCOVERY)."""
    logger.info("%s: %s", PLATFORM, NO_DISCOVERY)
    return []


class _Config:
    """The health block's expressions, compiled once per poll (the import already refused bad ones)."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.compiled: dict[str, Any] = {}
        fields = options.get("fields") or {}
        status_map = options.get("status_map") or {}
        if not options.get("items") or "id" not in fields or "status" not in fields or not status_map:
            raise PollError(
                "health.kind json needs health.items, health.fields.id, health.fields.status and status_map"
            )
        self.status_map: dict[str, str] = dict(status_map)
        self.fields: dict[str, str] = dict(fields)
        self.failed_records = options.get("failed_records") or ""
        self.next = options.get("next") or ""
        for name, expr in [
            ("items", options["items"]),
            ("next", self.next),
            ("failed_records", self.failed_records),
            *((f"fields.{k}", v) for k, v in self.fields.items()),
        ]:
            if expr:
                try:
                    self.compiled[name] = jmespath.compile(expr)
                except JMESPathError:
                    raise PollError(f"health.{name} is not a valid JMESPath expression; re-import the spec") from None

    def evaluate(self, name: str, data: Any, what: str) -> Any:
        try:
            return self.compiled[name].search(data)
        except JMESPathError as exc:
            raise PollError(f"{what}: health.{name} could not be evaluated: {str(exc).splitlines()[0][:200]}") from None


class _Session:
    """Where the runs are read and with what credential; pages follows `next` on the same origin."""

    def __init__(self, target: PollTarget, client: httpx.Client) -> None:
        self.client = client
        self.headers = {"Accept": "application/json"}
        self.oauth: oauth.ClientCredentials | None = None
        self.cut = False
        if target.base_url:
            path = str(target.options.get("path") or "")
            if not path.startswith("/") or path.startswith("//"):
                raise PollError("health.path must start with a single '/' (it is joined to the account's base_url)")
            self.url = target.base_url.rstrip("/") + path
            if target.token_url:
                self.oauth = oauth.client_credentials(target, client, platform=PLATFORM)
            else:
                self.headers["Authorization"] = f"Bearer {outbound.read_secret(target.secret_env)}"
        elif target.url:
            self.url = target.url
        else:
            raise PollError("health.kind json needs health.url, or health.account with health.path")

    def get(self, url: str | httpx.URL, what: str) -> outbound.Reply:
        if self.oauth is not None:
            return self.oauth.get(str(url), what, headers=self.headers)
        return outbound.send(self.client, "GET", url, what=what, headers=self.headers)

    def pages(self, config: _Config, what: str) -> Iterator[Any]:
        url: str | httpx.URL = self.url
        for page in range(1, outbound.MAX_PAGES + 1):
            body = self.get(url, what).json(what)
            yield body
            following = config.evaluate("next", body, what) if config.next else None
            if following is None or following == "":
                return
            if not isinstance(following, str):
                raise PollError(f"{what}: health.next must give a URL (text), got {_kind(following)}")
            if page == outbound.MAX_PAGES:
                self.cut = True
                return
            try:
                url = outbound.require_same_origin(httpx.URL(str(url)).join(following), self.url, what)
            except httpx.InvalidURL:
                raise PollError(f"{what}: health.next gave an invalid URL") from None


def _run(config: _Config, item: Any, what: str) -> RunObservation:
    run_id = _identifier(config.evaluate("fields.id", item, what), f"{what}: fields.id")
    what = f"{PLATFORM} run {run_id[:80]}"
    raw_status = config.evaluate("fields.status", item, what)
    if isinstance(raw_status, bool) or not isinstance(raw_status, str | int):
        raise PollError(f"{what}: fields.status must give text or an integer, got {_kind(raw_status)}")
    status_name = str(raw_status)
    if status_name not in config.status_map:
        raise PollError(f"{what}: unknown status {status_name[:40]!r} (not in health.status_map)")
    status: RunStatus = config.status_map[status_name]  # type: ignore[assignment]  # checked at import
    values = {name: config.evaluate(f"fields.{name}", item, what) for name in config.fields}
    return RunObservation(
        external_id=run_id,
        status=status,
        started_at=_time(values.get("started_at"), f"{what}: fields.started_at"),
        finished_at=_time(values.get("finished_at"), f"{what}: fields.finished_at"),
        records_in=_count(values.get("records_in"), f"{what}: fields.records_in"),
        records_out=_count(values.get("records_out"), f"{what}: fields.records_out"),
        records_failed=_count(values.get("records_failed"), f"{what}: fields.records_failed"),
        message=_text(values.get("message"), f"{what}: fields.message"),
        source_count=_count(values.get("source_count"), f"{what}: fields.source_count"),
        target_count=_count(values.get("target_count"), f"{what}: fields.target_count"),
        period_start=_time(values.get("period_start"), f"{what}: fields.period_start"),
        period_end=_time(values.get("period_end"), f"{what}: fields.period_end"),
    )


def _failed_records(config: _Config, item: Any, run_id: str, what: str) -> list[FailedRecordObservation]:
    found = config.evaluate("failed_records", item, what)
    if found is None:
        return []
    if not isinstance(found, list):
        raise PollError(f"{what}: health.failed_records must give a list of records, got {_kind(found)}")
    records: list[FailedRecordObservation] = []
    for n, raw in enumerate(found, start=1):
        where = f"{what}: failed record {n}"
        if not isinstance(raw, dict):
            raise PollError(f"{where}: expected an object with key, error and occurred_at, got {_kind(raw)}")
        error = _text(raw.get("error"), f"{where}: error")
        if not error:
            raise PollError(f"{where}: error must be non-empty text")
        records.append(
            FailedRecordObservation(
                key=_identifier(raw.get("key"), f"{where}: key"),
                error=error,
                occurred_at=_time(raw.get("occurred_at"), f"{where}: occurred_at"),
                run_external_id=run_id,
            )
        )
    return records


def _identifier(value: Any, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise PollError(f"{what} must give a non-empty string or an integer, got {_kind(value)}")
    return stored_as_text(value[:200])


def _time(value: Any, what: str) -> dt.datetime | None:
    return None if value is None else parse_time(value, what)


def _count(value: Any, what: str) -> int | None:
    return None if value is None else count(value, what)


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PollError(f"{what} must give text, got {_kind(value)}")
    return stored_as_text(value[:MESSAGE_MAX])


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
