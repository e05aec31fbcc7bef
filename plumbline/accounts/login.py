"""The login page: a password, rate limited (once failed logins within WINDOW reach a limit, for one
email from one address, for one address, or for one email, further attempts are refused with 429
until the window ends), and the single sign-on button when OIDC_ISSUER is set. With
PLUMBLINE_LOCAL_PASSWORDS off, the button only: a posted password is refused with 403."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from plumbline.accounts.oidc.provider import enabled as sso_enabled

WINDOW = dt.timedelta(minutes=15)
# Failed logins allowed per window: for one email from one address (a forgotten password), for one
# address whatever the email (one machine trying many accounts), and for one email from anywhere
# (many machines guessing one account's password).
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 30
MAX_FAILURES_PER_EMAIL = 20


def _limits(request: HttpRequest) -> list[tuple[str, int]]:
    """The counters a failed login counts against, each with its limit."""
    email = str(request.POST.get("username", "")).strip().lower()
    address = request.META.get("REMOTE_ADDR", "")
    scopes = [(f"{email}|{address}", MAX_FAILURES), (f"address|{address}", MAX_FAILURES_PER_ADDRESS)]
    if email:
        scopes.append((f"email|{email}", MAX_FAILURES_PER_EMAIL))
    # Hashed so cache keys stay short and safe whatever was typed.
    return [("login-failures:" + hashlib.sha256(scope.encode()).hexdigest(), limit) for scope, limit in scopes]


def refused(request: HttpRequest) -> bool:
    """Whether any counter of this attempt is at its limit."""
    limits = _limits(request)
    counts = cache.get_many([key for key, _ in limits])
    return any(int(counts.get(key, 0)) >= limit for key, limit in limits)


def record_failure(request: HttpRequest) -> None:
    for key, _ in _limits(request):
        # add() starts the window on the first failure; incr() never extends it.
        if not cache.add(key, 1, timeout=int(WINDOW.total_seconds())):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=int(WINDOW.total_seconds()))


def clear_failures(request: HttpRequest) -> None:
    """A good password clears its own email+address counter only: the address and the email keep
    counting what others tried."""
    cache.delete(_limits(request)[0][0])


PASSWORDS_OFF = "Passwords are turned off here: sign in with {name}."


class LoginView(auth_views.LoginView):
    """Django's login, refusing with 429 once an email, an address or the pair has failed too often."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["local_passwords"] = settings.PLUMBLINE_LOCAL_PASSWORDS
        if sso_enabled():
            context["sso_name"] = settings.PLUMBLINE_OIDC_PROVIDER_NAME
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.PLUMBLINE_LOCAL_PASSWORDS:
            refusal = PASSWORDS_OFF.format(name=settings.PLUMBLINE_OIDC_PROVIDER_NAME)
            context = self.get_context_data(form=self.get_form_class()(request), passwords_off=refusal)
            return self.render_to_response(context, status=403)
        if refused(request):
            minutes = int(WINDOW.total_seconds() // 60)
            context = self.get_context_data(
                form=self.get_form_class()(request),
                too_many_attempts=f"Too many failed attempts. Try again in {minutes} minutes.",
            )
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        clear_failures(self.request)
        return super().form_valid(form)

    def form_invalid(self, form: Any) -> HttpResponse:
        record_failure(self.request)
        return super().form_invalid(form)
