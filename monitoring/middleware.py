"""PingMiddleware: heartbeat pings answered without the middleware they never use.

A ping is a script's POST to /ping/<uuid> (monitoring/views/pings.py): no login, no cookie, no form,
CSRF-exempt. Passed down the whole stack it paid for a session, a CSRF check, a user and a message
store it never reads: a third of its CPU in the web server, which is what bounds how many pings a
server takes (bench/health_bench.py). This middleware sits below the ones that set the security
headers (settings.MIDDLEWARE) and above the rest, and calls the ping views itself. What the skipped
middleware would still have done for a ping is done here: a database that cannot be reached answers
503 in text, as DatabaseUnavailableMiddleware answers it. The query string, which
UnstorableInputMiddleware checks, is never read by a ping view.

Every ping's answer is counted here (plumbline/metrics): accepted, or refused by status.

Any other address, under /ping/ or not, goes down the whole stack as before.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from monitoring.views import pings
from plumbline import metrics
from plumbline.middleware import DATABASE_UNAVAILABLE, database_unavailable

PREFIX = "/ping/"
PING_VIEWS = (pings.ping, pings.slug_ping)


class PingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        if match.func not in PING_VIEWS:
            return self.get_response(request)
        request.resolver_match = match
        try:
            response: HttpResponse = match.func(request, *match.args, **match.kwargs)
        except DATABASE_UNAVAILABLE:
            response = database_unavailable(match.func)
        metrics.count_ping(response.status_code, match.kwargs.get("signal", "success"))
        return response
