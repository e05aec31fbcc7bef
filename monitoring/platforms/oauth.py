"""OAuth2 client credentials (RFC 6749 section 4.4) for the platforms whose accounts name a `token_url`
(SAP Integration Suite through SAP BTP's token service, Azure Logic Apps through Microsoft Entra ID):
the variable secret_env names holds "client_id:client_secret", exchanged at token_url for a bearer
token that every later call of the account carries.

The token is kept in Django's cache (Redis when REDIS_URL is set, else files under the var directory),
so every poll and worker process shares one until shortly before it expires; the cache key is a
sha256 of (token_url, client_id, client_secret, scope), so the cache never holds the client secret.
A call refused with 401 renews the token once per session and is made again. The client secret goes
only to token_url's origin, the token only to the origin each call addresses (outbound.send refuses
a redirect elsewhere); neither ever appears in a message.
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

RENEW_MARGIN_SECONDS = 60  # a cached token is dropped this long before the token service says it expires
DEFAULT_LIFETIME_SECONDS = 3600  # when the answer has no expires_in
CACHE_PREFIX = "oauth-token:"
_HEADER_SAFE = re.compile(r"[\x20-\x7e]+")  # what outbound.read_secret also requires of a credential


@dataclass
class ClientCredentials:
    """One account's client-credentials session: GETs carry a bearer token, renewed once on a 401."""

    client: httpx.Client
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str = ""
    call: str = "OAuth2 token request"  # how messages name the token call
    _token: str = field(default="", repr=False)
    _renewed: bool = False

    def get(
        self,
        url: str,
        what: str,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> outbound.Reply:
        """GET with the current token; a 401 renews the token once and the call is made again."""
        token = self.token()
        try:
            return self._send(url, what, params, headers, token)
        except outbound.StatusError as exc:
            if self._renewed or exc.what != what or exc.status_code != 401:
                raise
        self._renewed = True  # a second refusal, of this call or a later one, is the poll's error
        self.forget(token)
        return self._send(url, what, params, headers, self.token())

    def _send(
        self, url: str, what: str, params: Mapping[str, str | int] | None, headers: Mapping[str, str] | None, token: str
    ) -> outbound.Reply:
        request_headers = {"Accept": "application/json", **(headers or {}), "Authorization": f"Bearer {token}"}
        return outbound.send(self.client, "GET", url, what=what, params=params, headers=request_headers)

    def token(self) -> str:
        """The bearer token: this session's, else the cached one, else a new one from the token service."""
        if not self._token:
            cached = cache.get(self._cache_key())
            self._token = cached if isinstance(cached, str) and cached else self._exchange()
        return self._token

    def forget(self, token: str) -> None:
        """Drop a refused token, unless another worker has already put a fresh one in its place."""
        key = self._cache_key()
        if cache.get(key) == token:
            cache.delete(key)
        self._token = ""

    def _cache_key(self) -> str:
        return cache_key(self.token_url, self.client_id, self.client_secret, self.scope)

    def _exchange(self) -> str:
        """POST the client credentials as a form body (RFC 6749 section 4.4.2) and cache the token."""
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret}
        if self.scope:
            form["scope"] = self.scope
        headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
        # The client secret rides in the body: outbound.send keeps it on token_url's origin as it would a header.
        reply = outbound.send(
            self.client,
            "POST",
            self.token_url,
            what=self.call,
            headers=headers,
            content=urlencode(form).encode(),
            credential_in_body=True,
        )
        answer = as_object(reply.json(self.call), self.call)
        token = required_str(answer, "access_token", self.call)
        if not _HEADER_SAFE.fullmatch(token):
            raise PollError(f"{self.call}: access_token holds characters an HTTP header cannot carry")
        token_type = optional_str(answer, "token_type", self.call)
        if token_type and token_type.lower() != "bearer":
            raise PollError(f"{self.call}: token_type {token_type[:20]!r} is not bearer")
        lifetime = optional_count(answer, "expires_in", self.call)
        keep = (DEFAULT_LIFETIME_SECONDS if lifetime is None else lifetime) - RENEW_MARGIN_SECONDS
        if keep > 0:
            cache.set(self._cache_key(), token, timeout=keep)
        return token


def cache_key(token_url: str, client_id: str, client_secret: str, scope: str = "") -> str:
    """Where a client's token is cached: a digest, so the cache never holds the client secret."""
    parts = (token_url, client_id, client_secret, scope)
    return CACHE_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def client_credentials(
    target: PollTarget, client: httpx.Client, *, platform: str, default_scope: str = ""
) -> ClientCredentials:
    """The session for the target's account: its token_url, and "client_id:client_secret" read now
    from the variable secret_env names. `platform` names it in messages ("Azure Logic Apps")."""
    if not target.token_url:
        raise PollError(f"{platform} platform account has no token_url (its OAuth2 client-credentials endpoint)")
    client_id, sep, client_secret = outbound.read_secret(target.secret_env).partition(":")
    if not sep or not client_id or not client_secret:
        raise PollError(f"environment variable {target.secret_env} must hold 'client_id:client_secret' for {platform}")
    return ClientCredentials(
        client,
        token_url=target.token_url,
        client_id=client_id,
        client_secret=client_secret,
        scope=target.scope or default_scope,
        call=f"{platform} token request",
    )
