"""Start a sign-in at the provider, come back from it, and log out of both.

A refused sign-in comes back to the login page with the reason; nothing is signed in and no user
is created (backend.py decides before any write).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from plumbline.accounts.oidc.backend import refusal_of
from plumbline.accounts.oidc.provider import ProviderUnavailable, enabled, provider


def provider_name() -> str:
    return str(settings.PLUMBLINE_OIDC_PROVIDER_NAME)


class StartView(OIDCAuthenticationRequestView):
    """GET: off to the provider's authorization endpoint with state, nonce and a PKCE challenge."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the library reads the endpoint from settings here; ours is discovered

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider().authorization_endpoint
        except ProviderUnavailable as error:
            messages.error(request, f"{provider_name()} cannot be reached just now: {error}. Try again in a minute.")
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """GET: the provider's answer; signed in, or back at the login page saying why not."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        return super().get(request)

    @property
    def failure_url(self) -> str:
        return reverse("login")

    def login_failure(self) -> HttpResponse:
        request = self.request
        reason = refusal_of(request)
        if reason is None and request.GET.get("error"):
            said = request.GET.get("error_description") or request.GET["error"]
            reason = f"the provider answered {said!r}"
        if reason is None:
            reason = "the sign-in did not complete (start again from this page)"
        messages.error(request, f"Sign-in with {provider_name()} was refused: {reason}.")
        return super().login_failure()


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST, CSRF); after a single sign-on, on to the provider's end_session_endpoint
    when it has one, so the provider's session ends too and the next sign-in asks again."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if id_token and enabled() and (url := end_session_url(request, id_token)):
            return HttpResponseRedirect(url)
        return response


def end_session_url(request: HttpRequest, id_token: str) -> str | None:
    """RP-initiated logout: the provider's end_session_endpoint with the ID token as hint and the
    login page to come back to; None when the provider has none (or cannot be read)."""
    try:
        endpoint = provider().end_session_endpoint
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    query = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        "client_id": settings.OIDC_RP_CLIENT_ID,
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"
