"""A re-sync requested on the health page is replayed by a real Celery worker over the real Redis.

Run with PLUMBLINE_TEST_SQLITE=/tmp/pl-resync-test.db (a file the worker can open) or on PostgreSQL.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from django.test import Client

from catalog.models import Integration, PlatformAccount
from monitoring import tasks
from monitoring.health.pipeline import record_poll
from monitoring.models import FailedRecord, ResyncRequest
from monitoring.platforms.contract import FailedRecordObservation, PollResult
from tests.celery_worker import celery_worker, redis_broker
from tests.monitoring.conftest import make_integration
from tests.monitoring.standins import CeligoStandIn
from tests.monitoring.test_workers import wait_for
from tests.pages.estate import make_user

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TOKEN = "resync-worker-token"
ENV = "PLUMBLINE_CRED_TEST_RESYNC_WORKER_SECRET"
FLOW = "5f0a1b2c3d4e5f6a7b8c9d0e"
IMPORT = "5f0a00000000000000000101"


@contextmanager
def three_failed_records_on_celigo() -> Iterator[tuple[CeligoStandIn, Integration]]:
    """A Celigo stand-in holding three errors of one flow and an integration replaying them in order, whose
    failed records arrived out of order (INV-3, INV-1, INV-2)."""
    errors = [
        {"occurredAt": "2026-05-01T10:40:00Z", "message": "no subsidiary", "traceKey": k, "retryDataKey": f"retry-{k}"}
        for k in ("INV-1", "INV-2", "INV-3")
    ]
    server = CeligoStandIn(
        token=TOKEN,
        jobs=[],
        flows=[{"_id": FLOW, "pageProcessors": [{"_importId": IMPORT}]}],
        errors={(FLOW, IMPORT): errors},
    )
    with server as base_url:
        account = PlatformAccount.objects.create(key="celigo", platform="celigo", base_url=base_url, secret_env=ENV)
        integration = make_integration(
            "invoices", kind="celigo", health_account=account, health_ref=FLOW, resync="replay-in-order"
        )
        observed = [
            FailedRecordObservation(key=k, error="x", external_id=f"retry-{k}") for k in ("INV-3", "INV-1", "INV-2")
        ]
        record_poll(integration, PollResult(failed_records=observed))
        yield server, integration


def test_a_worker_replays_a_requested_resync_once_in_original_order() -> None:
    with three_failed_records_on_celigo() as (server, _):
        client = Client()
        client.force_login(make_user("ana@example.com", "owner"))  # type: ignore[arg-type]
        ids = list(FailedRecord.objects.values_list("pk", flat=True))

        with celigo_worker(), redis_broker():
            client.post("/integrations/invoices/health/failed-records/", {"action": "resync", "record": ids})
            assert wait_for(lambda: ResyncRequest.objects.get().status == "sent")
            tasks.replay_resync.delay(ResyncRequest.objects.get().pk)  # a redelivery sends nothing
            time.sleep(2)

    assert server.retried == [(FLOW, IMPORT, ["retry-INV-3", "retry-INV-1", "retry-INV-2"])]
    assert ResyncRequest.objects.get().platform_ref == "retry-job-1"


def celigo_worker() -> AbstractContextManager[subprocess.Popen[bytes]]:
    env = {"PLUMBLINE_OUTBOUND_ALLOW": "127.0.0.1/32", ENV: TOKEN}
    return celery_worker("resync-w1", 1, **env)
