"""Azure Logic Apps (Consumption): the runs of one workflow through Azure Resource Manager.

- Where: {base}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Logic/workflows/{ref}, api-version
  2016-06-01; account_id is "<subscriptionId>/<resourceGroup>", ref the workflow name.
- Auth: Microsoft Entra ID client credentials (monitoring/platforms/oauth.py): "client_id:client_secret" from
  secret_env, exchanged at the account's token_url for a token of scope https://management.azure.com/.default
  (or the account's scope); cached, renewed once on a 401.
- Stopped: the workflow's properties.state Disabled, Suspended or Deleted is the platform's own switch, so the
  integration is down at once with "disabled on Azure Logic Apps: workflow <name> is Disabled".
- Runs: GET .../runs?$filter=startTime ge <cursor> ({"value": [...], "nextLink": ...}), every page through
  nextLink on base_url's origin only, at most MAX_PAGES. external_id = the run name, started/finished =
  properties.startTime/endTime, message = properties.error.message (else its code). STATUSES maps every
  documented WorkflowStatus; any other status (NotSpecified included) stops the poll.
- Cursor: the latest startTime read, held 1 ms before the earliest run still running, so a running run is read
  again until it ends; runs at or before the cursor are dropped (the filter is "greater or equal"). A read cut at
  the page bound keeps the cursor where it was.
- No failed records: the runs API knows no records, only runs (a failed run carries its error). No replay.
- discover: GET {base}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Logic/workflows, nextLink
  paged: every workflow's name.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from monitoring.platforms import oauth, outbound
from monitoring.platforms.contract import (
    DiscoveredProcess,
    PollError,
    PollResult,
    PollTarget,
    RunObservation,
    RunStatus,
)
from monitoring.platforms.cursors import cursor_time, held_back_time
from monitoring.platforms.fields import as_list, as_object, optional_str, optional_time, required_str

logger = logging.getLogger(__name__)

PLATFORM = "Azure Logic Apps"
API_VERSION = "2016-06-01"
DEFAULT_SCOPE = "https://management.azure.com/.default"
NO_REPLAY = "Azure Logic Apps keeps runs, not records; resubmitting a whole run is done on Azure"
MESSAGE_LIMIT = 500  # characters of a run's error message kept

# Every WorkflowStatus value but NotSpecified (which says nothing about a run): see README.md "Status mapping".
STATUSES: dict[str, RunStatus] = {
    "Succeeded": "success",
    "Skipped": "success",
    "Ignored": "success",
    "Running": "running",
    "Waiting": "running",
    "Paused": "running",
    "Failed": "failed",
    "Cancelled": "failed",
    "TimedOut": "failed",
    "Aborted": "failed",
    "Faulted": "failed",
    "Suspended": "failed",
}
# WorkflowState: switched off on Azure (down at once, with the state as reason), or on.
SWITCHED_OFF = frozenset({"Disabled", "Suspended", "Deleted"})
SWITCHED_ON = frozenset({"Enabled", "Completed", "NotSpecified"})


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    session, workflows = _connect(target, client)
    if not target.ref:
        raise PollError("Azure Logic Apps health source has no workflow name (ref)")
    workflow_url = f"{workflows}/{quote(target.ref, safe='')}"
    stopped = _stopped(session, workflow_url, target.ref)
    previous = cursor_time(target.cursor, PLATFORM)
    what = f"Azure Logic Apps runs of workflow {target.ref}"
    params = {"api-version": API_VERSION}
    if previous is not None:
        params["$filter"] = f"startTime ge {_cursor_text(previous)}"
    pages = _Pages(session, target.base_url, f"{workflow_url}/runs", params, what)
    runs: list[RunObservation] = []
    started: list[tuple[dt.datetime, RunStatus]] = []
    seen: set[str] = set()
    for page in pages:
        for item in page:
            run, start = _run(item, what)
            if previous is not None and start <= previous:
                continue  # read last time; the filter is "greater or equal"
            if run.external_id in seen:
                continue
            seen.add(run.external_id)
            runs.append(run)
            started.append((start, run.status))
    # The cursor never moves past what was not read: a cut read keeps it where it was.
    cursor = previous if pages.cut else held_back_time(started, previous, dt.timedelta(milliseconds=1))
    return PollResult(
        runs=runs,
        cursor=_cursor_text(cursor) if cursor else target.cursor,
        stopped=stopped,
    )


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    session, workflows = _connect(target, client)
    what = "Azure Logic Apps workflow list"
    found: list[DiscoveredProcess] = []
    for page in _Pages(session, target.base_url, workflows, {"api-version": API_VERSION}, what):
        for item in page:
            name = required_str(as_object(item, what), "name", what)
            found.append(DiscoveredProcess(ref=name, name=name))
    return found


def _connect(target: PollTarget, client: httpx.Client) -> tuple[oauth.ClientCredentials, str]:
    """The account's token session and its workflows collection URL; account_id names subscription and group."""
    if not target.base_url:
        raise PollError("Azure Logic Apps platform account has no base_url (normally https://management.azure.com)")
    subscription, sep, group = target.account_id.strip().partition("/")
    if not sep or not subscription or not group or "/" in group:
        raise PollError(
            "Azure Logic Apps platform account's account_id must be '<subscriptionId>/<resourceGroup>', "
            f"got {target.account_id[:80]!r}"
        )
    session = oauth.client_credentials(target, client, platform=PLATFORM, default_scope=DEFAULT_SCOPE)
    base = target.base_url.rstrip("/")
    workflows = (
        f"{base}/subscriptions/{quote(subscription, safe='')}/resourceGroups/{quote(group, safe='')}"
        "/providers/Microsoft.Logic/workflows"
    )
    return session, workflows


def _cursor_text(value: dt.datetime) -> str:
    """UTC to the microsecond: Azure's startTime has 100 ns ticks, so milliseconds would read a run twice."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _stopped(session: oauth.ClientCredentials, workflow_url: str, name: str) -> str:
    what = f"Azure Logic Apps workflow {name}"
    workflow = as_object(session.get(workflow_url, what, {"api-version": API_VERSION}).json(what), what)
    properties = as_object(workflow.get("properties"), f"{what}: properties")
    state = required_str(properties, "state", f"{what}: properties")
    if state in SWITCHED_OFF:
        return f"disabled on Azure Logic Apps: workflow {name} is {state}"
    if state not in SWITCHED_ON:
        raise PollError(f"{what}: unknown state {state[:40]!r}")
    return ""


def _run(item: Any, what: str) -> tuple[RunObservation, dt.datetime]:
    run = as_object(item, f"{what}: run")
    name = required_str(run, "name", f"{what}: run")
    where = f"Azure Logic Apps run {name[:80]}"
    properties = as_object(run.get("properties"), f"{where}: properties")
    status_name = required_str(properties, "status", where)
    if status_name not in STATUSES:
        raise PollError(f"{where}: unknown status {status_name[:40]!r}")
    start = optional_time(properties, "startTime", where)
    if start is None:
        raise PollError(f"{where}: startTime must be an ISO 8601 timestamp")
    status = STATUSES[status_name]
    return (
        RunObservation(
            external_id=name,
            status=status,
            started_at=start,
            finished_at=None if status == "running" else optional_time(properties, "endTime", where),
            message=_message(properties, status_name, where),
        ),
        start,
    )


def _message(properties: dict[str, Any], status_name: str, where: str) -> str:
    """The run's error message (else its code), or the status when it is not a plain success."""
    error = properties.get("error")
    text = ""
    if error is not None:
        error = as_object(error, f"{where}: error")
        text = optional_str(error, "message", f"{where}: error") or optional_str(error, "code", f"{where}: error")
    if not text and status_name not in ("Succeeded", "Running"):
        text = f"run {status_name}"
    return text[:MESSAGE_LIMIT]


class _Pages:
    """Each page's "value" list, following nextLink on base_url's origin only, at most MAX_PAGES;
    `cut` tells afterwards whether a next page was left unread."""

    def __init__(
        self, session: oauth.ClientCredentials, base: str, url: str, params: dict[str, str], what: str
    ) -> None:
        self.session, self.base, self.url, self.params, self.what = session, base, url, params, what
        self.cut = False

    def __iter__(self) -> Iterator[list[Any]]:
        url: str = self.url
        params: dict[str, str] | None = self.params
        for page in range(1, outbound.MAX_PAGES + 1):
            body = as_object(self.session.get(url, self.what, params).json(self.what), self.what)
            yield as_list(body.get("value"), f"{self.what}: value")
            following = optional_str(body, "nextLink", self.what)
            if not following:
                return
            if page == outbound.MAX_PAGES:
                self.cut = True
                logger.warning("%s: stopped after %d pages; the next poll reads from the same cursor", self.what, page)
                return
            # The nextLink carries api-version, $filter and $skiptoken itself.
            url, params = str(outbound.require_same_origin(following, self.base, self.what)), None
