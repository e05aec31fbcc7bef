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


def is_api_request(request: HttpRequest) -> bool:
    """Whether the request is addressed to the API (also when no API view matched it)."""
    return request.path_info.startswith(reverse("api:api-root"))


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 handler: JSON under the API, as every API error is; the 404 page elsewhere."""
    if is_api_request(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
