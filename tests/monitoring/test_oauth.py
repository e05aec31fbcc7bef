"""OAuth2 client credentials (monitoring/platforms/oauth.py) against a real token service and a real API
on 127.0.0.1, each a stand-in of its own origin, as Entra ID and Azure Resource Manager are."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache

from monitoring.platforms.contract import PollError, PollTarget
from monitoring.platforms.oauth import client_credentials
from monitoring.platforms.standin import REFUSED, Answer, Recorded, StandIn

ENV = "PLUMBLINE_CRED_TEST_OAUTH"
CLIENT_ID = "3f2b-client"
CLIENT_SECRET = "s3cr3t-~value"


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, f"{CLIENT_ID}:{CLIENT_SECRET}")


class TokenService(StandIn):
    """Issues issued-1, issued-2... for the right client credentials; the API checks them."""

    def __init__(self, lifetime: int | None = 3600) -> None:
        super().__init__()
        self.issued: set[str] = set()
        self.lifetime = lifetime
        self.route("POST", "/oauth2/v2.0/token", self._token)

    def _token(self, request: Recorded, match: re.Match[str]) -> Answer:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        wanted = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        if any(form.get(k) != v for k, v in wanted.items()):
            return Answer(401, {"error": "invalid_client"})
        token = f"issued-{len(self.issued) + 1}"
        self.issued.add(token)
        answer: dict[str, str | int] = {"access_token": token, "token_type": "Bearer"}
        if self.lifetime is not None:
            answer["expires_in"] = self.lifetime
        return Answer(200, answer)


class Api(StandIn):
    def __init__(self, tokens: TokenService) -> None:
        super().__init__()
        self.route("GET", "/things", lambda r, m: Answer(200, {"value": [1]}) if self._ok(r) else REFUSED)
        self.tokens = tokens

    def _ok(self, request: Recorded) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme == "Bearer" and token in self.tokens.issued


def target(token_base: str, scope: str = "") -> PollTarget:
    return PollTarget(kind="azure-logic-apps", secret_env=ENV, token_url=f"{token_base}/oauth2/v2.0/token", scope=scope)


def session(token_base: str, client, scope: str = ""):
    return client_credentials(target(token_base, scope), client, platform="Azure", default_scope="https://x/.default")


def test_one_token_serves_every_session_until_it_expires(outbound_client):
    tokens = TokenService()
    api = Api(tokens)
    with tokens as token_base, api as api_base:
        for _ in range(3):
            assert session(token_base, outbound_client).get(f"{api_base}/things", "thing list").json("x") == {
                "value": [1]
            }
    [exchange] = tokens.requests
    form = parse_qs(exchange.body.decode())
    assert form["scope"] == ["https://x/.default"]  # the platform's default when the account names none
    assert exchange.headers["content-type"] == "application/x-www-form-urlencoded"
    assert {r.headers["authorization"] for r in api.requests} == {"Bearer issued-1"}
    # The client secret went only to the token service, the token only to the API.
    assert all("authorization" not in r.headers for r in tokens.requests)
    assert all(CLIENT_SECRET not in str(r.headers) and CLIENT_SECRET.encode() not in r.body for r in api.requests)


def test_the_accounts_scope_is_asked_for_and_keys_its_own_token(outbound_client):
    tokens = TokenService()
    with tokens as token_base, Api(tokens) as api_base:
        session(token_base, outbound_client).get(f"{api_base}/things", "thing list")
        session(token_base, outbound_client, scope="api://plumbline/.default").get(f"{api_base}/things", "thing list")
    assert [parse_qs(r.body.decode())["scope"] for r in tokens.requests] == [
        ["https://x/.default"],
        ["api://plumbline/.default"],
    ]


def test_a_revoked_token_is_renewed_once(outbound_client):
    tokens = TokenService()
    api = Api(tokens)
    with tokens as token_base, api as api_base:
        session(token_base, outbound_client).get(f"{api_base}/things", "thing list")
        tokens.issued.clear()  # revoked
        tokens.issued.add("placeholder")  # so the next one is issued-2
        reply = session(token_base, outbound_client).get(f"{api_base}/things", "thing list")
    assert reply.json("x") == {"value": [1]}
    assert [r.headers["authorization"] for r in api.requests] == [f"Bearer issued-{n}" for n in (1, 1, 2)]


def test_a_second_refusal_is_the_calls_error_never_showing_the_secret(outbound_client):
    tokens = TokenService()
    api = Api(tokens)
    api.override("GET", "/things", lambda r, m: REFUSED)
    with tokens as token_base, api as api_base, pytest.raises(PollError) as refused:
        session(token_base, outbound_client).get(f"{api_base}/things", "thing list")
    assert "thing list" in str(refused.value) and "401" in str(refused.value)
    assert CLIENT_SECRET not in str(refused.value)
    assert len(tokens.requests) == 2


def test_refused_client_credentials_name_the_token_call(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, f"{CLIENT_ID}:wrong-secret")
    tokens = TokenService()
    with tokens as token_base, Api(tokens) as api_base, pytest.raises(PollError, match="Azure token request") as err:
        session(token_base, outbound_client).get(f"{api_base}/things", "thing list")
    assert "wrong-secret" not in str(err.value)


def test_the_cache_holds_the_token_under_a_digest(outbound_client):
    tokens = TokenService()
    with tokens as token_base, Api(tokens) as api_base:
        credentials = session(token_base, outbound_client)
        credentials.get(f"{api_base}/things", "thing list")
        key = credentials._cache_key()
    assert cache.get(key) == "issued-1"
    assert CLIENT_SECRET not in key and CLIENT_ID not in key


def test_a_token_within_the_renewal_margin_is_not_kept(outbound_client):
    tokens = TokenService(lifetime=45)
    with tokens as token_base, Api(tokens) as api_base:
        for _ in range(2):
            session(token_base, outbound_client).get(f"{api_base}/things", "thing list")
    assert len(tokens.requests) == 2


def test_an_account_without_token_url_or_with_a_bad_secret_is_refused_before_any_call(outbound_client, monkeypatch):
    with pytest.raises(PollError, match="has no token_url"):
        client_credentials(PollTarget(kind="x", secret_env=ENV), outbound_client, platform="Azure")
    monkeypatch.setenv(ENV, "no-colon-here")
    with pytest.raises(PollError, match=f"{ENV} must hold 'client_id:client_secret' for Azure"):
        client_credentials(target("http://127.0.0.1:9"), outbound_client, platform="Azure")
