"""Drawing never holds a web worker: a real Celery worker on Redis draws what is not cached, the
page and the downloads answer pending (202, Retry-After) meanwhile, simultaneous visitors enqueue
one render, and a failure in the worker is cached and says what to do."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection
from django.test import Client

from catalog.models import Integration, Person, System
from tests.celery_worker import QUEUE, REDIS_URL, celery_worker, redis_broker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def var_dir(tmp_path: Path, settings: Any) -> Path:
    """The worker's VAR_DIR, whose graph cache is the one this process reads."""
    var = tmp_path / "var"
    settings.PLUMBLINE_GRAPH_CACHE_DIR = var / "graph-cache"
    settings.PLUMBLINE_GRAPH_INLINE_MAX = 0  # every drawing goes to the worker
    return var


@pytest.fixture
def queue() -> Iterator[redis.Redis]:
    """The test session's queue on the test Redis, empty at the start and at the end."""
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(QUEUE)
    with redis_broker():
        yield client
    client.delete(QUEUE)


@pytest.fixture
def estate() -> None:
    """More integrations than the aggregation threshold, between a few systems."""
    ana = Person.objects.create(email="ana@example.com", name="Ana")
    erp = System.objects.create(key="erp", name="ERP", category="erp", owner=ana)
    apps = [System.objects.create(key=f"app-{n}", name=f"App {n}", category="crm", owner=ana) for n in range(9)]
    rows = [Integration(key=f"i-{n:03d}", name=f"I {n}", source=apps[n % 9], target=erp, owner=ana) for n in range(450)]
    Integration.objects.bulk_create(rows)


def drawn(viewer: Client, url: str = "/graph/") -> Any:
    response = viewer.get(url)
    return response if response.status_code == 200 else None


def test_a_large_view_is_pending_then_drawn_by_the_worker(
    viewer: Client, estate: None, var_dir: Path, queue: redis.Redis
) -> None:
    pending = viewer.get("/graph/")
    assert pending.status_code == 202
    assert pending["Retry-After"] == "2"
    html = pending.content.decode()
    assert "Drawing the graph" in html and '<meta http-equiv="refresh" content="2">' in html
    assert "<svg" not in html
    with celery_worker("graph1", PLUMBLINE_VAR_DIR=str(var_dir)):
        assert wait_for(lambda: drawn(viewer) is not None)
    page = viewer.get("/graph/").content.decode()
    assert "Aggregated view." in page and 'id="pair-app-0-to-erp"' in page
    assert "Drawing the graph" not in page


def test_simultaneous_visitors_enqueue_one_render(
    viewer: Client, estate: None, var_dir: Path, queue: redis.Redis
) -> None:
    def visit(_: int) -> int:
        try:
            return viewer.get("/graph/").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(visit, range(8)))
    assert statuses == [202] * 8
    assert queue.llen(QUEUE) == 1  # one render queued; no worker has taken it yet
    assert viewer.get("/graph/estate.svg").status_code == 202  # the same drawing: no second task
    assert queue.llen(QUEUE) == 1
    with celery_worker("graph2", PLUMBLINE_VAR_DIR=str(var_dir)):
        assert wait_for(lambda: drawn(viewer) is not None)


def test_downloads_are_pending_then_served(viewer: Client, estate: None, var_dir: Path, queue: redis.Redis) -> None:
    for fmt in ("svg", "png", "dot"):
        response = viewer.get(f"/graph/estate.{fmt}")
        assert response.status_code == 202, fmt
        assert response["Retry-After"] == "2"
        assert b"ask again in 2 seconds" in response.content
    with celery_worker("graph3", PLUMBLINE_VAR_DIR=str(var_dir)):
        assert wait_for(lambda: drawn(viewer, "/graph/estate.png") is not None)
        assert wait_for(lambda: drawn(viewer, "/graph/estate.svg") is not None)
        assert wait_for(lambda: drawn(viewer, "/graph/estate.dot") is not None)
    png = viewer.get("/graph/estate.png")
    assert png.content.startswith(b"\x89PNG") and png["Content-Disposition"].endswith('.png"')
    svg = viewer.get("/graph/estate.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b'id="pair-app-0-to-erp"' in svg.content
    assert b"digraph estate" in viewer.get("/graph/estate.dot").content


def test_a_drawing_that_times_out_in_the_worker_is_cached_and_says_what_to_do(
    viewer: Client, estate: None, var_dir: Path, queue: redis.Redis
) -> None:
    assert viewer.get("/graph/").status_code == 202
    with celery_worker("graph4", PLUMBLINE_VAR_DIR=str(var_dir), PLUMBLINE_GRAPH_TIMEOUT="0.001"):
        assert wait_for(lambda: viewer.get("/graph/").status_code == 503)
    response = viewer.get("/graph/")  # no worker now: served from the cached failure
    html = response.content.decode()
    assert response.status_code == 503 and 0 < int(response["Retry-After"]) <= 300
    assert "Graphviz took longer than 0.001 seconds" in html
    assert "Focus on one system" in html
    assert queue.llen(QUEUE) == 0  # nothing enqueued again while the failure is fresh


def test_a_focused_view_is_drawn_in_detail_by_the_worker(
    viewer: Client, estate: None, var_dir: Path, queue: redis.Redis
) -> None:
    assert viewer.get("/graph/?system=app-3").status_code == 202
    with celery_worker("graph5", PLUMBLINE_VAR_DIR=str(var_dir)):
        assert wait_for(lambda: drawn(viewer, "/graph/?system=app-3") is not None)
    page = viewer.get("/graph/?system=app-3").content.decode()
    assert 'id="integration-i-003"' in page and "Aggregated view." not in page
