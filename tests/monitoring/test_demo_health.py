"""The demo's made-up run history shows every health state and loads only once a day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from monitoring.demo import seed_demo_health
from monitoring.models import HealthSource, Run

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def test_demo_history_shows_up_down_and_failing_and_repeats_nothing():
    call_command("seed_demo", "--today", "2026-11-26", verbosity=0)
    assert seed_demo_health(NOW) > 10
    states = set(HealthSource.objects.filter(integration__lifecycle="live").values_list("state", flat=True))
    assert {"up", "down", "failing"} <= states
    runs = Run.objects.count()
    seed_demo_health(NOW)
    assert Run.objects.count() == runs
