"""How Plumbline reaches one Anypoint account: its org and environment, and a credential that is either an
access token sent as it is, or a connected app's "client_id:client_secret" exchanged for an access token.

An exchanged token is kept in Django's cache (Redis when REDIS_URL is set, else files under the var
directory), so every poll and every worker process shares one token until shortly before it expires. The
cache key is a sha256 of (base_url, client_id, client_secret); the client secret itself is never stored,
logged or put in a message. A call refused with 401 renews the token once per session and is made again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
from django.core.cache import cache

from monitoring.platforms import outbound
from monitoring.platforms.contract import PollError, PollTarget
from monitoring.platforms.fields import as_object, optional_count, optional_str, required_str

TOKEN_PATH = "/accounts/api/v2/oauth2/token"  # noqa: S105 (a path, not a password)
TOKEN_CALL = "MuleSoft connected-app token request"  # noqa: S105 (how messages name the call)
RENEW_MARGIN_SECONDS = 60  # a cached token is dropped this long before Anypoint says it expires
# The connected-app example answers without expires_in; the Access Management API's examples give 60 minutes.
DEFAULT_LIFETIME_SECONDS = 3600
CACHE_PREFIX = "mulesoft-token:"
_HEADER_SAFE = re.compile(r"[\x20-\x7e]+")  # what outbound.read_secret also requires of a credential


@dataclass
class Anypoint:
    """One account's connection for one poll or discovery: GETs carry the org/env headers and a bearer token."""

    client: httpx.Client
    base: str
    org_id: str
    env_id: str
    bearer: str = field(default="", repr=False)  # an access token as the variable holds it
    client_id: str = ""  # or a connected app's credentials, exchanged for a token
    client_secret: str = field(default="", repr=False)
    _token: str = field(default="", repr=False)
    _renewed: bool = False

    @property
    def connected_app(self) -> bool:
        return bool(self.client_id)

    def get(self, url: str, what: str, params: Mapping[str, str | int] | None = None) -> outbound.Reply:
        """GET with the current token; a 401 renews a connected app's token once and the call is made again."""
        token = self._access_token()
        try:
            return outbound.send(self.client, "GET", url, what=what, params=params, headers=self._headers(token))
        except PollError as exc:
            if not self.connected_app or self._renewed or http_status(exc, what) != 401:
                raise
        self._renewed = True  # a second refusal, of this call or a later one, is the poll's error
        self._forget(token)
        token = self._access_token()
        return outbound.send(self.client, "GET", url, what=what, params=params, headers=self._headers(token))

    def _headers(self, token: str) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "Authorization": f"Bearer {token}",
            "X-ANYPNT-ORG-ID": self.org_id,
            "X-ANYPNT-ENV-ID": self.env_id,
        }

    def _access_token(self) -> str:
        if not self.connected_app:
            return self.bearer
        if not self._token:
            key = token_cache_key(self.base, self.client_id, self.client_secret)
            cached = cache.get(key)
            self._token = cached if isinstance(cached, str) and cached else self._exchange(key)
        return self._token

    def _forget(self, token: str) -> None:
        """Drop a refused token, unless another worker has already put a fresh one in its place."""
        key = token_cache_key(self.base, self.client_id, self.client_secret)
        if cache.get(key) == token:
            cache.delete(key)
        self._token = ""

    def _exchange(self, key: str) -> str:
        """POST the client credentials as the connected-app example does (a form body) and cache the token."""
        body = urlencode(
            {"client_id": self.client_id, "client_secret": self.client_secret, "grant_type": "client_credentials"}
        ).encode()
        headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
        # The client secret rides in the body: outbound.send keeps it on the account's origin as it would a header.
        reply = outbound.send(
            self.client,
            "POST",
            f"{self.base}{TOKEN_PATH}",
            what=TOKEN_CALL,
            headers=headers,
            content=body,
            credential_in_body=True,
        )
        answer = as_object(reply.json(TOKEN_CALL), TOKEN_CALL)
        token = required_str(answer, "access_token", TOKEN_CALL)
        if not _HEADER_SAFE.fullmatch(token):
            raise PollError(f"{TOKEN_CALL}: access_token holds characters an HTTP header cannot carry")
        token_type = optional_str(answer, "token_type", TOKEN_CALL)
        if token_type and token_type.lower() != "bearer":
            raise PollError(f"{TOKEN_CALL}: token_type {token_type[:20]!r} is not bearer")
        lifetime = optional_count(answer, "expires_in", TOKEN_CALL)
        keep = (DEFAULT_LIFETIME_SECONDS if lifetime is None else lifetime) - RENEW_MARGIN_SECONDS
        if keep > 0:
            cache.set(key, token, timeout=keep)
        return token


def connect(target: PollTarget, client: httpx.Client) -> Anypoint:
    """The account's connection, its credential read now from the variable secret_env names."""
    if not target.base_url:
        raise PollError("MuleSoft platform account has no base_url")
    org_id, sep, env_id = target.account_id.partition("/")
    if not sep or not org_id or not env_id:
        raise PollError('MuleSoft platform account_id must be "<orgId>/<envId>"')
    base = target.base_url.rstrip("/")
    secret = outbound.read_secret(target.secret_env)
    if ":" not in secret:
        return Anypoint(client, base, org_id, env_id, bearer=secret)
    client_id, _, client_secret = secret.partition(":")
    if not client_id or not client_secret:
        raise PollError(
            f"environment variable {target.secret_env} holds a colon but not a connected app's client_id:client_secret"
        )
    return Anypoint(client, base, org_id, env_id, client_id=client_id, client_secret=client_secret)


def token_cache_key(base: str, client_id: str, client_secret: str) -> str:
    """Where a connected app's token is cached: a digest, so the cache never holds the client secret."""
    digest = hashlib.sha256("\n".join((base.rstrip("/"), client_id, client_secret)).encode()).hexdigest()
    return CACHE_PREFIX + digest


def http_status(exc: PollError, what: str) -> int | None:
    """The HTTP status the call named `what` was answered with when it failed on one (401, 403, 404, ...), else None."""
    if isinstance(exc, outbound.StatusError) and exc.what == what:
        return exc.status_code
    return None
