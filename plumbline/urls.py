from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path

from monitoring.views.api import router as runs_router
from plumbline.accounts.login import LoginView
from plumbline.accounts.oidc.views import CallbackView, LogoutView, StartView
from plumbline.http import not_found
from plumbline.metrics.view import metrics

ADMINS_ONLY = (
    "The Django admin is for admins: users, roles, API tokens and raw records. Everything else is in the pages."
)


def admins_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An admin page for those the admin lets in; anyone else never sees Django's own login:
    anonymous -> Plumbline's login page, signed in without the admin role -> our 403 page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if admin.site.has_permission(request):
            return view(request, *args, **kwargs)
        if not request.user.is_authenticated:
            # The admin's login asks with ?next=; any other admin page is itself where to go next.
            at_login = request.resolver_match is not None and request.resolver_match.url_name == "login"
            wanted = request.GET.get("next", "") if at_login else ""
            return redirect_to_login(wanted or request.get_full_path())
        raise PermissionDenied(ADMINS_ONLY)

    return wrapped


def guarded(patterns: Sequence[URLPattern | URLResolver]) -> Sequence[URLPattern | URLResolver]:
    """Every view under `patterns` (included ones too) wrapped in admins_only."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            guarded(pattern.url_patterns)
        else:
            pattern.callback = admins_only(pattern.callback)
    return patterns


admin_patterns, admin_app, admin_namespace = admin.site.urls

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    # Single sign-on: these answer 404 unless OIDC_ISSUER is set.
    path("login/sso/", StartView.as_view(), name="sso-start"),
    path("login/sso/callback/", CallbackView.as_view(), name="sso-callback"),
    path("logout/", LogoutView.as_view(), name="logout"),
    # The admin's "Log out" too, so it also ends the provider's session (matched before the admin's own).
    path("admin/logout/", LogoutView.as_view()),
    path("admin/", (guarded(admin_patterns), admin_app, admin_namespace)),
    path("metrics", metrics, name="metrics"),
    path("api/v1/", include("catalog.api.urls")),
    path("api/v1/", include(runs_router.urls)),
    path("", include("monitoring.urls")),
    path("", include("catalog.urls")),
]


# An API address matching nothing still answers in JSON.
handler404 = not_found
