"""How Plumbline reaches one Anypoint account: its org and environment, and a credential that is either an
access token sent as it is, or a connected app's "client_id:client_secret" exchanged for an access token at
`{base_url}/accounts/api/v2/oauth2/token` (OAuth2 client credentials: monitoring/platforms/oauth.py, which
caches the token under a digest, never the client secret, shares it between workers and renews it once when
a call is refused with 401).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from monitoring.platforms import oauth, outbound
from monitoring.platforms.contract import PollError, PollTarget

TOKEN_PATH = "/accounts/api/v2/oauth2/token"  # noqa: S105 (a path, not a password)
TOKEN_CALL = "MuleSoft connected-app token request"  # noqa: S105 (how messages name the call)


@dataclass
class Anypoint:
    """One account's connection for one poll or discovery: GETs carry the org/env headers and a bearer token."""

    client: httpx.Client
    base: str
    org_id: str
    env_id: str
    bearer: str = field(default="", repr=False)  # an access token as the variable holds it
    connected_app: oauth.ClientCredentials | None = None  # or a connected app's, exchanged for a token

    def get(self, url: str, what: str, params: Mapping[str, str | int] | None = None) -> outbound.Reply:
        """GET with the current token; a 401 renews a connected app's token once and the call is made again."""
        headers = {"X-ANYPNT-ORG-ID": self.org_id, "X-ANYPNT-ENV-ID": self.env_id}
        if self.connected_app is not None:
            return self.connected_app.get(url, what, params=params, headers=headers)
        headers |= {"Accept": "application/json", "Authorization": f"Bearer {self.bearer}"}
        return outbound.send(self.client, "GET", url, what=what, params=params, headers=headers)


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
    app = oauth.ClientCredentials(client, f"{base}{TOKEN_PATH}", client_id, client_secret, call=TOKEN_CALL)
    return Anypoint(client, base, org_id, env_id, connected_app=app)


def token_cache_key(base: str, client_id: str, client_secret: str) -> str:
    """Where a connected app's token is cached: a digest, so the cache never holds the client secret."""
    return oauth.cache_key(f"{base.rstrip('/')}{TOKEN_PATH}", client_id, client_secret)


def http_status(exc: PollError, what: str) -> int | None:
    """The HTTP status the call named `what` was answered with when it failed on one (401, 403, 404, ...), else None."""
    if isinstance(exc, outbound.StatusError) and exc.what == what:
        return exc.status_code
    return None
