"""The state gauges, read when /metrics is scraped: the database and the broker hold the truth,
whichever process or machine did the work. Four queries and one broker call, whatever the estate's size.

With the database or the broker unreachable the scrape still answers, with the counters (pings
refused with 503 are what one wants to see then) and plumbline_database_up / plumbline_broker_up 0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import redis
from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from plumbline.middleware import DATABASE_UNAVAILABLE

logger = logging.getLogger(__name__)


class StateCollector(Collector):
    """Pending and dead pings, open failed records, open findings by severity, Celery queue length."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            gauges = list(database_gauges())
        except DATABASE_UNAVAILABLE:
            logger.warning("metrics: the database cannot be reached; state gauges left out", exc_info=True)
            gauges = []
        yield GaugeMetricFamily(
            "plumbline_database_up", "1 when this scrape could read the database.", int(bool(gauges))
        )
        yield from gauges
        yield from broker_gauges()


def database_gauges() -> Iterator[GaugeMetricFamily]:
    from catalog.models import StoredFinding
    from catalog.models.findings import Severity
    from catalog.rules.store import waived_findings
    from monitoring.models import DeadPing, HealthSource, PendingPing

    yield GaugeMetricFamily(
        "plumbline_pending_pings", "Heartbeat pings accepted and not yet applied.", PendingPing.objects.count()
    )
    yield GaugeMetricFamily(
        "plumbline_dead_pings",
        "Pings that could not be applied, waiting to be applied again or discarded.",
        DeadPing.objects.count(),
    )
    open_failed = HealthSource.objects.aggregate(n=Sum("open_failed_records"))["n"] or 0
    yield GaugeMetricFamily("plumbline_failed_records_open", "Failed records not yet resolved.", open_failed)

    counted = (
        StoredFinding.objects.exclude(pk__in=waived_findings(timezone.localdate()).values("pk"))
        .values_list("severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_severity = dict.fromkeys(Severity.values, 0) | dict(counted)
    findings = GaugeMetricFamily(
        "plumbline_findings", "Open findings no waiver covers, by severity.", labels=["severity"]
    )
    for severity, n in by_severity.items():
        findings.add_metric([severity], n)
    yield findings


def broker_gauges() -> Iterator[GaugeMetricFamily]:
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    try:
        waiting = celery_queue_length(queue)
    except (OSError, redis.RedisError):  # a folder or a Redis it cannot read
        logger.warning("metrics: the broker cannot be reached; queue length left out", exc_info=True)
        waiting = None
    yield GaugeMetricFamily(
        "plumbline_broker_up", "1 when this scrape could read the Celery broker.", int(waiting is not None)
    )
    if waiting is not None:
        length = GaugeMetricFamily(
            "plumbline_celery_queue_length",
            "Tasks waiting in the Celery queue (not yet taken by a worker).",
            labels=["queue"],
        )
        length.add_metric([queue], waiting)
        yield length


def celery_queue_length(queue: str) -> int:
    """Messages waiting in the queue: LLEN of its Redis list, or the filesystem broker's message files."""
    if settings.REDIS_URL:
        with redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2) as client:
            return int(client.llen(queue))
    folder = Path(settings.CELERY_BROKER_FOLDER)
    suffix = f"{queue}.msg"  # kombu's filesystem transport names a message <time>_<uuid>.<queue>.msg
    try:
        return sum(1 for path in folder.iterdir() if path.name.partition(".")[2] == suffix)
    except FileNotFoundError:
        return 0
