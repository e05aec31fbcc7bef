"""The lateness pass: only sources due a check are read, and no run history is scanned."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring.health.lateness import evaluate_due
from monitoring.health.pipeline import record_poll
from monitoring.models import Flip, HealthSource
from monitoring.platforms.contract import PollResult, RunObservation
from tests.monitoring.conftest import T0, make_integration, minutes, source_of

pytestmark = pytest.mark.django_db


def succeed(integration, at=T0) -> None:
    record_poll(integration, PollResult(runs=[RunObservation(f"r-{at:%H%M}", "success", finished_at=at)]), now=at)


def test_before_the_interval_has_passed_nothing_is_evaluated(integration):
    succeed(integration)
    assert evaluate_due(T0 + minutes(15)).evaluated == 0
    assert source_of(integration).state == "up"


def test_after_the_interval_it_is_late_and_after_the_grace_down(integration):
    succeed(integration)
    late = evaluate_due(T0 + minutes(16))
    down = evaluate_due(T0 + minutes(46))
    assert [f.to_state for f in late.flips] == ["late"]
    assert [f.to_state for f in down.flips] == ["down"]
    source = source_of(integration)
    assert source.state == "down"
    assert source.next_check_due_at is None


def test_a_down_source_is_not_evaluated_again(integration):
    succeed(integration)
    evaluate_due(T0 + minutes(46))
    assert evaluate_due(T0 + minutes(600)).evaluated == 0


def test_a_new_success_moves_the_next_check_on(integration):
    succeed(integration)
    succeed(integration, T0 + minutes(14))
    assert evaluate_due(T0 + minutes(16)).evaluated == 0


def test_the_pass_reads_no_run_history(integration):
    for n in range(5):
        succeed(make_integration(f"feed-{n}"))
    with CaptureQueriesContext(connection) as queries:
        report = evaluate_due(T0 + minutes(46))
    assert report.evaluated == 5
    assert not [q["sql"] for q in queries if 'FROM "monitoring_run"' in q["sql"]]


def test_the_due_sources_are_found_through_an_index():
    constraints = connection.introspection.get_constraints(connection.cursor(), HealthSource._meta.db_table)
    assert any(c["index"] and c["columns"] == ["next_check_due_at"] for c in constraints.values())
    if connection.vendor == "sqlite":
        plan = HealthSource.objects.filter(next_check_due_at__lte=T0).order_by("next_check_due_at").explain()
        assert "INDEX" in plan and "next_check_due_at" in plan


def test_a_paused_source_never_goes_late(integration, client):
    succeed(integration)
    source = source_of(integration)
    source.paused = True
    source.save()
    record_poll(integration, PollResult(), now=T0 + minutes(1))
    assert source_of(integration).state == "paused"
    assert evaluate_due(T0 + minutes(60)).evaluated == 0
    assert Flip.objects.filter(to_state__in=["late", "down"]).count() == 0
