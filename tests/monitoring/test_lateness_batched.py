"""The lateness pass takes due sources a chunk at a time: its queries do not grow with how many
are due, and each chunk settles every one of its sources as one source at a time would."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.health import lateness
from monitoring.health.lateness import evaluate_due
from monitoring.health.pipeline import record_poll
from monitoring.models import Flip, HealthSource
from monitoring.platforms.contract import PollResult, RunObservation
from tests.monitoring.conftest import T0, make_integration, minutes, source_of

pytestmark = pytest.mark.django_db


def succeed(integration, at=T0) -> None:
    record_poll(integration, PollResult(runs=[RunObservation(f"r-{at:%H%M}", "success", finished_at=at)]), now=at)


def feeds(first: int, count: int) -> list:
    integrations = [make_integration(f"feed-{n}") for n in range(first, first + count)]
    for integration in integrations:
        succeed(integration)
    return integrations


def test_every_due_source_is_settled_across_chunks(monkeypatch):
    monkeypatch.setattr(lateness, "CHUNK", 2)
    integrations = feeds(0, 5)
    report = evaluate_due(T0 + minutes(16))
    assert report.evaluated == 5
    assert sorted(f.integration_id for f in report.flips) == sorted(i.pk for i in integrations)
    assert {source_of(i).state for i in integrations} == {"late"}
    # The next check is the end of the grace: one tick after interval + grace.
    assert {source_of(i).next_check_due_at for i in integrations} == {T0 + minutes(45) + lateness_tick()}
    down = evaluate_due(T0 + minutes(46))
    assert [f.to_state for f in down.flips] == ["down"] * 5
    assert Flip.objects.filter(to_state="down").count() == 5


def lateness_tick():
    from monitoring.health.state import TICK

    return TICK


def test_the_pass_takes_as_many_queries_for_many_due_as_for_few():
    feeds(0, 3)
    with CaptureQueriesContext(connection) as few:
        assert evaluate_due(T0 + minutes(16)).evaluated == 3
    feeds(3, 12)
    HealthSource.objects.update(state="up", next_check_due_at=T0 + minutes(15))
    Flip.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        assert evaluate_due(T0 + minutes(16)).evaluated == 15
    if connection.vendor == "postgresql":  # elsewhere the rows are written one by one
        assert len(many.captured_queries) == len(few.captured_queries)
    else:
        assert len(many.captured_queries) - len(few.captured_queries) == 12


def test_a_source_whose_next_check_moved_on_is_left_alone(monkeypatch):
    early, moved = feeds(0, 2)
    HealthSource.objects.filter(integration=moved).update(next_check_due_at=T0 + minutes(30))
    report = evaluate_due(T0 + minutes(16))
    assert report.evaluated == 1
    assert source_of(early).state == "late" and source_of(moved).state == "up"
