"""Signing in with the provider's ID token: mozilla-django-oidc's code flow, with the checks it leaves
out made here (audience, issuer, expiry, the algorithms the provider lists) and Plumbline's rules for
the user: keyed by email (username == email), created at the first sign-in, and given at every
sign-in the role their groups map to, so a changed group changes the role and no mapped group takes
the role away. Catalog finds the user's Person by that same email (catalog/ownership.py person_of).
"""

from __future__ import annotations

from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from plumbline.accounts.oidc.config import groups_in, role_for_groups
from plumbline.accounts.oidc.provider import ProviderUnavailable, enabled, provider
from plumbline.accounts.roles import assign_role, remove_role

# Seconds of clock difference allowed between the provider and this server for exp and iat.
LEEWAY = 60


class SignInRefused(Exception):
    """Why a sign-in was refused, in words for the login page."""


def refusal_of(request: HttpRequest) -> str | None:
    return getattr(request, "oidc_refusal", None)


class OIDCBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of a sign-in; any other authenticate() call (a password) skips it,
    since its signature takes no username or password."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The library reads endpoints from settings here; ours come from discovery, at sign-in.
        self.UserModel = get_user_model()

    def authenticate(
        self, request: HttpRequest | None, nonce: str | None = None, code_verifier: str | None = None
    ) -> Any:
        if request is None or nonce is None or not enabled():
            return None
        try:
            found = provider()
            self.OIDC_OP_TOKEN_ENDPOINT = found.token_endpoint
            self.OIDC_OP_USER_ENDPOINT = found.userinfo_endpoint
            self.OIDC_OP_JWKS_ENDPOINT = found.jwks_uri
            self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
            self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
            return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except SignInRefused as refused:
            reason = str(refused)
        except ProviderUnavailable as error:
            reason = f"the provider could not be used: {error}"
        except requests.RequestException as error:
            reason = f"the provider did not answer as expected ({type(error).__name__})"
        except (jwt.PyJWTError, SuspiciousOperation, KeyError, ValueError) as error:
            reason = f"the ID token was not accepted ({error})"
        request.oidc_refusal = reason  # type: ignore[attr-defined]
        return None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The token's claims once its signature (a key from the provider's JWKS, an algorithm it lists),
        audience (this client), issuer, expiry and, for the ID token, nonce are right."""
        found = provider()
        algorithm = jwt.get_unverified_header(token).get("alg")
        if algorithm not in found.signing_algorithms:
            raise SignInRefused(f"the ID token is signed with {algorithm!r}, which the provider does not list")
        key = self.retrieve_matching_jwk(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=settings.OIDC_RP_CLIENT_ID,
            issuer=found.issuer,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
        if "nonce" in kwargs and claims.get("nonce") != kwargs["nonce"]:
            raise SignInRefused("the ID token answers another sign-in (its nonce differs)")
        return claims

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, completed by the userinfo endpoint when there is one (some providers
        put email or groups only there)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            info = super().get_userinfo(access_token, id_token, payload)
            if info.get("sub") != payload.get("sub"):
                raise SignInRefused("the provider's userinfo describes another subject than the ID token")
            claims.update(info)
        return claims

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        email = email_in(claims)
        if claims.get("email_verified") is False:
            raise SignInRefused(f"the provider has not verified {email}")
        if role_in(claims) is None:
            # Out of every mapped group is out of Plumbline: pages, API tokens and the admin alike.
            for user in self.filter_users_by_claims(claims):
                remove_role(user)
            raise SignInRefused(
                f"{email} is in no group that gives a Plumbline role "
                f"(the {settings.PLUMBLINE_OIDC_ROLE_CLAIM!r} claim); ask an admin to add you to one"
            )
        return True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        return self.UserModel.objects.filter(username=email_in(claims))

    @transaction.atomic
    def create_user(self, claims: dict[str, Any]) -> Any:
        email = email_in(claims)
        user = self.UserModel.objects.create_user(username=email, email=email)  # no usable password
        return self.update_user(user, claims)

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        if not user.is_active:
            raise SignInRefused(f"{user.username} is deactivated in Plumbline")
        role = role_in(claims)
        assert role is not None  # verify_claims refused a user without one
        assign_role(user, role)
        return user


def email_in(claims: dict[str, Any]) -> str:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SignInRefused("the provider sent no email address (is the 'email' scope granted?)")
    return email.strip().lower()


def role_in(claims: dict[str, Any]) -> str | None:
    groups = groups_in(claims, settings.PLUMBLINE_OIDC_ROLE_CLAIM)
    return role_for_groups(groups, settings.PLUMBLINE_OIDC_ROLES, settings.PLUMBLINE_OIDC_DEFAULT_ROLE)
