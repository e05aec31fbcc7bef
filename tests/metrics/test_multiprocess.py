"""With PROMETHEUS_MULTIPROC_DIR, /metrics adds up what every process counted: several gunicorn
workers (plumbline/gunicorn_conf.py), whichever answers the scrape, and a Celery worker beside them."""

from __future__ import annotations

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client
from django.utils import timezone

from monitoring import tasks
from monitoring.models import Run
from tests.celery_worker import celery_worker, redis_broker, wait_for
from tests.metrics.scrape import TOKEN, parse, scrape, value
from tests.monitoring.conftest import make_integration
from tests.monitoring.standins import StatusPage
from tests.web_server import free_port, web_server

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PINGS = 60


def status_of(url: str) -> int:
    return status_and_body(url)[0]


def scrape_over_http(base: str) -> str:
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
        texts = [scrape_over_http(base) for _ in range(6)]
    counting = {path.name for path in tmp_path.glob("counter_*.db")}
    assert len(counting) >= 2, counting  # the pings were spread over more than one worker
    accepted = answers.count(200)
    assert accepted == PINGS, sorted(set(answers))
    for text in texts:  # every scrape, whichever worker answered it, sees every worker's count
        assert value(parse(text), "plumbline_pings_accepted_total", signal="success") == PINGS


def test_a_poll_done_by_a_celery_worker_sharing_the_folder_is_counted(tmp_path, monkeypatch):
    good = {"runs": [{"id": "r-1", "finished_at": timezone.now().isoformat(), "status": "success"}]}
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PLUMBLINE_OUTBOUND_ALLOW": "127.0.0.1/32"}
    with StatusPage(good) as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        with celery_worker("metrics-poll", **env), redis_broker():
            tasks.poll_source.delay(integration.pk)
            assert wait_for(lambda: Run.objects.filter(integration=integration).exists())
            # This process scrapes the folder the worker counted into, as a web worker beside it would.
            monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
            assert wait_for(lambda: value(scrape(Client()), "plumbline_flips_total", to_state="up") == 1)
    samples = scrape(Client())
    assert value(samples, "plumbline_polls_total", platform="http", outcome="ok") == 1
    assert value(samples, "plumbline_poll_duration_seconds_count", platform="http") == 1


def test_a_worker_elsewhere_serves_its_own_counters_on_its_port_behind_the_token(tmp_path):
    port = free_port()
    good = {"runs": [{"id": "r-1", "finished_at": timezone.now().isoformat(), "status": "success"}]}
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "PLUMBLINE_OUTBOUND_ALLOW": "127.0.0.1/32",
        "PLUMBLINE_WORKER_METRICS_PORT": str(port),
        "PLUMBLINE_METRICS_TOKEN": TOKEN,
    }
    worker_metrics = f"http://127.0.0.1:{port}"
    with StatusPage(good) as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        with celery_worker("metrics-elsewhere", **env), redis_broker():
            tasks.poll_source.delay(integration.pk)
            assert wait_for(lambda: Run.objects.filter(integration=integration).exists())
            assert wait_for(
                lambda: value(parse(scrape_over_http(worker_metrics)), "plumbline_flips_total", to_state="up") == 1
            )
            samples = parse(scrape_over_http(worker_metrics))
            without_token = status_and_body(f"{worker_metrics}/metrics")
            wrong_token = status_and_body(f"{worker_metrics}/metrics", Authorization="Bearer nope")
    assert value(samples, "plumbline_polls_total", platform="http", outcome="ok") == 1
    assert not any(name == "plumbline_pending_pings" for name, _ in samples)  # gauges come from the web server
    for status, body in (without_token, wrong_token):
        assert status == 401
        assert "plumbline_" not in body


def status_and_body(url: str, **headers: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=20) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()
