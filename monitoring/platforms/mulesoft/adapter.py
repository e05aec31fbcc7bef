"""MuleSoft Anypoint Runtime Manager: the deployment status of one CloudHub application.

- Status: GET {base}/cloudhub/api/v2/applications/{ref} where ref is the application domain.
- Auth: Authorization: Bearer <access token> from the secret env var, with X-ANYPNT-ORG-ID and
  X-ANYPNT-ENV-ID taken from the platform account's account_id "<orgId>/<envId>".
- Fields: domain, status, lastUpdateTime (epoch milliseconds, when the status last changed).
- A status is not a run, so each poll yields one heartbeat run with the synthetic external id
  "<domain>@<lastUpdateTime>": polls that see no change upsert the same run. started_at is
  lastUpdateTime; a run that is up is stamped finished_at = now, so the last success moves with
  every poll that finds the application running; a failed one finished at lastUpdateTime.
- STOPPED and UNDEPLOYED are also the platform's own switch: the integration is down at once with the
  reason "stopped on MuleSoft: application <name> is STOPPED" (PollResult.stopped).
- Status map: STARTED, RUNNING -> success; DEPLOYING, STARTING, UNDEPLOYING, STOPPING, UPDATING
  -> running; FAILED, DEPLOY_FAILED, UNDEPLOYED, STOPPED, DELETED -> failed. Any other status
  stops the poll. No record counts or failed records: the status API has none.
- Cursor: the lastUpdateTime seen (informational; every poll reads the current status).
- discover: GET {base}/cloudhub/api/v2/applications, a JSON array of applications (domain).
- No replay: the status API knows no records, so a re-sync is manual.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

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
from monitoring.platforms.fields import as_list, as_object, count, required_str

NO_REPLAY = "MuleSoft's status API has no records to send again"
STATUSES: dict[str, RunStatus] = {
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


def poll(target: PollTarget, client: httpx.Client) -> PollResult:
    base, headers = _connection(target)
    if not target.ref:
        raise PollError("MuleSoft health source has no application name (ref)")
    what = f"MuleSoft application {target.ref}"
    url = f"{base}/cloudhub/api/v2/applications/{target.ref}"
    app = as_object(outbound.send(client, "GET", url, what=what, headers=headers).json(what), what)
    status_name = required_str(app, "status", what)
    if status_name not in STATUSES:
        raise PollError(f"{what}: unknown status {status_name[:40]!r}")
    updated_ms = count(app.get("lastUpdateTime"), f"{what}: lastUpdateTime")
    updated = dt.datetime.fromtimestamp(updated_ms / 1000, tz=dt.UTC)
    status = STATUSES[status_name]
    run = RunObservation(
        external_id=f"{target.ref}@{updated_ms}",
        status=status,
        started_at=updated,
        finished_at={"success": dt.datetime.now(dt.UTC), "failed": updated}.get(status),
        message=f"application status {status_name}",
    )
    stopped = f"stopped on MuleSoft: application {target.ref} is {status_name}" if status_name in SWITCHED_OFF else ""
    return PollResult(runs=[run], cursor=str(updated_ms), stopped=stopped)


def discover(target: PollTarget, client: httpx.Client) -> list[DiscoveredProcess]:
    base, headers = _connection(target)
    what = "MuleSoft application list"
    reply = outbound.send(client, "GET", f"{base}/cloudhub/api/v2/applications", what=what, headers=headers)
    found = []
    for item in as_list(reply.json(what), what):
        app: dict[str, Any] = as_object(item, what)
        domain = required_str(app, "domain", what)
        found.append(DiscoveredProcess(ref=domain, name=domain))
    return found


def _connection(target: PollTarget) -> tuple[str, dict[str, str]]:
    if not target.base_url:
        raise PollError("MuleSoft platform account has no base_url")
    org_id, sep, env_id = target.account_id.partition("/")
    if not sep or not org_id or not env_id:
        raise PollError('MuleSoft platform account_id must be "<orgId>/<envId>"')
    token = outbound.read_secret(target.secret_env)
    headers = {
        "Accept": "application/json",
        "Authorization": f"Bearer {token}",
        "X-ANYPNT-ORG-ID": org_id,
        "X-ANYPNT-ENV-ID": env_id,
    }
    return target.base_url.rstrip("/"), headers
