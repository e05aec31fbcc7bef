"""A re-sync requested through the API is replayed by a real Celery worker over the real Redis, as one
requested on the health page is (tests/monitoring/test_resync_workers.py), and resolving it by the API
afterwards resolves its records.

Run with PLUMBLINE_TEST_SQLITE=/path/test.db (a file the worker can open) or on PostgreSQL.
"""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from monitoring import tasks
from monitoring.models import FailedRecord, HealthSource, ResyncRequest
from plumbline.accounts.tokens import create_token
from tests.celery_worker import redis_broker
from tests.monitoring.test_resync_workers import FLOW, IMPORT, celigo_worker, three_failed_records_on_celigo
from tests.monitoring.test_workers import wait_for
from tests.pages.estate import make_user

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_replays_a_resync_requested_by_the_api_once_in_original_order() -> None:
    with three_failed_records_on_celigo() as (server, integration):
        _, raw = create_token(make_user("ana@example.com", "owner"))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        ids = list(FailedRecord.objects.order_by("position").values_list("pk", flat=True))

        with celigo_worker(), redis_broker():
            response = client.post(
                "/api/v1/failed-records/resync/", {"integration": "invoices", "ids": ids}, format="json"
            )
            assert response.status_code == 201, response.content
            assert response.json()["status"] == "open"
            assert wait_for(lambda: ResyncRequest.objects.get().status == "sent")
            tasks.replay_resync.delay(ResyncRequest.objects.get().pk)  # a redelivery sends nothing
            time.sleep(2)

    assert server.retried == [(FLOW, IMPORT, ["retry-INV-3", "retry-INV-1", "retry-INV-2"])]
    resync = client.get(f"/api/v1/resyncs/{response.json()['id']}/").json()
    assert (resync["status"], resync["platform_ref"], resync["failed_records"]) == ("sent", "retry-job-1", ids)
    assert HealthSource.objects.get(integration=integration).open_failed_records == 3

    assert client.post(f"/api/v1/resyncs/{resync['id']}/resolve/", {}, format="json").json()["status"] == "resolved"
    assert not FailedRecord.objects.filter(resolved_at=None).exists()
    assert HealthSource.objects.get(integration=integration).open_failed_records == 0
