"""The client's address behind reverse proxies. gunicorn's REMOTE_ADDR is its peer: behind nginx, always
127.0.0.1, so the login limits per address (plumbline/accounts/login.py) would count every client as one
and thirty failures by anyone would lock everyone out. With PLUMBLINE_PROXIES=N (1 behind
deploy/nginx/plumbline.conf), REMOTE_ADDR becomes the address the outermost of the N proxies saw: the Nth
entry from the end of X-Forwarded-For, which each proxy appends to. Entries before it are whatever the
client sent, never believed."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def client_address(remote_addr: str, forwarded_for: str, proxies: int) -> str:
    """The client's address: REMOTE_ADDR unless `proxies` proxies forwarded the request; a header
    shorter than that (a request that bypassed them) or an entry that is no address leaves it as it is."""
    if proxies <= 0:
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote_addr
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote_addr


class ForwardedForMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if proxies := settings.PLUMBLINE_PROXIES:
            meta = request.META
            meta["REMOTE_ADDR"] = client_address(
                meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""), proxies
            )
        return self.get_response(request)
