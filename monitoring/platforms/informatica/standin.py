"""Informatica IDMC, as its adapter reads it: the REST API version 2 login on the login region's host, and the
activity log and task list on the organization's POD, another origin (the login answer's serverUrl).

The stand-in for tests and benchmarks: see monitoring/platforms/standin.py. Entering it starts both servers
and yields the login base URL; `pod` is the POD's server, whose requests are recorded apart."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

from monitoring.platforms.standin import Answer, Recorded, StandIn

LOGIN_PATH = "/ma/api/v2/user/login"
SAAS = "/saas"  # serverUrl ends with it, e.g. https://usw3.dm-us.informaticacloud.com/saas
MAX_ROW_LIMIT = 1000
DEFAULT_ROW_LIMIT = 200
TASK_TYPES = ("DMASK", "DRS", "DSS", "MTT", "PCS")


def error(status: int, code: str, description: str) -> Answer:
    """The REST API version 2 error object."""
    return Answer(status, {"code": code, "description": description, "statusCode": status, "@type": "error"})


# The documented example answers a wrong user name or password so (HTTP 403); the code for a session that
# expired or is unknown is not on the pages read, so INVALID_SESSION's is this stand-in's own.
BAD_LOGIN = error(403, "UI_10000", "User name or password is not valid.")
INVALID_SESSION = error(401, "AUTH_01", "Invalid or expired session ID. Log in again.")


class InformaticaStandIn(StandIn):
    """The login host: POST /ma/api/v2/user/login with {"@type": "login", "username", "password"} answers a user
    object with a new icSessionId and serverUrl = the POD's base URL + /saas."""

    def __init__(
        self,
        *,
        username: str,
        password: str,
        log: list[dict[str, Any]] | None = None,
        tasks: dict[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        super().__init__()
        self.username, self.password = username, password
        self.log = log if log is not None else []  # activityLogEntry objects of every task
        self.tasks = tasks if tasks is not None else {}  # task type -> task objects
        self.sessions: set[str] = set()  # icSessionIds that are valid now
        self.server_url_override = ""  # answer this serverUrl instead of the POD's
        self._serial = itertools.count(1)
        self.pod = StandIn()
        self.route("POST", LOGIN_PATH, self._login)
        self.pod.route("GET", SAAS + "/api/v2/activity/activityLog", self._activity_log)
        self.pod.route("GET", SAAS + "/api/v2/task", self._tasks)

    @property
    def logins(self) -> int:
        return len(self.requests_to(LOGIN_PATH))

    def expire_sessions(self) -> None:
        """Every session issued so far is refused from now on, as after 30 minutes without a call."""
        self.sessions.clear()

    def __enter__(self) -> str:
        self.pod.__enter__()
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self.pod.__exit__(*exc)

    def _login(self, request: Recorded, match: re.Match[str]) -> Answer:
        body = request.json() if request.body else None
        if not isinstance(body, dict) or body.get("@type") != "login":
            return error(400, "UI_10001", 'The request body must be a login object ("@type": "login").')
        if body.get("username") != self.username or body.get("password") != self.password:
            return BAD_LOGIN
        session_id = f"ic-session-{next(self._serial)}"
        self.sessions.add(session_id)
        return Answer(
            200,
            {
                "@type": "user",
                "id": "0001AB03000000000002",
                "orgId": "0001AB",
                "orgUuid": "6gXqp7vHuC1ebFlrf1YRMW",
                "name": self.username,
                "firstName": "Ana",
                "lastName": "Integrations",
                "timezone": "America/New_York",
                "serverUrl": self.server_url_override or f"{self.pod.base_url}{SAAS}",
                "icSessionId": session_id,
                "securityQuestion": "",
                "securityAnswer": "",
            },
        )

    def _valid(self, request: Recorded) -> bool:
        return request.headers.get("icsessionid", "") in self.sessions

    def _activity_log(self, request: Recorded, match: re.Match[str]) -> Answer:
        """Newest first; taskId filters, offset skips, rowLimit caps (200 when absent, at most 1000)."""
        if not self._valid(request):
            return INVALID_SESSION
        query = request.query
        try:
            offset = int(query.get("offset", 0))
            row_limit = int(query.get("rowLimit", DEFAULT_ROW_LIMIT))
        except ValueError:
            return error(400, "UI_10002", "offset and rowLimit must be numbers.")
        if row_limit > MAX_ROW_LIMIT:
            return error(400, "UI_10003", f"rowLimit must be at most {MAX_ROW_LIMIT}.")
        found = self.log
        if task_id := query.get("taskId"):
            found = [e for e in found if e.get("objectId") == task_id]
        found = sorted(found, key=lambda e: _utc(e.get("endTimeUtc")), reverse=True)
        return Answer(200, found[offset : offset + row_limit])

    def _tasks(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not self._valid(request):
            return INVALID_SESSION
        task_type = request.query.get("type", "")
        if task_type not in TASK_TYPES:
            return error(400, "UI_10004", "type must be one of DMASK, DRS, DSS, MTT, PCS.")
        return Answer(200, [{"@type": "task", "type": task_type, **t} for t in self.tasks.get(task_type, [])])


def _utc(value: Any) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)  # a malformed entry sorts last; the adapter names it


def entry(
    entry_id: str,
    task_id: str,
    ended: dt.datetime,
    *,
    state: int = 1,
    seconds: int = 90,
    run_id: int = 1,
    rows: tuple[int, int, int, int] = (10, 0, 10, 0),
    error_msg: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An activityLogEntry as the activity log returns it. rows = (successSource, failedSource, successTarget,
    failedTarget). startTime and endTime are Eastern Time, as documented, written here as IDMC does: with a "Z"."""
    started = ended - dt.timedelta(seconds=seconds)
    eastern = dt.timedelta(hours=-5)

    def stamp(at: dt.datetime) -> str:
        return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"

    return {
        "@type": "activityLogEntry",
        "id": entry_id,
        "type": "MTT",
        "objectId": task_id,
        "objectName": f"task {task_id}",
        "runId": run_id,
        "agentId": "0001AB08000000000003",
        "runtimeEnvironmentId": "0001AB25000000000002",
        "startTime": stamp(started + eastern),
        "endTime": stamp(ended + eastern),
        "startTimeUtc": stamp(started),
        "endTimeUtc": stamp(ended),
        "state": state,
        "isStopped": False,
        "successSourceRows": rows[0],
        "failedSourceRows": rows[1],
        "successTargetRows": rows[2],
        "failedTargetRows": rows[3],
        "errorMsg": error_msg,
        "startedBy": "ana@example.com",
        "runContextType": "SCHEDULER",
        "entries": [],
        **extra,
    }
