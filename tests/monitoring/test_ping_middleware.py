"""PingMiddleware (monitoring/middleware.py): pings answered above the session machinery, with the
headers every answer carries; every other address down the whole stack."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from monitoring.models import PendingPing
from plumbline.accounts.roles import assign_role

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")


@pytest.fixture
def viewer(django_user_model):
    user = django_user_model.objects.create_user("viewer@example.com", "viewer@example.com", "pw-0123456789")
    assign_role(user, "viewer")
    return user


def security_headers(response) -> dict[str, str | None]:
    return {name: response.headers.get(name) for name in SECURITY_HEADERS}


def test_a_ping_is_answered_without_session_user_or_messages(client, integration):
    response = client.post(f"/ping/{integration.ping_uuid}", data=b"", content_type="application/json")
    assert (response.status_code, response.content) == (200, b"OK")
    request = response.wsgi_request
    assert not any(hasattr(request, name) for name in ("session", "user", "_messages"))
    assert request.resolver_match.url_name == "ping"
    assert PendingPing.objects.count() == 1


def test_a_ping_carries_the_security_headers_a_page_does(client, integration, viewer):
    ping = client.post(f"/ping/{integration.ping_uuid}/start", data=b"", content_type="application/json")
    client.force_login(viewer)
    page = client.get("/")
    assert security_headers(ping) == security_headers(page)
    assert security_headers(ping)["X-Frame-Options"] == "DENY"
    assert security_headers(ping)["X-Content-Type-Options"] == "nosniff"
    assert not ping.cookies  # no session, no CSRF cookie


def test_a_signed_in_browser_pinging_reads_no_session_and_no_user(client, integration, viewer):
    client.force_login(viewer)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/ping/{integration.ping_uuid}", data=b"", content_type="application/json")
    assert response.status_code == 200
    read = " ".join(query["sql"] for query in queries.captured_queries)
    # (On PostgreSQL the ping's one statement goes around Django's cursors, so nothing is captured.)
    assert "django_session" not in read and "auth_user" not in read
    assert PendingPing.objects.count() == 1


def test_the_https_redirect_applies_to_pings_too(settings, integration):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().post(f"/ping/{integration.ping_uuid}", data=b"", content_type="application/json")
    assert (response.status_code, response["Location"]) == (301, f"https://testserver/ping/{integration.ping_uuid}")
    assert not PendingPing.objects.exists()


NOT_PINGS = ["/ping/", "/ping/not-a-uuid", "/ping/6f1c2b9e-8d3a-4c1e-9a57-0b6b8f2d4e11/start/again"]


@pytest.mark.parametrize("path", NOT_PINGS)
def test_other_addresses_under_ping_go_down_the_whole_stack(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert hasattr(response.wsgi_request, "session")  # the whole stack ran
    assert b"<html" in response.content.lower()  # the 404 page people see, not a ping's text


def test_other_methods_on_a_ping_are_still_refused(client, integration):
    response = client.put(f"/ping/{integration.ping_uuid}")
    assert (response.status_code, response["Allow"]) == (405, "GET, POST")
    assert not PendingPing.objects.exists()
