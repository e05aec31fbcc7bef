"""With the database or the broker unreachable, /metrics still answers: the counters (pings refused
with 503 among them), and which of the two it could not read."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.metrics.scrape import TOKEN, parse, scrape, value
from tests.web_server import web_server

UNREACHABLE_DATABASE = "sqlite:////nonexistent-folder/plumbline.sqlite3"


def read(base: str, path: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(base + path, method="GET", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


@pytest.mark.worker
def test_with_the_database_down_pings_refused_with_503_are_counted_and_the_scrape_answers():
    with web_server(DATABASE_URL=UNREACHABLE_DATABASE, PLUMBLINE_METRICS_TOKEN=TOKEN) as base:
        pings = [read(base, "/ping/6f1c2b9e-8d3a-4c1e-9a57-0b6b8f2d4e11")[0] for _ in range(2)]
        status, text = read(base, "/metrics", Authorization=f"Bearer {TOKEN}")
    assert pings == [503, 503]
    assert status == 200
    samples = parse(text)
    assert value(samples, "plumbline_pings_refused_total", status="503") == 2
    assert value(samples, "plumbline_database_up") == 0
    assert not any(name == "plumbline_pending_pings" for name, _ in samples)


@pytest.mark.django_db
def test_with_the_broker_down_the_queue_length_is_left_out(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    samples = scrape()
    assert (value(samples, "plumbline_broker_up"), value(samples, "plumbline_database_up")) == (0, 1)
    assert not any(name == "plumbline_celery_queue_length" for name, _ in samples)
    assert ("plumbline_pending_pings", frozenset()) in samples
