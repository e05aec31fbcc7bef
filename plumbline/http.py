"""What every page and the API share at the HTTP level: read-only pages refuse other methods
with 405, and an API address answers errors in JSON even when no API view was reached."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

ViewFunc = Callable[..., HttpResponse]


def read_only(view: ViewFunc) -> ViewFunc:
    """A page that only reads: GET and HEAD, anything else 405 with Allow: GET, HEAD.

    Exempt from CSRF so a token-less POST meets that 405 instead of a 403 that would hide that
    the page takes no POST at all; safe, as no unsafe method ever reaches the view. Put it
    outermost, so the method is refused before the login and role checks."""
    return csrf_exempt(require_safe(view))


class BodyRefused(Exception):
    """A request body refused before it is read whole: `status` 400, 411 or 413, and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


READ_SIZE = 16 * 1024


def read_body(request: HttpRequest, limit: int, too_large: str) -> bytes:
    """The whole body, at most `limit` bytes, whether sent with a Content-Length or chunked; the
    limit holds while reading, so a larger body is never held in memory. BodyRefused otherwise
    (413 with the message `too_large`)."""
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not chunked:
        try:
            declared = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            raise BodyRefused(400, "bad Content-Length") from None
        if declared > limit:
            raise BodyRefused(413, too_large)
        raw = request.read(limit + 1)
        if len(raw) > limit:
            raise BodyRefused(413, too_large)
        return raw
    # Django reads a body by its Content-Length, which a chunked request has not: read the
    # server's decoded stream instead. Only a server that marks it terminated (gunicorn does)
    # ends it at the last chunk; elsewhere reading on would wait for the client to hang up.
    if not request.META.get("wsgi.input_terminated"):
        raise BodyRefused(411, "chunked bodies need a Content-Length on this server")
    stream = request.META["wsgi.input"]
    parts: list[bytes] = []
    size = 0
    while part := stream.read(READ_SIZE):
        size += len(part)
        if size > limit:
            raise BodyRefused(413, too_large)
        parts.append(part)
    return b"".join(parts)


def is_api_request(request: HttpRequest) -> bool:
    """Whether the request is addressed to the API (also when no API view matched it)."""
    return request.path_info.startswith(reverse("api:api-root"))


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 handler: JSON under the API, as every API error is; the 404 page elsewhere."""
    if is_api_request(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
