"""A real Celery worker polls a health.kind json integration through the stand-in run-history API.

Run with PLUMBLINE_TEST_SQLITE=<a file> (a file the worker can open) or on PostgreSQL.
"""

from __future__ import annotations

import time

import pytest

from catalog.models import PlatformAccount
from monitoring import tasks
from monitoring.models import FailedRecord, HealthSource, Run
from monitoring.platforms.json_runs.standin import JsonRunsStandIn
from tests.celery_worker import celery_worker, redis_broker, wait_for
from tests.monitoring.conftest import make_integration, minutes, source_of

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TOKEN = "json-worker-token"
ENV = "PLUMBLINE_CRED_TEST_JSON_WORKER"
OPTIONS = {
    "path": "/v1/jobs",
    "items": "data",
    "fields": {"id": "jobId", "status": "status", "started_at": "startTime", "finished_at": "endTime"},
    "status_map": {"succeeded": "success", "failed": "failed", "running": "running"},
    "next": "next",
    "failed_records": "rejected[].{key: record, error: reason}",
}


def recent_jobs(count: int) -> list[dict]:
    """`count` jobs a quarter of an hour apart, newest first, the last failed with one rejected record."""
    now = time.time()
    jobs = []
    for n in range(count, 0, -1):
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - (count - n) * 900 - 60))
        jobs.append({"jobId": n, "status": "succeeded", "startTime": at, "endTime": at})
    jobs[-1] |= {"status": "failed", "rejected": [{"record": "INV-1", "reason": "tax code unknown"}]}
    return jobs


def test_a_worker_polls_a_json_integration_through_its_account():
    stand_in = JsonRunsStandIn(runs=recent_jobs(5), token=TOKEN, page_size=2)
    with stand_in as base_url:
        account = PlatformAccount.objects.create(key="runs-api", platform="json", base_url=base_url, secret_env=ENV)
        integration = make_integration("orders", kind="json", health_account=account, health_json=OPTIONS)
        long_ago = source_of(integration).created_at - minutes(120)
        HealthSource.objects.filter(integration=integration).update(next_poll_at=long_ago)

        env = {"PLUMBLINE_OUTBOUND_ALLOW": "127.0.0.1/32", ENV: TOKEN}
        with celery_worker("json-poll", **env), redis_broker():
            tasks.poll_due_sources.delay()
            assert wait_for(lambda: Run.objects.filter(integration=integration).count() == 5, 60.0)
            assert wait_for(lambda: source_of(integration).cursor == "5", 30.0)

    assert sorted(Run.objects.filter(integration=integration).values_list("external_id", flat=True)) == list("12345")
    assert Run.objects.get(integration=integration, external_id="1").status == "failed"
    assert list(FailedRecord.objects.filter(integration=integration).values_list("key", flat=True)) == ["INV-1"]
    assert source_of(integration).state == "up"
    assert {r.headers["authorization"] for r in stand_in.requests} == {f"Bearer {TOKEN}"}
    assert [r.query.get("offset") for r in stand_in.requests] == [None, "2", "4"]
