"""The provider as its discovery document ({issuer}/.well-known/openid-configuration) describes it:
fetched at the first sign-in and kept for an hour, never at start-up, so a provider that is down
stops sign-ins (with a message) and nothing else."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

KEEP_SECONDS = 3600
# Asymmetric signatures only: an HS256 token would be signed with the client secret, which more
# parties hold than the provider's private key. PyJWT (with cryptography) verifies all of these.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class ProviderUnavailable(Exception):
    """The discovery document could not be read or does not describe this issuer."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    signing_algorithms: tuple[str, ...]


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def read_discovery(issuer: str, document: Any) -> Provider:
    """The provider a discovery document describes, refused when it names another issuer or lacks an endpoint."""
    if not isinstance(document, dict):
        raise ProviderUnavailable("its discovery document is not a JSON object")
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnavailable(f"its discovery document names issuer {document.get('issuer')!r}, not {issuer!r}")
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(key)]
    if missing:
        raise ProviderUnavailable(f"its discovery document has no {', '.join(missing)}")
    # The specification's default when the document does not say.
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(alg for alg in SIGNING_ALGORITHMS if alg in offered)
    if not algorithms:
        raise ProviderUnavailable(
            f"it signs ID tokens with {', '.join(map(str, offered))}; Plumbline accepts RS, PS, ES"
        )
    return Provider(
        issuer=issuer,
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        userinfo_endpoint=document.get("userinfo_endpoint") or None,
        end_session_endpoint=document.get("end_session_endpoint") or None,
        signing_algorithms=algorithms,
    )


_kept: dict[str, tuple[float, Provider]] = {}
_lock = threading.Lock()


def provider() -> Provider:
    """The configured issuer's provider, from the kept discovery document while it is fresh."""
    issuer = settings.OIDC_ISSUER
    with _lock:
        kept = _kept.get(issuer)
        if kept and kept[0] > time.monotonic():
            return kept[1]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"{url} could not be read ({type(error).__name__})") from error
    found = read_discovery(issuer, document)
    with _lock:
        _kept[issuer] = (time.monotonic() + KEEP_SECONDS, found)
    return found


def forget() -> None:
    """Drop kept discovery documents (tests; a provider that moved its endpoints)."""
    with _lock:
        _kept.clear()
