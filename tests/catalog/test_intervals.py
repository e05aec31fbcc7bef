"""Intervals read as people say them, for declared (whole) and observed (fractional) minutes."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from catalog.templatetags.intervals import interval_words


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1, "every minute"),
        (15, "every 15 minutes"),
        (60, "hourly"),
        (90, "every 90 minutes"),
        (120, "every 2 hours"),
        (1440, "daily"),
        (2880, "every 2 days"),
        (10080, "weekly"),
        (20160, "every 2 weeks"),
        (36 * 60, "every 36 hours"),
    ],
)
def test_declared_intervals_read_as_people_say_them(minutes, words):
    assert interval_words(minutes) == words


def test_an_observed_median_is_rounded_to_the_nearest_minute():
    assert interval_words(47.4) == "every 47 minutes"
    assert interval_words(59.8) == "hourly"


def test_under_a_minute_reads_in_seconds():
    assert interval_words(0.5) == "every 30 seconds"
    assert interval_words(1 / 60) == "every second"
    assert interval_words(0.001) == "every second"


def test_hours_and_minutes_between_two_hours_and_two_days():
    assert interval_words(137) == "every 2 hours 17 minutes"
    assert interval_words(25 * 60 + 1) == "every 25 hours 1 minute"


def test_beyond_two_days_reads_in_days_and_whole_hours():
    assert interval_words(3 * 1440 + 60) == "every 3 days 1 hour"
    assert interval_words(3 * 1440 + 5 * 60 + 10) == "every 3 days 5 hours"
    assert interval_words(3 * 1440 + 20) == "every 3 days"


def test_nearly_a_week_rounds_up_to_weekly():
    assert interval_words(6 * 1440 + 23 * 60 + 50) == "weekly"


def test_no_interval_is_empty():
    assert interval_words(None) == ""
    assert interval_words(-5) == ""


def test_the_template_filter_uses_the_same_words():
    template = Template("{% load intervals %}{{ a|interval }} / {{ b|interval }}")
    rendered = template.render(Context({"a": 120, "b": None}))
    assert rendered == "every 2 hours / "
