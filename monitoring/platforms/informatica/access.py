"""How Plumbline reaches one Informatica IDMC organization: a REST API version 2 session.

The variable secret_env names holds "user:password". They are POSTed, as a JSON login object, to
{base_url}/ma/api/v2/user/login (base_url is the login region, e.g. https://dm-us.informaticacloud.com); the
answer's icSessionId goes in the icSessionId header of every later call, and those calls go to the answer's
serverUrl (the organization's POD, e.g. https://usw3.dm-us.informaticacloud.com/saas), another host.

- The password goes only to base_url's origin (outbound.send refuses a redirect elsewhere).
- The session id goes only to serverUrl's origin: every call is built from serverUrl, the header is marked
  as a credential so a redirect elsewhere is refused, and serverUrl itself is checked (http(s), a host, no
  user info, never plain http when base_url is https) and then passes the outbound guard like any address.
  The login host chooses serverUrl; it is the party that issued the session id, so naming its own POD
  hands the id to no one who did not have it.
- The session (serverUrl and icSessionId) is kept in Django's cache under a sha256 of (base_url, user,
  password), never the password, for SESSION_KEEP_SECONDS: IDMC ends a session after 30 minutes without a
  call. A call refused with 401 (an expired or unknown session) logs in again once per poll and is made again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from django.core.cache import cache

from monitoring.platforms import outbound
from monitoring.platforms.contract import PollError, PollTarget
from monitoring.platforms.fields import as_object, required_str

LOGIN_PATH = "/ma/api/v2/user/login"
LOGIN_CALL = "Informatica login"
# IDMC drops a session after 30 minutes without a call; the cached one is dropped well before that.
SESSION_KEEP_SECONDS = 25 * 60
CACHE_PREFIX = "informatica-session:"
_HEADER_SAFE = re.compile(r"[\x20-\x7e]+")  # what outbound.read_secret also requires of a credential


@dataclass
class IcSession:
    """One organization's v2 session for one poll or discovery: GETs go to serverUrl with the icSessionId header."""

    client: httpx.Client
    base: str  # the login origin (the account's base_url)
    username: str
    password: str = field(repr=False)
    _server_url: str = ""
    _session_id: str = field(default="", repr=False)
    _renewed: bool = False

    def get(self, path: str, what: str, params: Mapping[str, str | int] | None = None) -> outbound.Reply:
        """GET serverUrl + path; a 401 logs in again once and the call is made again."""
        session_id = self._session()
        try:
            return self._send(path, what, params)
        except outbound.StatusError as exc:
            if self._renewed or exc.what != what or exc.status_code != 401:
                raise
        self._renewed = True  # a second refusal, of this call or a later one, is the poll's error
        self._forget(session_id)
        self._session()
        return self._send(path, what, params)

    def _send(self, path: str, what: str, params: Mapping[str, str | int] | None) -> outbound.Reply:
        headers = {"Accept": "application/json", "icSessionId": self._session_id}
        # The session id rides in a header outbound.send does not know as a credential: credential_in_body
        # tells it so, and a redirect away from serverUrl's origin is refused rather than followed with it.
        return outbound.send(
            self.client,
            "GET",
            f"{self._server_url}{path}",
            what=what,
            params=params,
            headers=headers,
            credential_in_body=True,
        )

    def _session(self) -> str:
        if not self._session_id:
            cached = _cached(cache.get(self._cache_key()))
            self._server_url, self._session_id = cached or self._login()
        return self._session_id

    def _forget(self, session_id: str) -> None:
        """Drop a refused session, unless another worker has already put a fresh one in its place."""
        key = self._cache_key()
        cached = _cached(cache.get(key))
        if cached and cached[1] == session_id:
            cache.delete(key)
        self._session_id = ""

    def _cache_key(self) -> str:
        return session_cache_key(self.base, self.username, self.password)

    def _login(self) -> tuple[str, str]:
        body = {"@type": "login", "username": self.username, "password": self.password}
        try:
            reply = outbound.send(
                self.client,
                "POST",
                f"{self.base}{LOGIN_PATH}",
                what=LOGIN_CALL,
                headers={"Accept": "application/json", "Content-Type": "application/json"},
                json_body=body,
                credential_in_body=True,
            )
        except outbound.StatusError as exc:
            if exc.status_code in (400, 401, 403):  # IDMC answers a wrong password with 400 or 403
                raise PollError(f"{LOGIN_CALL}: user name or password refused (HTTP {exc.status_code})") from None
            raise
        user = as_object(reply.json(LOGIN_CALL), LOGIN_CALL)
        session_id = required_str(user, "icSessionId", LOGIN_CALL)
        if not _HEADER_SAFE.fullmatch(session_id):
            raise PollError(f"{LOGIN_CALL}: icSessionId holds characters an HTTP header cannot carry")
        server_url = checked_server_url(required_str(user, "serverUrl", LOGIN_CALL), self.base)
        cache.set(
            self._cache_key(),
            json.dumps({"serverUrl": server_url, "icSessionId": session_id}),
            timeout=SESSION_KEEP_SECONDS,
        )
        return server_url, session_id


def checked_server_url(value: str, base: str) -> str:
    """The login answer's serverUrl, if the session id may be sent there: http(s) with a host, no user info,
    query or fragment, and not plain http when the login went over https."""
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        raise PollError(f"{LOGIN_CALL}: serverUrl is not a URL") from None
    if url.scheme not in outbound.SCHEMES or not url.host:
        raise PollError(f"{LOGIN_CALL}: serverUrl must be an http(s) URL with a host")
    if url.userinfo or url.query or url.fragment:
        raise PollError(f"{LOGIN_CALL}: serverUrl must carry no user info, query or fragment")
    if httpx.URL(base).scheme == "https" and url.scheme != "https":
        raise PollError(f"{LOGIN_CALL}: serverUrl is plain http after an https login; the session id is not sent")
    return value.rstrip("/")


def session_cache_key(base: str, username: str, password: str) -> str:
    """Where an organization's session is cached: a digest, so the cache never holds the password."""
    digest = hashlib.sha256("\n".join((base.rstrip("/"), username, password)).encode()).hexdigest()
    return CACHE_PREFIX + digest


def _cached(value: object) -> tuple[str, str] | None:
    """(serverUrl, icSessionId) from the cache, or None when absent or not what this module stored."""
    if not isinstance(value, str):
        return None
    try:
        stored = json.loads(value)
    except ValueError:
        return None
    if not isinstance(stored, dict):
        return None
    server_url, session_id = stored.get("serverUrl"), stored.get("icSessionId")
    if isinstance(server_url, str) and server_url and isinstance(session_id, str) and session_id:
        return server_url, session_id
    return None


def connect(target: PollTarget, client: httpx.Client) -> IcSession:
    """The organization's session, its "user:password" read now from the variable secret_env names."""
    if not target.base_url:
        raise PollError("Informatica platform account has no base_url (its login region, e.g. dm-us)")
    username, sep, password = outbound.read_secret(target.secret_env).partition(":")
    if not sep or not username or not password:
        raise PollError(f"environment variable {target.secret_env} must hold 'user:password' for Informatica")
    return IcSession(client, base=target.base_url.rstrip("/"), username=username, password=password)
