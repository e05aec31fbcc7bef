"""monitoring.platforms.outbound: the SSRF guard, redirects, limits and secrets, against real local servers."""

from __future__ import annotations

import gzip
import ipaddress
import logging
import shutil
import socket
import subprocess
import time

import httpx
import pytest

from monitoring.platforms import outbound
from monitoring.platforms.contract import PollError
from monitoring.platforms.outbound import OutboundBlocked
from tests.monitoring.standins import Answer, StandIn, StatusPage

STATUS: dict[str, list[dict]] = {"runs": [], "failed_records": []}


@pytest.fixture
def nothing_allowed(settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = []


@pytest.fixture
def loopback_allowed(settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]


def get(outbound_client, url):
    return outbound.send(outbound_client, "GET", url, what="test call")


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.10", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-global"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::1", "loopback (inside 2002:7f00:1::1)"),
        ("2002:a9fe:a9fe::1", "link-local (inside 2002:a9fe:a9fe::1)"),
        ("64:ff9b::a00:1", "private (inside 64:ff9b::a00:1)"),
    ],
)
def test_non_public_addresses_are_blocked_with_their_reason(address, reason):
    assert outbound.blocked_reason(ipaddress.ip_address(address)) is not None
    assert reason in outbound.blocked_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_not_blocked(address):
    assert outbound.blocked_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/status",
        "http://10.0.0.1/status",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/status",
        "http://0.0.0.0:{port}/status",
        "http://localhost:{port}/status",
        "http://[::ffff:127.0.0.1]:{port}/status",
    ],
)
def test_private_loopback_and_metadata_urls_are_refused_before_connecting(nothing_allowed, outbound_client, url):
    page = StatusPage(STATUS)
    with page as base_url:
        port = base_url.rsplit(":", 1)[1]
        with pytest.raises(OutboundBlocked, match="refusing to connect"):
            get(outbound_client, url.format(port=port))
    assert page.requests == []


def test_loopback_is_reachable_when_the_allow_list_has_its_cidr(loopback_allowed, outbound_client):
    with StatusPage(STATUS) as base_url:
        reply = get(outbound_client, f"{base_url}/status")
    assert reply.status_code == 200
    assert reply.json("test call") == STATUS


def test_an_allowed_cidr_does_not_open_other_private_addresses(loopback_allowed, outbound_client):
    with pytest.raises(OutboundBlocked, match=r"10\.0\.0\.1, a private address"):
        get(outbound_client, "http://10.0.0.1/status")


def test_a_host_name_on_the_allow_list_may_resolve_to_loopback(settings, outbound_client):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["localhost"]
    with StatusPage(STATUS) as base_url:
        port = base_url.rsplit(":", 1)[1]
        reply = get(outbound_client, f"http://localhost:{port}/status")
    assert reply.status_code == 200


def test_allow_list_is_read_at_call_time(settings, outbound_client):
    settings.PLUMBLINE_OUTBOUND_ALLOW = []
    with StatusPage(STATUS) as base_url:
        with pytest.raises(OutboundBlocked):
            get(outbound_client, f"{base_url}/status")
        settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
        assert get(outbound_client, f"{base_url}/status").status_code == 200


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://[::1]:{port}/status", "http://10.0.0.1/"],
)
def test_a_redirect_from_an_allowed_server_to_a_blocked_address_is_refused(loopback_allowed, outbound_client, location):
    server = StatusPage(STATUS)
    with server as base_url:
        port = base_url.rsplit(":", 1)[1]
        server.route("GET", "/hop", lambda r, m: Answer(302, headers={"Location": location.format(port=port)}))
        with pytest.raises(OutboundBlocked, match="refusing to connect"):
            get(outbound_client, f"{base_url}/hop")
    assert [r.path for r in server.requests] == ["/hop"]


def test_a_redirect_to_a_file_url_is_refused(loopback_allowed, outbound_client):
    server = StandIn()
    server.route("GET", "/hop", lambda r, m: Answer(302, headers={"Location": "file:///etc/passwd"}))
    with server as base_url, pytest.raises(OutboundBlocked, match="only http and https"):
        get(outbound_client, f"{base_url}/hop")


def test_redirects_within_allowed_addresses_are_followed(loopback_allowed, outbound_client):
    server = StatusPage(STATUS)
    server.route("GET", "/hop", lambda r, m: Answer(301, headers={"Location": "/status"}))
    with server as base_url:
        reply = get(outbound_client, f"{base_url}/hop")
    assert reply.json("test call") == STATUS
    assert str(reply.url).endswith("/status")


def test_more_than_five_redirects_is_an_error(loopback_allowed, outbound_client):
    server = StandIn()
    server.route("GET", r"/hop/(\d+)", lambda r, m: Answer(302, headers={"Location": f"/hop/{int(m[1]) + 1}"}))
    with server as base_url, pytest.raises(PollError, match="more than 5 redirects"):
        get(outbound_client, f"{base_url}/hop/0")
    assert len(server.requests) == 6


@pytest.mark.parametrize("url", ["ftp://example.com/status", "file:///etc/passwd", "gopher://example.com/"])
def test_only_http_and_https_schemes_are_allowed(nothing_allowed, outbound_client, url):
    with pytest.raises(OutboundBlocked, match="only http and https"):
        get(outbound_client, url)


def test_the_transport_itself_refuses_blocked_addresses(nothing_allowed, outbound_client):
    # A plain outbound_client.get() without send() still goes through the guarded transport.
    with pytest.raises(OutboundBlocked):
        outbound_client.get("http://169.254.169.254/latest/meta-data/")


def test_connects_to_the_address_that_was_checked_and_keeps_the_host_header(
    loopback_allowed, outbound_client, monkeypatch
):
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1", "10.0.0.1", "10.0.0.1"])  # a rebinding resolver: the second answer is private
    lookups = []

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        if host == "status.example.test":
            lookups.append(host)
            return real_getaddrinfo(next(answers), port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    page = StatusPage(STATUS)
    with page as base_url:
        port = base_url.rsplit(":", 1)[1]
        reply = get(outbound_client, f"http://status.example.test:{port}/status")
    assert reply.status_code == 200
    assert lookups == ["status.example.test"]  # resolved once, at connect time
    assert page.requests[0].headers["host"] == f"status.example.test:{port}"


def test_https_sends_the_host_name_as_sni_and_verifies_the_certificate(
    loopback_allowed, outbound_client, monkeypatch, tmp_path
):
    assert shutil.which("openssl"), "bin/setup installs openssl: it makes this test's certificate"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key)]
    subprocess.run(
        ["openssl", "req", "-x509", *new_key, "-subj", "/CN=status.example.test", "-days", "1", "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    real_getaddrinfo = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        return real_getaddrinfo("127.0.0.1" if host == "status.example.test" else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    page = StatusPage(STATUS)
    page.tls = (cert, key)
    with page as base_url:
        port = base_url.rsplit(":", 1)[1]
        # The stand-in's certificate is self-signed, so verification (which stays on) refuses it.
        with pytest.raises(PollError, match="failed: ConnectError"):
            get(outbound_client, f"https://status.example.test:{port}/status")
    assert page.sni_names == ["status.example.test"]
    assert page.requests == []


def test_a_declared_oversized_response_is_refused(loopback_allowed, outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_RESPONSE_BYTES", 1000)
    server = StandIn()
    server.route("GET", "/big", lambda r, m: Answer(200, b"x" * 2000))
    with server as base_url, pytest.raises(PollError, match="larger than 1000 bytes"):
        get(outbound_client, f"{base_url}/big")


def test_a_compressed_response_is_capped_after_decoding(loopback_allowed, outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_RESPONSE_BYTES", 1000)
    bomb = gzip.compress(b"0" * 100_000)
    server = StandIn()
    server.route("GET", "/bomb", lambda r, m: Answer(200, bomb, {"Content-Encoding": "gzip"}))
    with server as base_url, pytest.raises(PollError, match="larger than 1000 bytes"):
        get(outbound_client, f"{base_url}/bomb")


def test_a_slow_server_times_out_as_a_poll_error(loopback_allowed, monkeypatch):
    monkeypatch.setattr(outbound, "TIMEOUT", httpx.Timeout(0.2))

    def slow(request, match):
        time.sleep(1)
        return Answer(200, STATUS)

    server = StandIn()
    server.route("GET", "/slow", slow)
    with server as base_url, outbound.make_client() as outbound_client, pytest.raises(PollError, match="timed out"):
        get(outbound_client, f"{base_url}/slow")


@pytest.mark.parametrize(("status", "message"), [(401, "credentials refused"), (403, "credentials refused")])
def test_refused_credentials_are_a_poll_error(loopback_allowed, outbound_client, status, message):
    server = StandIn()
    server.route("GET", "/x", lambda r, m: Answer(status, {"message": "no"}))
    with server as base_url, pytest.raises(PollError, match=f"{message} \\(HTTP {status}\\)"):
        get(outbound_client, f"{base_url}/x")


def test_a_server_error_is_a_poll_error(loopback_allowed, outbound_client):
    server = StandIn()
    server.route("GET", "/x", lambda r, m: Answer(500, {"message": "down"}))
    with server as base_url, pytest.raises(PollError, match=r"server error \(HTTP 500\)"):
        get(outbound_client, f"{base_url}/x")


def test_a_platform_unavailable_is_a_throttle_with_its_retry_after(loopback_allowed, outbound_client):
    server = StandIn()
    server.route("GET", "/x", lambda r, m: Answer(503, {"message": "maintenance"}, {"Retry-After": "600"}))
    with server as base_url, pytest.raises(outbound.Throttled, match=r"unavailable \(HTTP 503\)") as refused:
        get(outbound_client, f"{base_url}/x")
    assert refused.value.retry_after == 600.0
    assert len(server.requests) == 1


def test_a_response_that_is_not_json_is_a_poll_error(loopback_allowed, outbound_client):
    server = StandIn()
    server.route("GET", "/x", lambda r, m: Answer(200, b"<html>oops</html>"))
    with server as base_url:
        reply = get(outbound_client, f"{base_url}/x")
    with pytest.raises(PollError, match="not valid JSON"):
        reply.json("test call")


def test_link_header_is_read_as_absolute_urls():
    reply = outbound.Reply(
        200,
        httpx.Headers({"Link": '</v1/jobs?skip=2>; rel="next", <https://api.example.com/v1/jobs?skip=0>; rel=prev'}),
        b"[]",
        httpx.URL("https://api.example.com/v1/jobs"),
    )
    assert reply.links == {
        "next": "https://api.example.com/v1/jobs?skip=2",
        "prev": "https://api.example.com/v1/jobs?skip=0",
    }


def test_a_next_page_link_to_another_origin_is_refused():
    with pytest.raises(PollError, match=r"leaves https://api\.example\.com"):
        outbound.require_same_origin("https://evil.example.net/v1/jobs", "https://api.example.com", "Celigo jobs")


def test_read_secret_reads_the_environment_at_call_time(monkeypatch):
    monkeypatch.delenv("PLUMBLINE_CRED_TEST_TOKEN", raising=False)
    with pytest.raises(PollError, match="environment variable PLUMBLINE_CRED_TEST_TOKEN is not set"):
        outbound.read_secret("PLUMBLINE_CRED_TEST_TOKEN")
    monkeypatch.setenv("PLUMBLINE_CRED_TEST_TOKEN", "tok-123")
    assert outbound.read_secret("PLUMBLINE_CRED_TEST_TOKEN") == "tok-123"


def test_read_secret_without_a_name_is_a_poll_error():
    with pytest.raises(PollError, match="no credential is configured"):
        outbound.read_secret("")


def test_a_refused_credential_never_shows_the_secret(loopback_allowed, outbound_client, caplog):
    caplog.set_level(logging.DEBUG)
    server = StandIn()
    server.route("GET", "/x", lambda r, m: Answer(401, {"message": "bad token"}))
    with server as base_url, pytest.raises(PollError) as raised:
        outbound.send(
            outbound_client, "GET", f"{base_url}/x", what="t", headers={"Authorization": "Bearer sup3r-s3cret"}
        )
    assert "sup3r-s3cret" not in str(raised.value)
    assert "sup3r-s3cret" not in caplog.text
