"""Under real gunicorn with several workers, /metrics adds up what every worker counted
(PROMETHEUS_MULTIPROC_DIR, plumbline/gunicorn_conf.py), whichever worker answers the scrape."""

from __future__ import annotations

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.metrics.scrape import TOKEN, parse, value
from tests.monitoring.conftest import make_integration
from tests.web_server import web_server

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PINGS = 60


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def scrape(base: str) -> str:
    request = urllib.request.Request(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return str(response.read().decode())


def test_pings_answered_by_three_workers_are_all_counted(tmp_path):
    integrations = [make_integration(f"flow-{n}") for n in range(3)]
    urls = [f"/ping/{integrations[n % 3].ping_uuid}" for n in range(PINGS)]
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PLUMBLINE_METRICS_TOKEN": TOKEN}
    with web_server(workers=3, config=True, **env) as base:
        # Ten at a time: while a sync worker answers one, the others take the next connections.
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(status_of, [base + url for url in urls]))
        texts = [scrape(base) for _ in range(6)]
    counting = {path.name for path in tmp_path.glob("counter_*.db")}
    assert len(counting) >= 2, counting  # the pings were spread over more than one worker
    accepted = answers.count(200)
    assert accepted == PINGS, sorted(set(answers))
    for text in texts:  # every scrape, whichever worker answered it, sees every worker's count
        assert value(parse(text), "plumbline_pings_accepted_total", signal="success") == PINGS
