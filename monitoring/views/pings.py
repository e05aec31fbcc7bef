"""Heartbeat endpoints: /ping/<uuid> (success), /ping/<uuid>/start, /ping/<uuid>/fail.

No login and no CSRF: the secret is the uuid. Refusals (400 bad JSON, 413 body over 100 KB,
404 unknown uuid, 409 not a heartbeat source, 429 over the rate limit) write nothing.
A ping for an integration whose health kind is not heartbeat is refused with 409 rather than
mixed into runs another source reports; with kind none (unmonitored) there is no source: 409 too.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from monitoring.pings import MAX_BODY_BYTES, BadPing, parse_ping_body
from monitoring.recording import NotMonitored, RateLimited, UnknownPing, WrongKind, record_ping_to


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ping(request: HttpRequest, ping_uuid: str, signal: str = "success") -> HttpResponse:
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _text("bad Content-Length", 400)
    if declared > MAX_BODY_BYTES:
        return _text("body over 100 KB", 413)
    raw = request.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        return _text("body over 100 KB", 413)
    try:
        body = parse_ping_body(raw)
    except BadPing as exc:
        return _text(str(exc), 400)
    try:
        record_ping_to(ping_uuid, signal, body)
    except UnknownPing:
        return _text("not found", 404)
    except RateLimited as exc:
        response = _text(str(exc), 429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except WrongKind as exc:
        return _text(str(exc), 409)
    except NotMonitored:
        return _text("health kind is none, not heartbeat", 409)
    return _text("OK")
