"""Plain pings (no run_id, no failed records, no open run to close, no flip) are stored in bulk
(monitoring/ingest/plain_pings.py): exactly what the general path stores for the same pings, in
the same few queries whatever the number of sources."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Integration
from monitoring.ingest import pending, plain_pings
from monitoring.ingest.pending import apply_pending_pings
from monitoring.models import Flip, HealthSource, PendingPing, Run
from tests.monitoring.conftest import T0, make_integration, minutes

pytestmark = pytest.mark.django_db

# (minutes after T0 the ping is received, minutes after T0 it is applied, signal, body)
PINGS: list[tuple[float, float, str, dict[str, Any] | None]] = [
    (0, 0.1, "success", None),  # unknown -> up: a flip
    (10, 10.1, "success", {"records_in": 5, "records_out": 5}),  # the observed interval is due
    (20, 20.1, "start", {"message": "nightly", "records_in": 3}),  # counts are an end ping's
    (21, 21.1, "success", {"records_out": 7}),  # closes the open run
    (30, 30.1, "success", {"records_out": 3, "message": "ok"}),
    (31, 31.1, "fail", {"message": "timeout"}),  # up -> failing
    (32, 32.1, "fail", {"records_failed": 2}),  # failing stays failing
    (33, 33.1, "success", {"records_out": 1}),  # failing -> up
    (34, 34.1, "success", {"run_id": "r-7", "records_out": 1}),
    (35, 35.1, "success", {"records_out": 2}),
    (35, 35.5, "success", {"records_out": 8}),  # received as the last run: the last run now
    (29, 36.1, "success", {"records_out": 4}),  # received before the last run: not the last run
    (37, 37.1, "start", None),
    (38, 38.1, "start", None),  # a second run opens
    (39, 39.1, "success", None),  # closes the latest
    (40, 44, "success", {"records_out": 9}),  # closes the first open run
    (45, 54.1, "success", {"records_out": 6}),  # the observed interval is due again
    (56, 120, "start", None),  # up -> down by time: a flip
    (121, 121.1, "success", {"records_out": 1, "records_in": 1}),  # late -> up
    (122, 122.1, "success", {"records_out": 0}),  # under the minimum on the second source pair
]

# What may differ between two sources storing the same pings.
RUN_SKIPPED = {"id", "integration", "external_id"}
ROW_SKIPPED = {"id", "integration", "last_run", "created_at"}


def general_path_for(general_ids: set[int], stored_plain: list[int]) -> Any:
    """lock_and_store_plain, bypassed for the sources in `general_ids`; the ids of the pings it stored
    in bulk are added to `stored_plain`."""
    real = plain_pings.lock_and_store_plain

    def choose(pings: Sequence[PendingPing], now: dt.datetime, parse: Any) -> list[PendingPing]:
        rest = real([p for p in pings if p.integration_id not in general_ids], now, parse)
        stored_plain.extend(p.pk for p in pings if p.integration_id not in general_ids and p not in rest)
        return [p for p in pings if p.integration_id in general_ids or p in rest]

    return choose


def flips_of(integration: Integration) -> list[tuple[str, str, dt.datetime, str]]:
    """The source's flips, the made-up run ids in their reasons left out."""
    flips = Flip.objects.filter(integration=integration).order_by("id")
    return [(f.from_state, f.to_state, f.at, re.sub(r"ping-[0-9a-f]{32}", "ping-…", f.reason)) for f in flips]


def runs_of(integration_id: int) -> list[dict[str, Any]]:
    runs = []
    for run in Run.objects.filter(integration_id=integration_id).order_by("id"):
        values = {f.name: getattr(run, f.name) for f in Run._meta.concrete_fields if f.name not in RUN_SKIPPED}
        values["made_up_id"] = run.external_id.startswith("ping-")
        runs.append(values)
    return runs


def row_of(integration_id: int) -> dict[str, Any]:
    row = HealthSource.objects.get(integration_id=integration_id)
    values = {f.name: getattr(row, f.name) for f in HealthSource._meta.concrete_fields if f.name not in ROW_SKIPPED}
    last_run = row.last_run
    values["last_run"] = None if last_run is None else (last_run.status, last_run.run_at, last_run.records_out)
    return values


@pytest.mark.parametrize("min_records", [None, 1])
def test_plain_pings_store_exactly_what_the_general_path_stores(monkeypatch, min_records):
    fast, general = (make_integration(key, min_records=min_records) for key in ("fast", "general"))
    stored_plain: list[int] = []
    monkeypatch.setattr(pending, "lock_and_store_plain", general_path_for({general.pk}, stored_plain))
    clock = {"now": T0}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"])  # both sources stored at the same instants
    plain_kinds = []
    for received, applied, signal, body in PINGS:
        for integration in (fast, general):
            PendingPing.objects.create(
                integration=integration,
                signal=signal,
                body=json.dumps(body) if body is not None else "",
                received_at=T0 + minutes(received),
            )
        clock["now"] = T0 + minutes(applied)
        before = len(stored_plain)
        assert apply_pending_pings() == 2
        plain_kinds.append(len(stored_plain) - before)
        assert runs_of(fast.pk) == runs_of(general.pk), (received, signal, body)
        assert row_of(fast.pk) == row_of(general.pk), (received, signal, body)
        if applied in (10.1, 54.1):  # recomputed by the fast path
            assert row_of(fast.pk)["observed_refreshed_at"] == T0 + minutes(applied)

    fast_flips, general_flips = (flips_of(integration) for integration in (fast, general))
    assert fast_flips == general_flips and len(fast_flips) >= 5
    # The plain ones went the fast way; flips, run_ids and closing an open run the general way.
    plain = [n for n, went_fast in enumerate(plain_kinds) if went_fast]
    assert plain == [1, 2, 4, 6, 9, 10, 11, 12, 13, 16] + ([19] if min_records is None else [])


def test_a_plain_ping_whose_source_left_heartbeats_is_left_to_the_general_path(caplog):
    integration = make_integration()
    PendingPing.objects.create(integration=integration, signal="success", body="", received_at=timezone.now())
    apply_pending_pings()
    HealthSource.objects.filter(integration=integration).update(kind="http")
    PendingPing.objects.create(integration=integration, signal="success", body="", received_at=timezone.now())
    assert apply_pending_pings() == 1
    assert Run.objects.count() == 1
    assert "discarding ping" in caplog.text


def applying_queries(count: int) -> int:
    """Queries to apply one plain success ping to each of `count` sources (each past its first ping)."""
    integrations = [make_integration(f"feed-{count}-{n}") for n in range(count)]
    for integration in integrations:  # a first ping each, which flips unknown -> up
        PendingPing.objects.create(integration=integration, signal="success", body="", received_at=timezone.now())
    apply_pending_pings()
    for integration in integrations:
        PendingPing.objects.create(
            integration=integration, signal="success", body='{"records_out": 3}', received_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as queries:
        assert apply_pending_pings() == count
    assert Run.objects.filter(integration__in=integrations).count() == 2 * count
    return len(queries.captured_queries)


def test_applying_plain_pings_to_200_sources_takes_the_queries_of_10():
    few, many = applying_queries(10), applying_queries(200)
    # Off PostgreSQL state rows are written one by one (an in-process database has no round trips).
    if connection.vendor == "postgresql":
        assert many == few <= 14
    else:  # state rows written one by one, and SQLite's parameter limit splits the runs' INSERT
        assert few + 190 <= many <= few + 190 + 3
