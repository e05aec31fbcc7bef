"""Monitoring tasks on real Celery workers over the real Redis, against the test's own database.

Run with PLUMBLINE_TEST_SQLITE=/tmp/pl-mon-test.db (a file the worker can open) or on PostgreSQL.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from monitoring import tasks
from monitoring.health.pipeline import record_poll
from monitoring.models import Alert, Flip, HealthSource, Run
from monitoring.platforms.contract import PollResult, RunObservation
from tests.celery_worker import celery_worker, redis_broker
from tests.celery_worker import wait_for as wait_for_worker
from tests.monitoring.conftest import make_integration, minutes, source_of
from tests.monitoring.standins import Answer, StatusPage

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> bool:
    return wait_for_worker(predicate, timeout)


ALLOW_LOOPBACK = {"PLUMBLINE_OUTBOUND_ALLOW": "127.0.0.1/32"}


def mail_env(folder: Path) -> dict[str, str]:
    return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(folder)}


def alert_ids_mailed(folder: Path) -> Counter[int]:
    """How often each alert id appears in the messages the file backend wrote."""
    text = "".join(path.read_text() for path in folder.glob("*.log"))
    return Counter(int(n) for n in re.findall(r"^X-Plumbline-Alert: (\d+)$", text, re.MULTILINE))


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def runs_page(count: int) -> dict:
    now = time.time()
    runs = []
    for n in range(count, 0, -1):  # newest first
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - (count - n) * 900 - 60))
        runs.append({"id": f"r-{n}", "started_at": at, "finished_at": at, "status": "success", "records_out": n})
    return {"runs": runs, "failed_records": []}


def test_a_worker_polls_due_sources_and_evaluates_lateness(tmp_path):
    page = StatusPage(runs_page(3))
    with page as base_url:
        polled = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        quiet = make_integration("payroll", kind="heartbeat", interval=15, grace=30)
        long_ago = source_of(quiet).created_at - minutes(120)
        record_poll(quiet, PollResult(runs=[RunObservation("hb-1", "success", finished_at=long_ago)]), now=long_ago)
        HealthSource.objects.filter(integration=polled).update(next_poll_at=long_ago)

        with celery_worker("mon-poll", **ALLOW_LOOPBACK, **mail_env(tmp_path)), redis_broker():
            tasks.poll_due_sources.delay()
            tasks.evaluate_lateness.delay()
            assert wait_for(lambda: Run.objects.filter(integration=polled).count() == 3)
            assert wait_for(lambda: source_of(quiet).state == "down")
            assert wait_for(lambda: Alert.objects.filter(sent_at__isnull=False).count() == 1)

    assert source_of(polled).state == "up"
    assert list(Flip.objects.filter(integration=quiet).order_by("id").values_list("to_state", flat=True)) == [
        "up",
        "down",
    ]
    assert sum(alert_ids_mailed(tmp_path).values()) == 1


def test_a_poll_killed_mid_task_is_redelivered_and_no_run_is_lost_or_duplicated(tmp_path):
    stalled, release = threading.Event(), threading.Event()
    body = runs_page(5)

    def first_request_stalls(request, match) -> Answer:
        if not stalled.is_set():
            stalled.set()
            release.wait(30)  # the worker is killed while it waits for this answer
        return Answer(200, body)

    page = StatusPage(body)
    page.override("GET", "/status", first_request_stalls)
    with page as base_url:
        integration = make_integration("orders", kind="http", health_url=f"{base_url}/status")
        with celery_worker("mon-kill", **ALLOW_LOOPBACK) as worker, redis_broker():
            tasks.poll_source.delay(integration.pk)
            assert stalled.wait(30), "the poll never reached the status page"
            [child] = children_of(worker.pid)
            os.kill(child, signal.SIGKILL)
            release.set()
            # acks_late + reject_on_worker_lost: the message goes back and a fresh child polls again.
            assert wait_for(lambda: Run.objects.filter(integration=integration).count() == 5)
        assert len(page.requests) == 2

        # A new worker given the same poll again (as a redelivery would) stores nothing twice.
        with celery_worker("mon-restart", **ALLOW_LOOPBACK), redis_broker():
            tasks.poll_source.delay(integration.pk)
            assert wait_for(lambda: len(page.requests) == 3)
            assert wait_for(lambda: HealthSource.objects.get(integration=integration).last_polled_at is not None)
            time.sleep(1)

    ids = list(Run.objects.filter(integration=integration).values_list("external_id", flat=True))
    assert sorted(ids) == ["r-1", "r-2", "r-3", "r-4", "r-5"]
    assert source_of(integration).state == "up"


def test_two_workers_racing_to_send_the_same_alerts_send_each_once(tmp_path):
    notify = [f"ops-{n}@example.com" for n in range(3)]
    for n in range(25):
        integration = make_integration(f"feed-{n}", owner=f"owner-{n}@example.com", notify=notify)
        record_poll(integration, PollResult(runs=[RunObservation("r-1", "failed")]))
    expected = set(Alert.objects.values_list("pk", flat=True))
    assert len(expected) == 100

    env = mail_env(tmp_path)
    with (
        celery_worker("mon-race-1", concurrency=2, **env),
        celery_worker("mon-race-2", concurrency=2, **env),
        redis_broker(),
    ):
        for _ in range(12):
            tasks.send_alerts.delay()
        assert wait_for(lambda: not Alert.objects.filter(sent_at=None).exists())
        time.sleep(2)  # let any straggling duplicate show up before counting

    mailed = alert_ids_mailed(tmp_path)
    assert set(mailed) == expected
    assert max(mailed.values()) == 1


def test_a_worker_applies_the_pings_the_endpoint_queues(monkeypatch):
    from django.test import Client

    from monitoring.ingest import heartbeats
    from monitoring.models import PendingPing

    payroll = make_integration("payroll")
    monkeypatch.setattr(heartbeats, "_next_apply_at", 0.0)  # no earlier ping in this process queued one
    url = f"/ping/{payroll.ping_uuid}"
    stored = HealthSource.objects.filter(integration=payroll)  # read as stored: nothing applied by reading
    with celery_worker("mon-pings"), redis_broker():
        assert Client().post(url + "/start", b"", content_type="application/json").status_code == 200
        assert Client().post(url, b'{"records_out": 5}', content_type="application/json").status_code == 200
        # Neither ping is applied by this process; the task the first one queued applies both.
        assert wait_for(lambda: not PendingPing.objects.exists(), timeout=30)
        assert stored.get().state == "up"
    run = Run.objects.get()
    assert (run.status, run.records_out) == ("success", 5)
    assert run.started_at is not None and run.finished_at > run.started_at
