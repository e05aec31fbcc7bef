"""MuleSoft Anypoint Runtime Manager: the status of one Mule application, wherever it is deployed.

- Where: the Application Manager API (AMC) first, which holds CloudHub 2.0 and Runtime Fabric apps: the
  deployment whose name is the ref in GET {base}/amc/application-manager/api/v2/organizations/{org}/
  environments/{env}/deployments ({"items": [...], "total": n}, paged by offset), then GET .../deployments/{id}
  for its status, application.status and application.desiredState. The id is kept as the cursor
  ("amc:<id>"), so later polls make that one GET. When AMC does not list the name, or is not open to the
  account (404, 403), the CloudHub 1.0 API: GET {base}/cloudhub/api/v2/applications/{ref}.
- Auth: access.py; a bearer token, or a connected app's client_id:client_secret exchanged for a cached token.
- A status is not a run, so each poll yields one heartbeat run; polls that see no change upsert the same run.
  CloudHub 1.0: external id "<domain>@<lastUpdateTime>" (epoch ms, when the status changed), started then;
  up -> finished now, failed -> finished at lastUpdateTime. AMC: "<name>@<lastModifiedDate>:<deployment
  status>/<application status>", since lastModifiedDate moves when the deployment is changed, not when its
  application stops running; started at lastModifiedDate, finished now (when Plumbline saw it) unless running.
- Switched off on the platform is down at once with the reason "stopped on MuleSoft: application <name> is
  STOPPED" (PollResult.stopped): CloudHub 1.0 STOPPED, UNDEPLOYED; AMC deployment STOPPED, UNDEPLOYED, or an
  applied deployment whose application is STOPPED, or NOT_RUNNING with desiredState STOPPED.
- Status maps: CLOUDHUB_STATUSES and amc_status below (README.md has both tables); any other status stops the
  poll. No record counts or failed records: neither API has them.
- discover: both lists (AMC deployments, CloudHub 1.0 applications), each name once; an API not open to the
  account (404, 403) is skipped, and discovery fails only when both are.
- No replay: the status APIs know no records, so a re-sync is manual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from monitoring.platforms import outbound
from monitoring.platforms.contract import (
    DiscoveredProcess,
    PollError,
    PollResult,
    PollTarget,
    RunObservation,
    RunStatus,
)
from monitoring.platforms.fields import as_list, as_object, count, optional_str, required_str
from monitoring.platforms.mulesoft.access import Anypoint, connect, http_status

NO_REPLAY = "MuleSoft's status API has no records to send again"
AMC_LIST = "MuleSoft Application Manager deployment list"
CLOUDHUB_LIST = "MuleSoft CloudHub application list"
AMC_CURSOR = "amc:"
UNAVAILABLE = (403, 404)  # the API is not open to this account (or not to this org/environment)

CLOUDHUB_STATUSES: dict[str, RunStatus] = {
    "STARTED": "success",
    "RUNNING": "success",
    "DEPLOYING": "running",
    "STARTING": "running",
    "UNDEPLOYING": "running",
    "STOPPING": "running",
    "UPDATING": "running",
    "FAILED": "failed",
    "DEPLOY_FAILED": "failed",
    "UNDEPLOYED": "failed",
    "STOPPED": "failed",
    "DELETED": "failed",
}
# Switched off by someone on the platform: down at once with that reason, not late after the grace.
SWITCHED_OFF = frozenset({"STOPPED", "UNDEPLOYED"})

# Application Manager: a deployment's status says whether its last change was applied; once it was, the
# application's own status says whether it runs.
AMC_APPLIED = frozenset({"APPLIED", "STARTED", "UPDATED", "PARTIALLY_STARTED"})
AMC_IN_PROGRESS = frozenset({"APPLYING", "DEPLOYING", "STARTING", "STOPPING", "UNDEPLOYING"})
AMC_FAILED = frozenset({"FAILED", "DEPLOYMENT_FAILED", "DELETED"})
AMC_APPLICATION_STATUSES = frozenset({"RUNNING", "NOT_RUNNING", "STOPPED"})


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    anypoint = connect(target, client)
    if not target.ref:
        raise PollError("MuleSoft health source has no application name (ref)")
    deployment = _amc_deployment(anypoint, target.ref, target.cursor)
    if deployment is None:
        return _cloudhub_result(anypoint, target.ref)
    return _amc_result(target.ref, deployment)


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    anypoint = connect(target, client)
    names: dict[str, None] = {}  # in the order found, each once
    refused: list[str] = []
    try:
        for item in _amc_items(anypoint):
            names.setdefault(required_str(as_object(item, AMC_LIST), "name", AMC_LIST))
    except PollError as exc:
        if http_status(exc, AMC_LIST) not in UNAVAILABLE:
            raise
        refused.append(str(exc))
    try:
        reply = anypoint.get(f"{anypoint.base}/cloudhub/api/v2/applications", CLOUDHUB_LIST)
    except PollError as exc:
        if http_status(exc, CLOUDHUB_LIST) not in UNAVAILABLE:
            raise
        refused.append(str(exc))
    else:
        for item in as_list(reply.json(CLOUDHUB_LIST), CLOUDHUB_LIST):
            names.setdefault(required_str(as_object(item, CLOUDHUB_LIST), "domain", CLOUDHUB_LIST))
    if len(refused) == 2:
        raise PollError(f"MuleSoft discovery: neither API is open to this account ({'; '.join(refused)})")
    return [DiscoveredProcess(ref=name, name=name) for name in names]


def amc_status(state: str, application: str, desired: str, what: str) -> tuple[RunStatus, str]:
    """The run status of an AMC deployment, and the status to name when it is switched off ("" when not)."""
    if application and application not in AMC_APPLICATION_STATUSES:
        raise PollError(f"{what}: unknown application status {application[:40]!r}")
    if state in SWITCHED_OFF:
        return "failed", state
    if state in AMC_FAILED:
        return "failed", ""
    if state in AMC_IN_PROGRESS:
        return "running", ""
    if state not in AMC_APPLIED:
        raise PollError(f"{what}: unknown deployment status {state[:40]!r}")
    if application == "RUNNING":
        return "success", ""
    if application == "STOPPED" or (application == "NOT_RUNNING" and desired == "STOPPED"):
        return "failed", "STOPPED"
    if application == "NOT_RUNNING":
        return "failed", ""
    raise PollError(f"{what}: application.status must be a non-empty string")


def _amc_deployment(anypoint: Anypoint, name: str, cursor: str | None) -> dict[str, Any] | None:
    """The deployment named `name`, in full; None when AMC does not have it or is not open to the account."""
    known = cursor.removeprefix(AMC_CURSOR) if cursor and cursor.startswith(AMC_CURSOR) else ""
    if known and (deployment := _amc_get(anypoint, known, name)) is not None:
        return deployment
    try:
        found = next((item for item in _amc_items(anypoint) if _item_name(item) == name), None)
    except PollError as exc:
        if http_status(exc, AMC_LIST) in UNAVAILABLE:
            return None
        raise
    return None if found is None else _amc_get(anypoint, required_str(found, "id", AMC_LIST), name)


def _amc_items(anypoint: Anypoint) -> Iterator[Any]:
    """Every deployment of the environment, page after page (offset), as the list returns them."""
    offset = 0
    for _ in range(outbound.MAX_PAGES):
        params = {"offset": offset} if offset else None
        page = as_object(anypoint.get(_amc_url(anypoint), AMC_LIST, params).json(AMC_LIST), AMC_LIST)
        items = as_list(page.get("items"), f"{AMC_LIST}: items")
        yield from items
        offset += len(items)
        total = page.get("total")
        if not items or total is None or offset >= count(total, f"{AMC_LIST}: total"):
            return
    raise PollError(f"{AMC_LIST}: more than {outbound.MAX_PAGES} pages")


def _amc_get(anypoint: Anypoint, deployment_id: str, name: str) -> dict[str, Any] | None:
    """One deployment; None when it is gone, not open to the account, or (a stale cursor) named otherwise."""
    what = f"MuleSoft deployment {deployment_id[:60]}"
    try:
        reply = anypoint.get(f"{_amc_url(anypoint)}/{quote(deployment_id, safe='')}", what)
    except PollError as exc:
        if http_status(exc, what) in UNAVAILABLE:
            return None
        raise
    deployment = as_object(reply.json(what), what)
    return deployment if deployment.get("name") == name else None


def _amc_result(name: str, deployment: dict[str, Any]) -> PollResult:
    what = f"MuleSoft deployment of {name}"
    deployment_id = required_str(deployment, "id", what)
    state = required_str(deployment, "status", what)
    application = as_object(deployment.get("application") or {}, f"{what}: application")
    app_status = optional_str(application, "status", f"{what}: application")
    desired = optional_str(application, "desiredState", f"{what}: application")
    modified_ms = count(deployment.get("lastModifiedDate"), f"{what}: lastModifiedDate")
    status, switched_off = amc_status(state, app_status, desired, what)
    run = RunObservation(
        external_id=f"{name}@{modified_ms}:{state}/{app_status or '-'}",
        status=status,
        started_at=_from_ms(modified_ms),
        finished_at=None if status == "running" else dt.datetime.now(dt.UTC),
        message=f"deployment {state}" + (f", application {app_status}" if app_status else ""),
    )
    stopped = f"stopped on MuleSoft: application {name} is {switched_off}" if switched_off else ""
    return PollResult(runs=[run], cursor=AMC_CURSOR + deployment_id, stopped=stopped)


def _cloudhub_result(anypoint: Anypoint, ref: str) -> PollResult:
    what = f"MuleSoft application {ref}"
    try:
        reply = anypoint.get(f"{anypoint.base}/cloudhub/api/v2/applications/{quote(ref, safe='')}", what)
    except PollError as exc:
        if http_status(exc, what) != 404:
            raise
        raise PollError(
            f"{what}: not found, neither among the Application Manager's deployments (CloudHub 2.0, Runtime Fabric) "
            "nor among the CloudHub 1.0 applications"
        ) from None
    app = as_object(reply.json(what), what)
    status_name = required_str(app, "status", what)
    if status_name not in CLOUDHUB_STATUSES:
        raise PollError(f"{what}: unknown status {status_name[:40]!r}")
    updated_ms = count(app.get("lastUpdateTime"), f"{what}: lastUpdateTime")
    updated = _from_ms(updated_ms)
    status = CLOUDHUB_STATUSES[status_name]
    run = RunObservation(
        external_id=f"{ref}@{updated_ms}",
        status=status,
        started_at=updated,
        finished_at={"success": dt.datetime.now(dt.UTC), "failed": updated}.get(status),
        message=f"application status {status_name}",
    )
    stopped = f"stopped on MuleSoft: application {ref} is {status_name}" if status_name in SWITCHED_OFF else ""
    return PollResult(runs=[run], cursor=str(updated_ms), stopped=stopped)


def _amc_url(anypoint: Anypoint) -> str:
    org, env = quote(anypoint.org_id, safe=""), quote(anypoint.env_id, safe="")
    return f"{anypoint.base}/amc/application-manager/api/v2/organizations/{org}/environments/{env}/deployments"


def _item_name(item: Any) -> str:
    return required_str(as_object(item, AMC_LIST), "name", AMC_LIST)


def _from_ms(epoch_ms: int) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise PollError(f"MuleSoft timestamp {epoch_ms} is out of range") from None
