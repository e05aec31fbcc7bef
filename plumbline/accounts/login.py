"""The login page, rate limited: after MAX_FAILURES failed logins for one email from one
address within WINDOW, further attempts are refused until the window ends."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)


def _attempts_key(request: HttpRequest) -> str:
    email = str(request.POST.get("username", "")).strip().lower()
    address = request.META.get("REMOTE_ADDR", "")
    # Hashed so cache keys stay short and safe whatever was typed.
    return "login-failures:" + hashlib.sha256(f"{email}|{address}".encode()).hexdigest()


def failures(request: HttpRequest) -> int:
    return int(cache.get(_attempts_key(request), 0))


def record_failure(request: HttpRequest) -> None:
    key = _attempts_key(request)
    # add() starts the window on the first failure; incr() never extends it.
    if not cache.add(key, 1, timeout=int(WINDOW.total_seconds())):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=int(WINDOW.total_seconds()))


def clear_failures(request: HttpRequest) -> None:
    cache.delete(_attempts_key(request))


class LoginView(auth_views.LoginView):
    """Django's login, refusing with 429 once an email+address pair has failed too often."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if failures(request) >= MAX_FAILURES:
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
