"""seed_demo's 90 days of snapshots: an estate getting better up to today's real figures, and
seeding again changes none of them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import EstateSnapshot
from catalog.trend.snapshot import estate_figures

pytestmark = pytest.mark.django_db


def stored() -> list[tuple]:
    return list(EstateSnapshot.objects.order_by("taken_on").values_list())


@pytest.mark.django_db(transaction=True)  # the import commits and refreshes findings before the snapshots
def test_the_demo_has_90_days_of_an_improving_estate_ending_today():
    call_command("seed_demo", verbosity=0)
    today = timezone.localdate()
    snapshots = list(EstateSnapshot.objects.order_by("taken_on"))
    assert [s.taken_on for s in snapshots] == [today - dt.timedelta(days=n) for n in range(89, -1, -1)]
    first, last = snapshots[0], snapshots[-1]
    current = estate_figures(today)
    assert (last.findings_warning, last.complete) == (current["findings_warning"], current["complete"])
    assert last.findings_warning > 0
    assert first.findings_critical > last.findings_critical
    assert first.findings_warning > last.findings_warning
    assert first.completeness_average < last.completeness_average
    assert first.workaround_hours_per_month > last.workaround_hours_per_month


def test_seeding_twice_changes_no_snapshot(db):
    call_command("seed_demo", verbosity=0)
    before = stored()
    call_command("seed_demo", verbosity=0)
    assert stored() == before


def test_a_real_snapshot_is_kept_by_the_demo(db):
    today = timezone.localdate()
    EstateSnapshot.objects.create(taken_on=today, taken_at=timezone.now(), findings_critical=42)
    call_command("seed_demo", verbosity=0)
    assert EstateSnapshot.objects.get(taken_on=today).findings_critical == 42
    assert EstateSnapshot.objects.count() == 90
