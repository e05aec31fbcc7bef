"""The only way Plumbline calls out for health: a guarded HTTP client and a checked request.

A status URL or platform base URL is typed in by a user, so every outbound call is treated as
a possible SSRF: only http(s), redirects followed by hand (at most five, each hop re-checked),
bounded time and size, no proxies from the environment, and every address the host resolves to
must be public unless PLUMBLINE_OUTBOUND_ALLOW lists it (CIDRs or host names). The check happens
in the transport at connect time and the socket goes to the very address that was checked, so a
DNS answer that changes between check and connect (rebinding) cannot reach a private address;
the Host header and TLS SNI still carry the original host name.

Credentials come only from PLUMBLINE_CRED_* variables (read_secret) and reach only the origin they
were addressed to: a credentialed request redirected elsewhere, or a paging link elsewhere
(require_same_origin), is refused, never followed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import ipaddress
import json
import os
import re
import socket
import ssl
import time
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
from django.conf import settings

from catalog.spec.checks import not_a_credential_variable
from monitoring.platforms import throttle
from monitoring.platforms.contract import PollError

TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=5.0)
DEADLINE_SECONDS = 60.0  # a whole request, redirects included; read timeouts alone allow a slow drip
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
# 429 Too Many Requests and 503 Service Unavailable: a Retry-After up to MAX_WAIT_SECONDS is waited
# within the poll (at most MAX_WAITS times); a longer one defers the source's next poll.
THROTTLED = (429, 503)
MAX_WAIT_SECONDS = 30.0
MAX_WAITS = 3
MAX_PAGES = 50  # per poll; adapters resume from their cursor next time
SCHEMES = ("http", "https")
USER_AGENT = "Plumbline health poller"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+)*)")
_LINK_REL = re.compile(r'rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))', re.IGNORECASE)
_HEADER_SAFE = re.compile(r"[\x20-\x7e]+")  # printable ASCII: what a token or user:password is made of


class OutboundBlocked(PollError):
    """The URL or an address its host resolves to may not be called."""


@dataclass(frozen=True)
class Reply:
    """A fully read, size-checked response."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: httpx.URL

    @property
    def links(self) -> dict[str, str]:
        """The Link header (RFC 8288) as {rel: absolute URL}."""
        found: dict[str, str] = {}
        for value in self.headers.get_list("link"):
            for target, params in _LINK.findall(value):
                rel = _LINK_REL.search(params)
                for name in (rel.group(1) or rel.group(2)).split() if rel else ():
                    found.setdefault(name.lower(), str(self.url.join(target.strip())))
        return found

    def json(self, what: str) -> Any:
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError):
            raise PollError(f"{what}: the response is not valid JSON") from None


def read_secret(env_name: str) -> str:
    """The credential held in the named environment variable, read now; its value never enters a message.

    The name is checked again here, not only when the account was written: a row stored before the
    rule, or by a migration, must not send SECRET_KEY to whatever base_url it names.
    """
    if not env_name:
        raise PollError("no credential is configured (the platform account has no secret_env)")
    if problem := not_a_credential_variable(env_name):
        raise PollError(f"the platform account's secret_env is refused, nothing was sent: {problem}")
    value = os.environ.get(env_name, "").strip()
    if not value:
        raise PollError(f"environment variable {env_name} is not set")
    if not _HEADER_SAFE.fullmatch(value):
        # h11 would refuse it with an error quoting the header, i.e. the secret, into the poll error.
        raise PollError(f"environment variable {env_name} holds characters an HTTP header cannot carry")
    return value


def blocked_reason(ip: IPAddress) -> str | None:
    """Why this address is not public (None when it is), looking inside IPv6 wrappers of IPv4."""
    for candidate in (*_embedded_ipv4(ip), ip):
        reason = _own_reason(candidate)
        if reason:
            return reason if candidate is ip else f"{reason} (inside {ip})"
    return None


def _own_reason(ip: IPAddress) -> str | None:
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
        ("non-global", not ip.is_global),  # e.g. shared address space 100.64.0.0/10
    )
    return next((name for name, hit in checks if hit), None)


def _embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses carried by IPv4-mapped, 6to4, Teredo, NAT64 and IPv4-compatible IPv6 forms."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo:
        found.extend(ip.teredo)
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _allow_list() -> tuple[list[IPNetwork], set[str]]:
    """PLUMBLINE_OUTBOUND_ALLOW, read at call time: entries that parse as CIDRs are networks, the rest host names."""
    networks: list[IPNetwork] = []
    hosts: set[str] = set()
    for entry in getattr(settings, "PLUMBLINE_OUTBOUND_ALLOW", []):
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            hosts.add(entry.strip().rstrip(".").lower())
    return networks, hosts


def _is_allowed(ip: IPAddress, networks: Iterable[IPNetwork]) -> bool:
    candidates = (ip, *_embedded_ipv4(ip))
    return any(a.version == net.version and a in net for a in candidates for net in networks)


def resolve_checked(host: str, port: int) -> list[IPAddress]:
    """Resolve host and return its addresses, refusing if any of them is not public and not allowed."""
    networks, allowed_hosts = _allow_list()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise PollError(f"cannot resolve host {host}: {exc}") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])  # drop an IPv6 zone id
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise PollError(f"cannot resolve host {host}: no addresses")
    if host.rstrip(".").lower() in allowed_hosts:
        return addresses
    for address in addresses:
        reason = blocked_reason(address)
        if reason and not _is_allowed(address, networks):
            raise OutboundBlocked(
                f"refusing to connect to {host}: it resolves to {address}, a {reason} address "
                "(list it in PLUMBLINE_OUTBOUND_ALLOW to permit it)"
            )
    return addresses


class _PinnedBackend(httpcore.SyncBackend):
    """Resolves and checks the host at connect time, then connects to exactly the checked address."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in resolve_checked(host, port):
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Certificate verification with certifi's CAs, never SSL_CERT_FILE from the environment; loaded once."""
    return httpx.create_ssl_context(trust_env=False)


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        # httpx has no public hook for the network backend, so the pool is rebuilt around ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=10,
            max_keepalive_connections=5,
            keepalive_expiry=5.0,
            network_backend=_PinnedBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _check_scheme(request.url)
        return super().handle_request(request)


def make_client() -> httpx.Client:
    """A client for health calls; use it with send(), which follows redirects and caps the size."""
    return httpx.Client(
        transport=_GuardedTransport(),
        timeout=TIMEOUT,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


_shared: tuple[int, httpx.Client] | None = None


def shared_client() -> httpx.Client:
    """One polling client per process, so kept-alive connections outlive a batch of polls; a forked
    child (a Celery pool process) makes its own rather than share the parent's sockets."""
    global _shared
    if _shared is None or _shared[0] != os.getpid():
        _shared = (os.getpid(), make_client())
    return _shared[1]


def _check_scheme(url: httpx.URL) -> None:
    if url.scheme not in SCHEMES:
        raise OutboundBlocked(f"refusing the {url.scheme or 'missing'} scheme: only http and https are allowed")
    if not url.host:
        raise OutboundBlocked("refusing a URL without a host")


def require_same_origin(url: str | httpx.URL, base: str, what: str) -> httpx.URL:
    """A paging link must stay on the platform's own origin: the credential goes with it."""
    target = httpx.URL(base).join(str(url))
    if _origin(target) != _origin(httpx.URL(base)):
        raise PollError(f"{what}: next-page link leaves {_shown(httpx.URL(base))}")
    return target


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _shown(url: httpx.URL) -> str:
    """The URL without query string or user info, for messages."""
    return str(url.copy_with(query=None, userinfo=b"", fragment=None))


def send(
    client: httpx.Client,
    method: str,
    url: str | httpx.URL,
    *,
    what: str,
    params: Mapping[str, str | int] | None = None,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
    content: bytes | None = None,
    credential_in_body: bool = False,
) -> Reply:
    """Make one checked request; a refused credential, a non-2xx status or a timeout is a PollError.

    `what` names the call in messages ("Boomi ExecutionRecord query"). Never put a secret in it.
    """
    target = httpx.URL(str(url), params=params) if params else httpx.URL(str(url))
    request_headers = dict(headers or {})
    # A credential goes only to the origin the caller addressed (its account's base_url): a redirect
    # elsewhere is refused rather than followed without it, so what is read is the platform's answer.
    # (credential_in_body: the body carries one, e.g. a client secret exchanged for a token.)
    carries_credential = credential_in_body or any(k.lower() == "authorization" for k in request_headers)
    credential_origin = _origin(target) if carries_credential else None
    deadline = time.monotonic() + DEADLINE_SECONDS
    redirects = waits = 0
    while redirects <= MAX_REDIRECTS:
        _check_scheme(target)
        if (
            throttle.wait_for_slot(method, target.path, max(0.0, min(MAX_WAIT_SECONDS, deadline - time.monotonic())))
            is None
        ):
            raise Throttled(
                f"{what}: the account's documented rate limit leaves no call free within {MAX_WAIT_SECONDS:.0f} s",
                MAX_WAIT_SECONDS,
            )
        request = client.build_request(method, target, headers=request_headers, json=json_body, content=content)
        try:
            response = client.send(request, stream=True, follow_redirects=False)
            try:
                if response.is_redirect:
                    following = _redirect_target(response, what)
                    if credential_origin and _origin(following) != credential_origin:
                        raise PollError(
                            f"{what}: {_shown(target)} redirects to {_shown(following.copy_with(path='/'))}, "
                            "another origin; the credential is sent only to the platform account's base_url"
                        )
                    if response.status_code == 303 or (response.status_code in (301, 302) and method != "GET"):
                        method, json_body, content = "GET", None, None
                    target = following
                    redirects += 1
                    continue
                body = _read_capped(response, what, deadline)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise PollError(f"{what}: {_shown(target)} timed out") from None
        except httpx.HTTPError as exc:
            raise PollError(f"{what}: request to {_shown(target)} failed: {type(exc).__name__}: {exc}"[:300]) from None
        reply = Reply(response.status_code, response.headers, body, target)
        if reply.status_code in THROTTLED and waits < MAX_WAITS:
            # The platform asks to be called again shortly: wait within the poll when it is soon enough.
            wait = retry_after(reply)
            if wait is not None and wait <= MAX_WAIT_SECONDS and time.monotonic() + wait < deadline:
                time.sleep(wait)
                waits += 1
                continue
        _check_status(reply, what)
        return reply
    raise PollError(f"{what}: more than {MAX_REDIRECTS} redirects")


def retry_after(reply: Reply) -> float | None:
    """The Retry-After header in seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = reply.headers.get("retry-after", "").strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


def _redirect_target(response: httpx.Response, what: str) -> httpx.URL:
    location = response.headers.get("location")
    if not location:
        raise PollError(f"{what}: HTTP {response.status_code} redirect without a Location")
    try:
        return response.url.join(location)
    except httpx.InvalidURL:
        raise PollError(f"{what}: redirect to an invalid URL") from None


def _read_capped(response: httpx.Response, what: str, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise PollError(f"{what}: response larger than {MAX_RESPONSE_BYTES} bytes")
    body = bytearray()
    for chunk in response.iter_bytes():  # decoded bytes, so a compressed bomb is capped too
        body.extend(chunk)
        if len(body) > MAX_RESPONSE_BYTES:
            raise PollError(f"{what}: response larger than {MAX_RESPONSE_BYTES} bytes")
        if time.monotonic() > deadline:
            raise PollError(f"{what}: {_shown(response.url)} timed out")
    return bytes(body)


class Throttled(PollError):
    """The platform refused for now (429, or 503 while it is down): a poll error of the source, never the
    integration being down; the source is polled again once `retry_after` seconds have passed."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StatusError(PollError):
    """The platform answered the call named `what` with a status that is not a success."""

    def __init__(self, message: str, status_code: int, what: str, body: bytes = b"") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.what = what
        self.body = body  # the start of the answer, for a caller that shows the vendor's own reason


def _check_status(reply: Reply, what: str) -> None:
    status = reply.status_code
    if status in THROTTLED:
        wait = retry_after(reply)
        later = f"; asked to retry after {wait:.0f} s" if wait is not None else ""
        kind = "rate limited" if status == 429 else "unavailable"
        raise Throttled(f"{what}: {kind} (HTTP {status}) by {_shown(reply.url)}{later}", wait)
    if status in (401, 403):
        raise StatusError(f"{what}: credentials refused (HTTP {status})", status, what)
    if status >= 500:
        raise StatusError(f"{what}: server error (HTTP {status}) from {_shown(reply.url)}", status, what)
    if not 200 <= status < 300:
        raise StatusError(
            f"{what}: unexpected HTTP {status} from {_shown(reply.url)}", status, what, reply.content[:500]
        )
