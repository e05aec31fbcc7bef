"""Heartbeat endpoints: /ping/<uuid> (success), /ping/<uuid>/start, /ping/<uuid>/fail; and, under
the platform-wide ping key (PLUMBLINE_PING_KEY), /ping/<key>/<slug>[/start|/fail].

No login and no CSRF: the secret is the uuid, or the ping key. "OK" means the ping is stored: its
run and state are applied moments later (monitoring/ingest/pending.py), and before any page or API
call reads health. Refusals (400 a body that is not the documented JSON or holds what cannot be
stored, 411 a chunked body the server cannot delimit, 413 body over 100 KB however it is sent, 404
unknown uuid or wrong/unset ping key, 409 not a heartbeat source, 429 over the rate limit) write
nothing. An unknown uuid is 404 whatever its body: the body of a ping nobody may send is never
judged (answering 400 would tell a prober more than "not found"). A ping for an
integration whose health kind is not heartbeat is refused with 409 rather than mixed into runs
another source reports; with kind none (unmonitored) there is no source: 409 too. A slug no
integration has is recorded as an observed connection (202).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from monitoring import conf
from monitoring.health.sources import NotMonitored
from monitoring.ingest.heartbeats import (
    RateLimited,
    UnknownPing,
    WrongKind,
    accept_ping_by_key,
    accept_ping_to,
    is_ping_uuid,
    observe_heartbeat,
    schedule_apply,
)
from monitoring.ingest.pings import MAX_BODY_BYTES, BadPing, PingBody, parse_ping_body
from plumbline.http import BodyRefused, read_body

TOO_LARGE = "body over 100 KB"


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ping(request: HttpRequest, ping_uuid: str, signal: str = "success") -> HttpResponse:
    def record(body: PingBody) -> None:
        accept_ping_to(ping_uuid, signal, body)

    # Checked only when the body is refused, so a good ping costs no extra query.
    return _answer(request, record, known=lambda: is_ping_uuid(ping_uuid))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def slug_ping(request: HttpRequest, ping_key: str, slug: str, signal: str = "success") -> HttpResponse:
    expected = conf.ping_key()
    # Constant time, so the key cannot be guessed byte by byte from response times.
    if not expected or not hmac.compare_digest(ping_key.encode(), expected.encode()):
        return _text("not found", 404)

    def record(body: PingBody) -> HttpResponse | None:
        try:
            accept_ping_by_key(slug, signal, body)
        except UnknownPing:
            observe_heartbeat(slug)
            return _text(f"Accepted, but no spec describes {slug!r}: recorded as an undocumented connection.", 202)
        return None

    return _answer(request, record)


# Heartbeat senders are scripts: refusals (a database outage too: monitoring/middleware.py) come as text.
ping.plain_text_errors = True  # type: ignore[attr-defined]
slug_ping.plain_text_errors = True  # type: ignore[attr-defined]


def _answer(
    request: HttpRequest,
    record: Callable[[PingBody], HttpResponse | None],
    known: Callable[[], bool] = lambda: True,
) -> HttpResponse:
    """Read and check the body, record it, and turn each refusal into its status; "OK" unless
    `record` returns a response of its own. `known`: whether the ping URL exists, asked before
    a refusal of the body is answered."""
    raw = _read_body(request)
    if isinstance(raw, HttpResponse):
        return raw
    try:
        body = parse_ping_body(raw)
    except BadPing as exc:
        return _text(str(exc), 400) if known() else _text("not found", 404)
    try:
        answered = record(body)
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
    if answered:
        return answered
    schedule_apply()
    return _text("OK")


def _read_body(request: HttpRequest) -> bytes | HttpResponse:
    """The whole body, at most MAX_BODY_BYTES (plumbline.http.read_body), or the refusal as text."""
    try:
        return read_body(request, MAX_BODY_BYTES, TOO_LARGE)
    except BodyRefused as refused:
        return _text(refused.message, refused.status)
