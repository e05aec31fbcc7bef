"""Intervals as people say them: 15 -> "every 15 minutes", 60 -> "hourly", 1440 -> "daily".

One helper for every page that shows a declared or observed interval in minutes
(`{% load intervals %}{{ integration.interval_minutes|interval }}`)."""

from __future__ import annotations

from django import template

register = template.Library()

HOUR = 60
DAY = 24 * HOUR
WEEK = 7 * DAY

# The intervals with a word of their own.
NAMED: dict[int, str] = {1: "every minute", HOUR: "hourly", DAY: "daily", WEEK: "weekly"}


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def interval_words(minutes: float | None) -> str:
    """An interval in minutes in words ("" for none). Observed medians are fractional: they are
    rounded to the nearest minute (seconds below one minute), so 59.8 reads "hourly"."""
    if minutes is None or minutes < 0:
        return ""
    if minutes < 1:
        seconds = max(1, round(minutes * 60))
        return "every second" if seconds == 1 else f"every {seconds} seconds"
    total = round(minutes)
    if total in NAMED:
        return NAMED[total]
    if total % WEEK == 0:
        return f"every {total // WEEK} weeks"
    if total % DAY == 0:
        return f"every {total // DAY} days"
    if total < 2 * HOUR and total % HOUR:
        return f"every {total} minutes"
    if total < 2 * DAY:
        hours, rest = divmod(total, HOUR)
        return f"every {hours} hours" + (f" {_count(rest, 'minute')}" if rest else "")
    days, rest = divmod(total, DAY)
    hours = round(rest / HOUR)
    if hours == 24:
        return interval_words((days + 1) * DAY)
    return f"every {days} days" + (f" {_count(hours, 'hour')}" if hours else "")


@register.filter
def interval(minutes: float | None) -> str:
    return interval_words(minutes)
