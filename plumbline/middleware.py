"""Project-wide middleware:

- ContentSecurityPolicyMiddleware: the Content-Security-Policy header on every response.
- DatabaseUnavailableMiddleware: a 503 with Retry-After instead of a 500 when the database cannot be
  reached, for pages, the API and pings alike, so clients retry and people see what is wrong.
- UnstorableInputMiddleware: a 400 for a request whose address or form carries text no database can
  store. PostgreSQL text cannot hold NUL, nor can a query compare with it: `/people/%00/` or
  `?owner=%00` would fail inside the database as a 500, and a form field with NUL would fail when
  saved. Checked once, after CSRF, for every view: the URL's parameters, the query string, and the
  fields of form posts. Query strings and forms cannot carry lone surrogates (Django decodes those
  bytes as replacement characters); JSON bodies are the API parser's to check (catalog.api.parsers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from rest_framework.views import APIView

from plumbline import storable
from plumbline.http import is_api_request

RETRY_AFTER_SECONDS = 30
MESSAGE = "Plumbline cannot reach its database. Try again in a minute."


class ContentSecurityPolicyMiddleware:
    """Sets settings.CONTENT_SECURITY_POLICY on every response that has no policy of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy: str = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not self.policy:
            return response
        policy = self.policy
        if getattr(response, "accepted_media_type", "") == "text/html":
            # DRF's browsable API (the API read in a browser) styles its pages inline; scripts stay 'self'.
            policy = policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        response.headers.setdefault("Content-Security-Policy", policy)
        return response


class DatabaseUnavailableMiddleware:
    """Turns a lost or refused database connection in a view into 503 Service Unavailable.

    The page is rendered without the request, so nothing on it (the user, the session) asks the
    database again. CONN_HEALTH_CHECKS (settings.py) makes the next request open a new connection.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        return database_unavailable(request.resolver_match.func if request.resolver_match else None)


DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def database_unavailable(view: Callable[..., Any] | None) -> HttpResponse:
    """503 with Retry-After, as the view's callers read it: JSON for the API, text for machine
    endpoints (views marked plain_text_errors, such as pings), the 503 page for people."""
    response: HttpResponse
    if isinstance(getattr(view, "cls", None), type) and issubclass(view.cls, APIView):  # type: ignore[union-attr]
        response = JsonResponse({"detail": MESSAGE}, status=503)
    elif getattr(view, "plain_text_errors", False):
        response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _named(name: str) -> str:
    # A parameter name with a NUL in it is shown escaped, so the answer can name it.
    return name.encode("unicode_escape").decode("ascii")


def _text_problems(pairs: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, str]]:
    for name, value in pairs:
        if found := storable.text_problem(name):
            yield _named(name), f"the name {found}"
        elif isinstance(value, str) and (found := storable.text_problem(value)):
            yield name, found


def unstorable_input(request: HttpRequest, view: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, list[str]]:
    """Every URL parameter, query parameter and form field that cannot be stored, with why."""
    pairs: list[tuple[str, Any]] = list(kwargs.items())
    pairs += [(name, value) for name, values in request.GET.lists() for value in values]
    # Only forms CSRF has read already: a csrf_exempt view (the API, pings) reads its own body.
    if request.method == "POST" and request.content_type in FORM_TYPES and not getattr(view, "csrf_exempt", False):
        pairs += [(name, value) for name, values in request.POST.lists() for value in values]
        pairs += [(name, upload.name or "") for name, uploads in request.FILES.lists() for upload in uploads]
    errors: dict[str, list[str]] = {}
    for name, message in _text_problems(pairs):
        errors.setdefault(name, []).append(message)
    return errors


class UnstorableInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        errors = unstorable_input(request, view, kwargs)
        if not errors:
            return None
        if is_api_request(request):
            return JsonResponse(errors, status=400)
        back = request.path if not any(name in kwargs for name in errors) else "/"
        return render(request, "400.html", {"errors": sorted(errors.items()), "back": back}, status=400)
