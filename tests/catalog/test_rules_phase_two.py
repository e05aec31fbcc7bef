"""DEFERRED_PHASE_TWO and WORKAROUND_EXCEEDS_BUILD, and the register's arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.rules.phase_two import quarters_deferred, workaround_hours_to_date
from tests.catalog.test_rules_support import TODAY, days_ago, integration, only, person


def deferred(days: int | None = 10, **overrides: object):
    fields: dict[str, object] = {
        "lifecycle": "planned",
        "phase": "phase-two",
        "deferred_since": days_ago(days) if days is not None else None,
        "workaround_description": "Tuesday CSV export",
        "workaround_performed_by": person("sam.ortiz@example.com", pk=3, name="Sam Ortiz"),
        "workaround_hours_per_month": 6,
        "build_estimate_hours": 1000,
    }
    fields.update(overrides)
    return integration(**fields)


def severity(item) -> str | None:
    finding = only("DEFERRED_PHASE_TWO", item)
    return finding.severity if finding else None


def test_phase_two_item_deferred_90_days_is_info():
    assert severity(deferred(90)) == "info"


def test_phase_two_item_deferred_91_days_is_a_warning():
    assert severity(deferred(91)) == "warning"


def test_phase_two_item_deferred_180_days_is_still_a_warning():
    assert severity(deferred(180)) == "warning"


def test_phase_two_item_deferred_181_days_is_critical():
    assert severity(deferred(181)) == "critical"


def test_phase_two_item_past_target_date_is_critical():
    assert severity(deferred(10, target_date=days_ago(1))) == "critical"


def test_phase_two_item_on_its_target_date_has_not_passed_it():
    assert severity(deferred(10, target_date=TODAY)) == "info"


def test_phase_two_item_without_deferral_date_is_a_warning():
    finding = only("DEFERRED_PHASE_TWO", deferred(None))
    assert finding is not None
    assert finding.severity == "warning" and "no deferred_since" in finding.message


def test_go_live_integration_is_not_deferred():
    assert only("DEFERRED_PHASE_TWO", integration()) is None


def test_deferral_message_gives_age_quarters_target_and_who_does_the_work():
    finding = only("DEFERRED_PHASE_TWO", deferred(200, target_date=days_ago(5)))
    assert finding is not None
    assert "200 days ago" in finding.message
    assert "2 quarters" in finding.message
    assert f"target date {days_ago(5).isoformat()} passed 5 days ago" in finding.message
    assert "Sam Ortiz does it by hand, 6 h/month" in finding.message


@pytest.mark.parametrize(
    ("since", "today", "quarters"),
    [
        (dt.date(2026, 3, 31), dt.date(2026, 3, 31), 0),
        (dt.date(2026, 3, 31), dt.date(2026, 4, 1), 1),
        (dt.date(2026, 2, 1), dt.date(2026, 11, 26), 3),
        (dt.date(2025, 12, 15), dt.date(2026, 1, 2), 1),
    ],
)
def test_quarters_deferred_counts_calendar_quarters_started_since(since, today, quarters):
    assert quarters_deferred(deferred(deferred_since=since), today) == quarters


def test_workaround_hours_to_date_are_hours_per_month_times_months_elapsed():
    item = deferred(deferred_since=dt.date(2022, 11, 26), workaround_hours_per_month=2)
    assert workaround_hours_to_date(item, dt.date(2026, 11, 26)) == pytest.approx(96.0)


# WORKAROUND_EXCEEDS_BUILD: 1461 days are exactly 48 average months.


def test_workaround_hours_equal_to_build_estimate_exceed_it():
    item = deferred(1461, workaround_hours_per_month=1, build_estimate_hours=48)
    finding = only("WORKAROUND_EXCEEDS_BUILD", item)
    assert finding is not None
    assert finding.severity == "warning"
    assert "about 48 hours" in finding.message and "48 hours estimated" in finding.message


def test_workaround_hours_a_day_short_of_build_estimate_do_not_exceed_it():
    item = deferred(1460, workaround_hours_per_month=1, build_estimate_hours=48)
    assert only("WORKAROUND_EXCEEDS_BUILD", item) is None


def test_workaround_over_build_estimate_names_the_hours():
    item = deferred(298, workaround_hours_per_month=8, build_estimate_hours=60)
    finding = only("WORKAROUND_EXCEEDS_BUILD", item)
    assert finding is not None and "about 78.3 hours" in finding.message


def test_workaround_without_build_estimate_cannot_exceed_it():
    assert only("WORKAROUND_EXCEEDS_BUILD", deferred(1000, build_estimate_hours=None)) is None


def test_workaround_without_deferral_date_cannot_exceed_it():
    assert only("WORKAROUND_EXCEEDS_BUILD", deferred(None, build_estimate_hours=1)) is None
