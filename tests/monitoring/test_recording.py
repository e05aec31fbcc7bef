"""record_poll: runs upserted by external id, failed records kept in order, the state row kept current."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.health.pipeline import record_poll
from monitoring.models import FailedRecord, Flip, Run
from monitoring.platforms.contract import (
    FailedRecordObservation,
    PollResult,
    ResolvedObservation,
    RunObservation,
    RunStatus,
)
from tests.monitoring.conftest import T0, make_integration, minutes, source_of

pytestmark = pytest.mark.django_db


def run(external_id: str, at: dt.datetime, status: RunStatus = "success", **extra) -> RunObservation:
    return RunObservation(external_id=external_id, status=status, started_at=at - minutes(1), finished_at=at, **extra)


@pytest.fixture
def polled(db):
    return make_integration("orders", kind="http", health_url="https://orders.example.com/status")


def test_the_same_poll_result_twice_adds_no_runs_or_failed_records(polled):
    result = PollResult(
        runs=[run("r-2", T0, records_out=5), run("r-1", T0 - minutes(15))],
        failed_records=[
            FailedRecordObservation(key="SO-1", error="bad tax code", occurred_at=T0, run_external_id="r-2")
        ],
        cursor="r-2",
    )
    first = record_poll(polled, result, now=T0)
    second = record_poll(polled, result, now=T0 + minutes(1))
    assert (first.new_runs, first.new_failed_records) == (2, 1)
    assert (second.new_runs, second.updated_runs, second.new_failed_records) == (0, 0, 0)
    assert Run.objects.count() == 2
    assert FailedRecord.objects.count() == 1
    assert Flip.objects.count() == 1


def test_a_running_run_is_updated_in_place_when_it_finishes(polled):
    record_poll(polled, PollResult(runs=[RunObservation("r-1", "running", started_at=T0)]), now=T0)
    record_poll(polled, PollResult(runs=[run("r-1", T0 + minutes(2), records_out=7)]), now=T0 + minutes(3))
    stored = Run.objects.get()
    assert (stored.status, stored.records_out, stored.finished_at) == ("success", 7, T0 + minutes(2))


def test_a_stale_running_report_does_not_reopen_a_finished_run(polled):
    record_poll(polled, PollResult(runs=[run("r-1", T0)]), now=T0)
    record_poll(polled, PollResult(runs=[RunObservation("r-1", "running", started_at=T0 - minutes(1))]), now=T0)
    assert Run.objects.get().status == "success"


def test_the_latest_finished_run_decides_even_when_older_runs_arrive_later(polled):
    record_poll(polled, PollResult(runs=[run("r-9", T0)]), now=T0)
    record_poll(polled, PollResult(runs=[run("r-8", T0 - minutes(15), status="failed")]), now=T0 + minutes(1))
    source = source_of(polled)
    assert source.last_run.external_id == "r-9"
    assert source.state == "up"


def test_failed_records_keep_their_order_across_polls(polled):
    def failure(key: str) -> FailedRecordObservation:
        return FailedRecordObservation(key=key, error="rejected", occurred_at=T0, run_external_id="r-1")

    record_poll(polled, PollResult(runs=[run("r-1", T0, status="failed")], failed_records=[failure("B"), failure("A")]))
    record_poll(polled, PollResult(failed_records=[failure("A"), failure("C")]))
    assert list(FailedRecord.objects.order_by("position").values_list("key", "position")) == [
        ("B", 1),
        ("A", 2),
        ("C", 3),
    ]
    assert source_of(polled).open_failed_records == 3


def test_failed_records_with_a_platform_id_are_deduplicated_by_it(polled):
    first = FailedRecordObservation(key="SO-1", error="timeout", external_id="err-1")
    retried_text = FailedRecordObservation(key="SO-1", error="timeout (retried)", external_id="err-1")
    record_poll(polled, PollResult(failed_records=[first]))
    record_poll(polled, PollResult(failed_records=[retried_text]))
    assert FailedRecord.objects.count() == 1


def test_observed_interval_is_kept_on_the_state_row(polled):
    runs = [run(f"r-{n}", T0 + minutes(20 * n)) for n in range(6)]
    record_poll(polled, PollResult(runs=runs), now=T0 + minutes(101))
    source = source_of(polled)
    assert (source.observed_median_minutes, source.observed_p95_minutes) == (20.0, 20.0)
    assert source.last_success_at == T0 + minutes(100)


def test_the_observed_interval_is_recomputed_at_most_every_ten_minutes(polled):
    record_poll(polled, PollResult(runs=[run("r-0", T0), run("r-1", T0 + minutes(10))]), now=T0 + minutes(10))
    assert (source_of(polled).observed_median_minutes, source_of(polled).observed_p95_minutes) == (10.0, 10.0)
    # A minute later: not recomputed (the gaps would now be 10 and 1), and the week's successes not read.
    with CaptureQueriesContext(connection) as queries:
        record_poll(polled, PollResult(runs=[run("r-2", T0 + minutes(11))]), now=T0 + minutes(11))
    assert source_of(polled).observed_p95_minutes == 10.0
    assert not [q for q in queries.captured_queries if '"run_at" >=' in q["sql"]]
    # Ten minutes after the last computation it is recomputed with every success of the window.
    record_poll(polled, PollResult(runs=[run("r-3", T0 + minutes(40))]), now=T0 + minutes(40))
    source = source_of(polled)
    assert source.observed_median_minutes == 10.0  # gaps 10, 1, 29
    assert source.observed_p95_minutes > 20
    assert source.observed_refreshed_at == T0 + minutes(40)


def test_the_cursor_is_stored_and_poll_errors_cleared(polled):
    record_poll(polled, PollResult(cursor="page-2"), now=T0)
    source = source_of(polled)
    assert (source.cursor, source.last_polled_at, source.last_poll_error) == ("page-2", T0, "")


def test_next_check_is_due_when_the_run_would_become_late(polled):
    record_poll(polled, PollResult(runs=[run("r-1", T0)]), now=T0 + minutes(1))
    due = source_of(polled).next_check_due_at
    assert T0 + minutes(15) < due <= T0 + minutes(15) + dt.timedelta(seconds=1)


def test_a_run_moving_too_few_records_makes_it_failing(db):
    strict = make_integration("payroll", kind="http", min_records=1)
    record_poll(strict, PollResult(runs=[run("r-1", T0, records_out=0)]), now=T0)
    flip = Flip.objects.get()
    assert (flip.to_state, flip.reason) == ("failing", "run r-1 moved 0 records (minimum 1)")


def test_failed_records_the_platform_closed_are_resolved_with_how(polled):
    """By error id, or every record of a run (a retry in the same poll as the failure closes it too)."""
    failed = [
        FailedRecordObservation(key="SO-1", error="bad tax", occurred_at=T0, run_external_id="r-1", external_id="e-1"),
        FailedRecordObservation(key="SO-2", error="bad tax", occurred_at=T0, run_external_id="r-1", external_id="e-2"),
        FailedRecordObservation(key="SO-3", error="no customer", occurred_at=T0, run_external_id="r-2"),
    ]
    runs = [run("r-1", T0, status="failed"), run("r-2", T0, status="failed")]
    record_poll(polled, PollResult(runs=runs, failed_records=failed), now=T0)
    assert source_of(polled).open_failed_records == 3

    closed = [ResolvedObservation(external_id="e-1", how="resolved on Celigo")]
    outcome = record_poll(polled, PollResult(resolved=closed), now=T0 + minutes(1))
    assert outcome.resolved_failed_records == 1
    assert source_of(polled).open_failed_records == 2
    assert FailedRecord.objects.get(key="SO-1").resolution == "resolved on Celigo"

    # Saying it again changes nothing; a run's records close together, with a failure seen in the same poll.
    again = PollResult(
        runs=[run("r-3", T0 + minutes(2), status="failed")],
        failed_records=[FailedRecordObservation(key="SO-4", error="x", occurred_at=T0, run_external_id="r-3")],
        resolved=[
            *closed,
            ResolvedObservation(run_external_id="r-2", how="retried by r-9"),
            ResolvedObservation(run_external_id="r-3", how="retried by r-10"),
        ],
    )
    assert record_poll(polled, again, now=T0 + minutes(2)).resolved_failed_records == 2
    assert list(FailedRecord.objects.filter(resolved_at=None).values_list("key", flat=True)) == ["SO-2"]
    assert source_of(polled).open_failed_records == 1
    assert FailedRecord.objects.get(key="SO-1").resolved_at == T0 + minutes(1)
