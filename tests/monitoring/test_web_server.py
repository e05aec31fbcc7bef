"""What only the real web server shows: chunked ping bodies, a database that is down, and a
PostgreSQL restart under a running server (gunicorn, as bin/run starts it)."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator

import pytest
from django.db import connection

from monitoring.ingest.pings import parse_ping_body
from monitoring.models import PendingPing
from tests.monitoring.conftest import make_integration
from tests.web_server import web_server

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def send(base: str, method: str, path: str, body: bytes | Iterator[bytes] | None = None, **headers: str):
    """One request; an iterator body goes out with Transfer-Encoding: chunked, one chunk per item."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers, encode_chunked=not isinstance(body, bytes | None))
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


def chunks(data: bytes, size: int = 7) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_chunked_ping_body_is_read_whole():
    integration = make_integration()
    body = {"run_id": "r-9", "failed_records": [{"key": "INV-1", "error": "period closed"}]}
    with web_server() as base:
        status, _, text = send(
            base,
            "POST",
            f"/ping/{integration.ping_uuid}/fail",
            chunks(json.dumps(body).encode()),
            **{"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        )
    assert (status, text) == (200, "OK")
    stored = parse_ping_body(PendingPing.objects.get().body.encode())
    assert (stored.run_id, [r.key for r in stored.failed_records]) == ("r-9", ["INV-1"])


def test_a_chunked_ping_body_over_100_kb_is_refused_while_reading():
    integration = make_integration()
    big = json.dumps({"message": "x" * 200_000}).encode()
    with web_server() as base:
        status, _, text = send(
            base, "POST", f"/ping/{integration.ping_uuid}", chunks(big, 8192), **{"Transfer-Encoding": "chunked"}
        )
    assert (status, text) == (413, "body over 100 KB")
    assert not PendingPing.objects.exists()


UNREACHABLE = {
    "postgresql": "postgres://postgres@127.0.0.1:1/plumbline",  # nothing listens on port 1
    "sqlite": "sqlite:////nonexistent-folder/plumbline.sqlite3",
}


@pytest.mark.parametrize("database_url", UNREACHABLE.values(), ids=UNREACHABLE.keys())
def test_with_the_database_down_pages_pings_and_the_api_answer_503_with_retry_after(database_url):
    message = "Plumbline cannot reach its database. Try again in a minute."
    with web_server(DATABASE_URL=database_url) as base:
        # A signed-in visitor: reading the session is the first thing that needs the database.
        page = send(base, "GET", "/", None, Cookie="sessionid=" + "a" * 32)
        ping = send(base, "POST", "/ping/6f1c2b9e-8d3a-4c1e-9a57-0b6b8f2d4e11", b"")
        api = send(base, "GET", "/api/v1/integrations/", None, Authorization="Token abc")
    assert (page[0], page[1]["Retry-After"]) == (503, "30")
    assert "<h1>Plumbline cannot reach its database</h1>" in page[2]
    assert (ping[0], ping[1]["Retry-After"], ping[2]) == (503, "30", message)
    assert (api[0], api[1]["Retry-After"], json.loads(api[2])) == (503, "30", {"detail": message})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="terminates PostgreSQL server processes")
def test_after_postgresql_drops_every_connection_the_next_request_succeeds():
    integration = make_integration()
    path = f"/ping/{integration.ping_uuid}"
    with web_server() as base:
        assert send(base, "POST", path, b"")[0] == 200  # the web worker keeps its connection (CONN_MAX_AGE)
        with connection.cursor() as cursor:
            # What a PostgreSQL restart does to every connection but ours.
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1
        after = send(base, "POST", path, b"")
    assert after[:1] == (200,) and after[2] == "OK"
    assert PendingPing.objects.count() == 2
