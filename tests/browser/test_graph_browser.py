"""The graph page in Chromium with a real Celery worker: a drawing not cached shows progress and the
page reloads itself (no script, so the Content-Security-Policy allows it) until the worker has drawn
it; a large estate shows the aggregated drawing, and an edge opens the list of its integrations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.session import log_in
from tests.celery_worker import celery_worker, redis_broker
from tests.pages.estate import bulk_integrations, load_estate, make_user

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def var_dir(tmp_path: Path, settings: Any) -> Path:
    var = tmp_path / "var"
    settings.PLUMBLINE_GRAPH_CACHE_DIR = var / "graph-cache"
    settings.PLUMBLINE_GRAPH_INLINE_MAX = 0  # every drawing goes to the worker
    return var


def test_pending_graph_reloads_itself_into_the_aggregated_drawing(live_server, page, screenshot, var_dir):
    load_estate()
    bulk_integrations(420)  # past the aggregation threshold, between two systems
    make_user("viewer@example.com", "viewer")
    base = live_server.url
    with redis_broker():
        log_in(page, base, "viewer@example.com", "/graph/")
        expect(page.get_by_role("heading", name="Drawing the graph…")).to_be_visible()
        screenshot("graph-pending")
        with celery_worker("browser-graph", PLUMBLINE_VAR_DIR=str(var_dir)):
            expect(page.locator("figure.graph-canvas svg.estate-graph")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("note")).to_contain_text("Aggregated view.")
    assert page.dialogs == []
    screenshot("graph-aggregated")
    page.locator('g[id="pair-bulk-source-to-bulk-target"] a').first.click()
    page.wait_for_url(re.compile(r"/integrations/\?source=bulk-source&target=bulk-target"))
    expect(page.get_by_role("link", name="Bulk 0", exact=True)).to_be_visible()
