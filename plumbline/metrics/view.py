"""/metrics: the counters and the state gauges in Prometheus's text format, for a scraper only.

Off (404) unless PLUMBLINE_METRICS_TOKEN or PLUMBLINE_METRICS_ALLOW is set. With a token, the
scraper sends `Authorization: Bearer <token>` (compared in constant time): missing or wrong is a
401. With an allowlist, REMOTE_ADDR (the direct peer: a proxy in front answers for everyone
behind it) must be in one of its networks: elsewhere a 403. With both, both must hold. No
session, no CSRF: a scraper has neither. A refusal carries no metric.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from plumbline.http import read_only
from plumbline.metrics.state import StateCollector

STATE = CollectorRegistry(auto_describe=False)
STATE.register(StateCollector())


@read_only
def metrics(request: HttpRequest) -> HttpResponse:
    token, allow = settings.PLUMBLINE_METRICS_TOKEN, settings.PLUMBLINE_METRICS_ALLOW
    if not token and not allow:
        raise Http404("metrics are off")
    refused = refusal(request.headers.get("Authorization", ""), request.META.get("REMOTE_ADDR", ""), token, allow)
    if refused:
        status, message = refused
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
        if status == 401:
            response["WWW-Authenticate"] = CHALLENGE
        return response
    return HttpResponse(generate_latest(counters()) + generate_latest(STATE), content_type=CONTENT_TYPE_LATEST)


CHALLENGE = 'Bearer realm="metrics"'


def refusal(authorization: str, address: str, token: str, allow: list[str]) -> tuple[int, str] | None:
    """Why a scraper may not read the metrics (status and message), or None when it may."""
    if allow and not address_allowed(address, allow):
        return 403, "not an allowed scraper address"
    if token and not bearer_matches(authorization, token):
        return 401, "a bearer token is required"
    return None


def counters() -> CollectorRegistry:
    """This process's counters, or under PROMETHEUS_MULTIPROC_DIR every process's, added up."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def bearer_matches(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def address_allowed(address: str, allow: list[str]) -> bool:
    """Whether `address` is in one of the networks (or is one of the addresses) in `allow`."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # a dual-stack socket's IPv4 peer
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in allow)
