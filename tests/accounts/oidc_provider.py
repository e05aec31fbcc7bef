"""A stand-in OpenID Connect provider: a real threaded HTTP server on 127.0.0.1 serving discovery, a
JWKS (an RSA key made here), /authorize (straight back with a code and the claims the test chose),
/token (client secret and PKCE checked, an RS256 ID token with the authorize request's nonce),
/userinfo and /logout. A test may spoil the next ID token (another key, audience, issuer, nonce,
expiry) to see it refused."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "plumbline-test"
CLIENT_SECRET = "stand-in-client-secret"
KID = "stand-in-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class StandInProvider:
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    end_session: bool = True
    url: str = ""
    # What the next sign-in says about the user (sub, email, groups, ...), and what spoils its ID token.
    claims: dict[str, Any] = field(default_factory=dict)
    spoil: dict[str, Any] = field(default_factory=dict)
    signing_key: rsa.RSAPrivateKey | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    logouts: list[dict[str, str]] = field(default_factory=list)
    token_requests: int = 0

    def will_sign_in(self, email: str, groups: list[str] | None = None, **claims: Any) -> None:
        self.claims = {"sub": f"sub-{email}", "email": email, "email_verified": True, **claims}
        if groups is not None:
            self.claims["groups"] = groups
        self.spoil = {}
        self.signing_key = None

    def discovery(self) -> dict[str, Any]:
        document = {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }
        if self.end_session:
            document["end_session_endpoint"] = f"{self.url}/logout"
        return document

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

    def authorize(self, query: dict[str, str]) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"query": query, "claims": dict(self.claims)}
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests += 1
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None:
            return 400, {"error": "invalid_grant"}
        asked = grant["query"]
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if form.get("redirect_uri") != asked["redirect_uri"] or challenge != asked.get("code_challenge"):
            return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {**grant["claims"], "iss": self.url, "aud": CLIENT_ID, "iat": now, "exp": now + 300}
        claims["nonce"] = asked.get("nonce")
        claims.update(self.spoil)
        id_token = jwt.encode(claims, self.signing_key or self.key, algorithm="RS256", headers={"kid": KID})
        access_token = secrets.token_urlsafe(16)
        self.tokens[access_token] = grant["claims"]
        return 200, {"access_token": access_token, "token_type": "Bearer", "id_token": id_token, "expires_in": 300}


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer
    provider: StandInProvider

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        provider = self.provider
        if parts.path == "/.well-known/openid-configuration":
            self.send_json(200, provider.discovery())
        elif parts.path == "/jwks":
            self.send_json(200, provider.jwks())
        elif parts.path == "/authorize":
            self.redirect(provider.authorize(query))
        elif parts.path == "/userinfo":
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
            claims = provider.tokens.get(bearer)
            if claims is None:
                self.send_json(401, {"error": "invalid_token"})
            else:
                self.send_json(200, claims)
        elif parts.path == "/logout" and provider.end_session:
            provider.logouts.append(query)
            self.redirect(query.get("post_logout_redirect_uri", f"{provider.url}/"))
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = {name: values[0] for name, values in parse_qs(self.rfile.read(length).decode()).items()}
        if urlsplit(self.path).path == "/token":
            self.send_json(*self.provider.token(form))
        else:
            self.send_json(404, {"error": "not found"})


@contextmanager
def stand_in_provider(**options: Any) -> Iterator[StandInProvider]:
    provider = StandInProvider(**options)
    handler = type("BoundHandler", (Handler,), {"provider": provider})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
