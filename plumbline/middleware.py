"""Project-wide middleware: the Content-Security-Policy header, and answers for when the database
cannot be reached (a 503 with Retry-After instead of a 500, for pages, the API and pings alike, so
clients retry and people see what is wrong)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from rest_framework.views import APIView

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
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        view = request.resolver_match.func if request.resolver_match else None
        response: HttpResponse
        if isinstance(getattr(view, "cls", None), type) and issubclass(view.cls, APIView):  # type: ignore[union-attr]
            response = JsonResponse({"detail": MESSAGE}, status=503)
        elif getattr(view, "plain_text_errors", False):  # machine endpoints such as pings
            response = HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
