"""The state gauges are what the database and the broker hold at the moment of the scrape, read in
a fixed number of queries whatever the estate's size."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections import Counter

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu import Connection

from catalog.models import StoredFinding, Waiver
from catalog.rules.store import refresh_findings, with_waivers
from monitoring.models import DeadPing, FailedRecord, PendingPing
from tests.metrics.scrape import scrape, value
from tests.monitoring.conftest import make_integration
from tests.monitoring.conftest import post_ping as applied_ping

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")


def estate(size: int) -> None:
    """`size` heartbeat integrations, each with an applied fail ping holding two failed records, a
    pending ping and a dead ping; their findings stored, the first waived."""
    from django.test import Client

    client = Client()
    integrations = [make_integration(f"flow-{n}") for n in range(size)]
    for n, integration in enumerate(integrations):
        body = {"failed_records": [{"key": f"INV-{n}-1", "error": "closed"}, {"key": f"INV-{n}-2", "error": "x"}]}
        applied_ping(client, f"/ping/{integration.ping_uuid}/fail", body)
        now = timezone.now()
        DeadPing.objects.create(integration=integration, signal="success", received_at=now, failed_at=now, error="x")
    refresh_findings()  # reads health, so applies what is pending: the pings left pending come after
    for integration in integrations:
        assert client.get(f"/ping/{integration.ping_uuid}").status_code == 200
    first = StoredFinding.objects.order_by("pk").first()
    assert first is not None
    Waiver.objects.create(
        code=first.code,
        subject_type=first.subject_type,
        subject_key=first.subject_key,
        reason="accepted",
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )


def test_the_gauges_equal_the_database_counts():
    estate(3)
    samples = scrape()
    assert (value(samples, "plumbline_database_up"), value(samples, "plumbline_broker_up")) == (1, 1)
    assert value(samples, "plumbline_pending_pings") == PendingPing.objects.count() == 3
    assert value(samples, "plumbline_dead_pings") == DeadPing.objects.count() == 3
    assert value(samples, "plumbline_failed_records_open") == FailedRecord.objects.filter(resolved_at=None).count() == 6
    unwaived = with_waivers(StoredFinding.objects.all(), timezone.localdate()).filter(waived=False)
    expected = Counter(unwaived.values_list("severity", flat=True))
    assert StoredFinding.objects.count() == sum(expected.values()) + 1  # one is waived
    for severity in ("info", "warning", "critical"):
        assert value(samples, "plumbline_findings", severity=severity) == expected[severity]


@pytest.mark.parametrize("size", [1, 8])
def test_a_scrape_runs_the_same_few_queries_whatever_the_estate(size):
    estate(size)
    with CaptureQueriesContext(connection) as captured:
        scrape()
    assert len(captured.captured_queries) == 4


def test_the_celery_queue_length_is_the_redis_list_of_the_queue(settings):
    queue = f"metrics-test-{uuid.uuid4().hex}"
    settings.REDIS_URL = REDIS_URL
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    try:
        with Connection(REDIS_URL) as broker:
            waiting = broker.SimpleQueue(queue)
            for n in range(3):
                waiting.put({"n": n})
            waiting.close()
        assert value(scrape(), "plumbline_celery_queue_length", queue=queue) == 3
    finally:
        redis.Redis.from_url(REDIS_URL).delete(queue)


def test_the_celery_queue_length_counts_the_filesystem_brokers_messages_for_its_queue(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_FOLDER = tmp_path
    settings.CELERY_TASK_DEFAULT_QUEUE = "plumbline"
    folders = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "control_folder": str(tmp_path / "c")}
    with Connection("filesystem://", transport_options=folders) as broker:
        for queue, count in (("plumbline", 2), ("other", 1)):
            waiting = broker.SimpleQueue(queue)
            for n in range(count):
                waiting.put({"n": n})
            waiting.close()
    assert value(scrape(), "plumbline_celery_queue_length", queue="plumbline") == 2
