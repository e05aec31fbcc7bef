"""What every page and the API share at the HTTP level: an API address answers errors in JSON
even when no API view was reached."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

# Where plumbline/urls.py mounts the API.
API_PREFIX = "/api/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 handler: JSON under the API, as every API error is; the 404 page elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
