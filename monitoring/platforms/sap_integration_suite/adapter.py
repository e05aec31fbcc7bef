"""SAP Integration Suite (Cloud Integration): the message processing logs of one integration flow as runs.

- Runs: GET {base}/api/v1/MessageProcessingLogs?$filter=IntegrationFlowName eq '<ref>' [and LogEnd gt
  datetime'<cursor>']&$orderby=LogEnd&$format=json; the OData v2 JSON answer {"d": {"results": [...],
  "__next": ...}} is paged by following __next (same origin only; the API gives at most 1,000 logs a call).
  One run per log: external_id MessageGuid, started LogStart, finished LogEnd (/Date(<ms since 1970, UTC>)/).
- Auth: OAuth2 client credentials at the account's token_url (SAP BTP's token service, the service key's
  tokenurl + /oauth/token), monitoring/platforms/oauth.py; secret_env holds "clientid:clientsecret".
- Status: STATUSES below (README.md explains each); DISCARDED logs are no run (SAP keeps the restarted
  message under another MessageGuid); any other status stops the poll.
- Failed records: one per failed log, the error text from
  GET .../MessageProcessingLogs('<MessageGuid>')/ErrorInformation/$value (text/plain), capped; at most
  ERROR_TEXTS_PER_POLL such calls a poll, later failed logs keep their status as the error.
- Cursor: the newest LogEnd read (UTC, milliseconds), held 1 ms before the earliest log still running; when
  the page bound cuts the read, 1 ms before the last LogEnd read (the logs come oldest LogEnd first, so all
  before it were read and those sharing its millisecond come again).
- discover: GET {base}/api/v1/IntegrationRuntimeArtifacts (deployed artifacts), Type INTEGRATION_FLOW:
  ref Id, name Name.
- No replay: the API has no call that sends a failed message again (README.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from monitoring.platforms import outbound
from monitoring.platforms.contract import (
    DiscoveredProcess,
    FailedRecordObservation,
    PollError,
    PollResult,
    PollTarget,
    RunObservation,
    RunStatus,
)
from monitoring.platforms.cursors import cursor_time, held_back_time
from monitoring.platforms.fields import as_list, as_object, format_time, optional_str, required_str
from monitoring.platforms.oauth import ClientCredentials, client_credentials
from plumbline.storable import datetime_problem, stored_as_text

logger = logging.getLogger(__name__)

PLATFORM = "SAP Integration Suite"
NO_REPLAY = (
    "SAP Integration Suite's OData API cannot send a failed message again (retries are the integration flow's "
    "own, e.g. from a JMS queue), so a re-sync is manual"
)
STATUSES: dict[str, RunStatus] = {
    "COMPLETED": "success",
    "FAILED": "failed",  # final: not delivered, no retries possible
    "ESCALATED": "failed",  # an error occurred and no retry was triggered
    "CANCELLED": "failed",  # entries cancelled by hand in the JMS queue: not delivered
    "ABANDONED": "failed",  # interrupted or not updated for long; read again if it resumes (LogEnd moves)
    "PROCESSING": "running",
    "RETRY": "running",  # an error occurred and a retry was started automatically
}
NOT_A_RUN = "DISCARDED"  # a scheduler start superseded on another worker node: the run is the other log
ERROR_TEXTS_PER_POLL = 100  # ErrorInformation calls a poll makes (one per failed log)
MAX_ERROR_CHARS = 4000  # error text kept per failed record
MAX_PAGES = outbound.MAX_PAGES
STEP = dt.timedelta(milliseconds=1)
_DATE = re.compile(r"/Date\((-?\d{1,15})(?:[+-]\d{4})?\)/")


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    if not target.ref:
        raise PollError(f"{PLATFORM} health source has no integration flow id (ref)")
    session = client_credentials(target, client, platform=PLATFORM)
    api = _api_root(target.base_url)
    previous = cursor_time(target.cursor, PLATFORM)
    what = f"{PLATFORM} message processing logs of {target.ref}"
    flow_filter = f"IntegrationFlowName eq {_literal(target.ref)}"
    if previous is not None:
        flow_filter += f" and LogEnd gt datetime'{_datetime_literal(previous)}'"
    url = _url(f"{api}/MessageProcessingLogs", {"$filter": flow_filter, "$orderby": "LogEnd", "$format": "json"})
    pages = _Pages(session, url, what)
    runs: list[RunObservation] = []
    records: list[FailedRecordObservation] = []
    seen: list[tuple[dt.datetime, RunStatus]] = []
    last_end: dt.datetime | None = None
    for item in pages:
        log = as_object(item, f"{what}: log")
        guid = required_str(log, "MessageGuid", what)
        where = f"{what}: log {guid[:60]}"
        status = required_str(log, "Status", where)
        started = parse_date(log.get("LogStart"), f"{where}: LogStart")
        ended = parse_date(log.get("LogEnd"), f"{where}: LogEnd")
        if ended is not None:
            last_end = ended
        if status == NOT_A_RUN:
            if ended is not None:
                seen.append((ended, "success"))  # read: the cursor may pass it
            continue
        if status not in STATUSES:
            raise PollError(f"{where}: unknown Status {status[:40]!r}")
        run_status = STATUSES[status]
        moment = ended or started
        if moment is None:
            raise PollError(f"{where}: neither LogStart nor LogEnd is set")
        seen.append((moment, run_status))
        runs.append(
            RunObservation(
                external_id=guid,
                status=run_status,
                started_at=started,
                finished_at=None if run_status == "running" else ended,
                message=f"message status {status}",
            )
        )
        if run_status == "failed":
            records.append(_failed_record(session, api, log, guid, status, ended, len(records) < ERROR_TEXTS_PER_POLL))
    cursor = held_back_time(seen, previous, STEP)
    if pages.cut:
        cursor = _cut_cursor(cursor, previous, last_end, what)
    return PollResult(
        runs=runs,
        failed_records=records,
        cursor=format_time(cursor, millis=True) if cursor else target.cursor,
    )


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    session = client_credentials(target, client, platform=PLATFORM)
    what = f"{PLATFORM} deployed artifacts"
    url = _url(f"{_api_root(target.base_url)}/IntegrationRuntimeArtifacts", {"$format": "json"})
    pages = _Pages(session, url, what)
    found: dict[str, str] = {}
    for item in pages:
        artifact = as_object(item, f"{what}: artifact")
        if optional_str(artifact, "Type", what) != "INTEGRATION_FLOW":
            continue  # value mappings, OData and REST APIs, script collections: no message processing logs of their own
        artifact_id = required_str(artifact, "Id", what)
        found.setdefault(artifact_id, optional_str(artifact, "Name", what) or artifact_id)
    if pages.cut:
        raise PollError(f"{what}: more than {MAX_PAGES} pages")
    return [DiscoveredProcess(ref=ref, name=name) for ref, name in found.items()]


def _cut_cursor(
    cursor: dt.datetime | None, previous: dt.datetime | None, last_end: dt.datetime | None, what: str
) -> dt.datetime | None:
    """After a read cut at the page bound: 1 ms before the last LogEnd read (oldest first, so everything
    before it was read and the logs sharing its millisecond come again), never past a running log."""
    if last_end is None:
        return previous
    candidate = min(cursor, last_end - STEP) if cursor else last_end - STEP
    if previous is None or candidate > previous:
        return candidate
    # Every page read ended in one millisecond: staying put would read the same pages forever.
    logger.warning("%s: %d pages all end at %s; moving past it", what, MAX_PAGES, format_time(last_end, millis=True))
    return max(previous, min(cursor, last_end) if cursor else last_end)


def parse_date(value: Any, what: str) -> dt.datetime | None:
    """An OData v2 JSON date, "/Date(<milliseconds since 1970-01-01 UTC>)/" (an offset suffix, as DateTimeOffset
    values carry, is accepted: the milliseconds are UTC either way); None when null."""
    if value is None:
        return None
    if not isinstance(value, str) or not (match := _DATE.fullmatch(value)):
        raise PollError(f"{what} must be an OData date like /Date(1700000000000)/, got {str(value)[:40]!r}")
    try:
        parsed = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(match.group(1)))
    except OverflowError:
        raise PollError(f"{what} is out of range, got {value[:40]!r}") from None
    if found := datetime_problem(parsed):
        raise PollError(f"{what} {found}, got {value[:40]!r}")
    return parsed


def _failed_record(
    session: ClientCredentials,
    api: str,
    log: dict[str, Any],
    guid: str,
    status: str,
    ended: dt.datetime | None,
    read_error: bool,
) -> FailedRecordObservation:
    where = f"{PLATFORM} message {guid[:60]}"
    error = _error_text(session, api, guid) if read_error else ""
    if not error:
        error = f"message status {status}" + ("" if read_error else " (error text not read: too many in one poll)")
    return FailedRecordObservation(
        key=optional_str(log, "ApplicationMessageId", where) or guid,
        error=error,
        occurred_at=ended,
        run_external_id=guid,
        external_id=guid,
    )


def _error_text(session: ClientCredentials, api: str, guid: str) -> str:
    """The log's ErrorInformation as text/plain, capped; "" when the log has none (204, or 404 as for
    messages SAP keeps no error information of)."""
    what = f"{PLATFORM} error information of message {guid[:60]}"
    url = f"{api}/MessageProcessingLogs({quote(_literal(guid), safe=chr(39))})/ErrorInformation/$value"
    try:
        reply = session.get(url, what, headers={"Accept": "text/plain"})
    except outbound.StatusError as exc:
        if exc.status_code == 404:
            return ""
        raise
    text = stored_as_text(reply.content.decode("utf-8", "replace")).strip()
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


class _Pages:
    """The entries of an OData v2 JSON collection, page after page through d.__next (same origin only), at
    most MAX_PAGES; `cut` tells afterwards whether a next page was left unread."""

    def __init__(self, session: ClientCredentials, url: str, what: str) -> None:
        self.session, self.url, self.what = session, url, what
        self.cut = False

    def __iter__(self) -> Iterator[Any]:
        url, what = self.url, self.what
        for page in range(1, MAX_PAGES + 1):
            reply = self.session.get(url, what)
            body = as_object(as_object(reply.json(what), what).get("d"), f"{what}: d")
            yield from as_list(body.get("results"), f"{what}: d.results")
            following = body.get("__next")
            if not following:
                return
            if not isinstance(following, str):
                raise PollError(f"{what}: d.__next must be a string")
            if page == MAX_PAGES:
                self.cut = True
                logger.warning("%s: stopped after %d pages", what, page)
                return
            url = str(outbound.require_same_origin(following, str(reply.url), what))


def _api_root(base_url: str) -> str:
    """The service root: the account's base_url (the service key's url) and /api/v1."""
    base = base_url.rstrip("/")
    return base if base.endswith("/api/v1") else f"{base}/api/v1"


def _url(path: str, options: dict[str, str]) -> str:
    """Query options written as SAP's examples do: "$" kept, spaces as %20 (never "+")."""
    return path + "?" + "&".join(f"{name}={quote(value, safe=chr(39))}" for name, value in options.items())


def _literal(value: str) -> str:
    """An OData string literal: single quotes, an inner quote doubled."""
    return "'" + value.replace("'", "''") + "'"


def _datetime_literal(value: dt.datetime) -> str:
    """SAP reads datetime literals as UTC and cannot parse a zone, so none is written."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
