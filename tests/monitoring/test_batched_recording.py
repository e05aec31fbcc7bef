"""A batch of polls is stored together (one transaction, a few queries) exactly as polls one by one
would be; a ping is stored in a fixed handful of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.ingest.polling import poll_sources
from monitoring.models import Flip, HealthSource, Run
from tests.monitoring.conftest import make_integration, minutes
from tests.monitoring.standins import StatusPage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]


def page() -> StatusPage:
    """One status page every integration in a test shares: the same run ids for all of them."""
    now = timezone.now()
    runs = [
        {"id": "r-2", "finished_at": (now - minutes(1)).isoformat(), "status": "success", "records_out": 4},
        {"id": "r-1", "finished_at": (now - minutes(16)).isoformat(), "status": "success", "records_out": 4},
    ]
    return StatusPage({"runs": runs, "failed_records": []})


def polled(keys: list[str], base_url: str) -> list[int]:
    return [make_integration(key, kind="http", health_url=f"{base_url}/status").pk for key in keys]


def test_a_batch_of_polls_stores_each_sources_own_runs_and_state():
    with page() as base_url:
        ids = polled(["orders", "invoices", "refunds"], base_url)
        outcomes = poll_sources(ids)
    assert [(o.integration_id, o.error, o.recorded and o.recorded.new_runs) for o in outcomes] == [
        (pk, "", 2) for pk in ids
    ]
    for pk in ids:
        source = HealthSource.objects.select_related("last_run").get(integration_id=pk)
        assert sorted(Run.objects.filter(integration_id=pk).values_list("external_id", flat=True)) == ["r-1", "r-2"]
        assert (source.state, source.cursor, source.last_run.external_id) == ("up", "r-2", "r-2")
        assert source.last_run.integration_id == pk
        assert source.observed_median_minutes == 15.0
        assert source.last_polled_at is not None
    assert sorted(Flip.objects.values_list("integration_id", "to_state")) == sorted((pk, "up") for pk in ids)


def test_polling_a_batch_again_stores_nothing_twice():
    with page() as base_url:
        ids = polled(["orders", "invoices"], base_url)
        poll_sources(ids)
        again = poll_sources(ids)
    assert [(o.recorded.new_runs, o.recorded.updated_runs) for o in again if o.recorded] == [(0, 0), (0, 0)]
    assert Run.objects.count() == 4
    assert Flip.objects.count() == 2


def test_one_failing_poll_in_a_batch_is_recorded_and_the_others_stored():
    with page() as base_url:
        ok, broken = polled(["orders"], base_url)[0], make_integration("refunds", kind="http").pk
        HealthSource.objects.filter(integration_id=broken).update(state="up")
        source = source_of_pk(broken)
        source.integration.health_url = f"{base_url}/missing"
        source.integration.save(update_fields=["health_url"])
        outcomes = poll_sources([broken, ok])
    assert [o.integration_id for o in outcomes] == [broken, ok]
    assert "HTTP 404" in outcomes[0].error and outcomes[1].error == ""
    assert source_of_pk(broken).state == "up" and "HTTP 404" in source_of_pk(broken).last_poll_error
    assert Run.objects.filter(integration_id=ok).count() == 2


def test_the_same_source_twice_in_a_batch_stores_its_runs_once():
    with page() as base_url:
        (pk,) = polled(["orders"], base_url)
        outcomes = poll_sources([pk, pk])
    assert [o.recorded.new_runs for o in outcomes if o.recorded] == [2, 0]
    assert Run.objects.count() == 2


def test_polling_five_sources_takes_no_more_queries_than_one():
    with page() as base_url:
        one, *five = polled(["a", "b", "c", "d", "e", "f"], base_url)
        with CaptureQueriesContext(connection) as single:
            poll_sources([one])
        with CaptureQueriesContext(connection) as batch:
            poll_sources(five)
    # Off PostgreSQL the state rows are written one by one (an in-process database has no round trips).
    extra = 0 if connection.vendor == "postgresql" else 4
    assert len(batch.captured_queries) == len(single.captured_queries) + extra


def source_of_pk(pk: int) -> HealthSource:
    return HealthSource.objects.select_related("integration").get(integration_id=pk)
