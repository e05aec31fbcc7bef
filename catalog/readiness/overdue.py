"""Is a go-live overdue? Its date has passed and nobody has signed it off: either it went live
without the record being closed, or it slipped and the date was never moved. Both want a look."""

from __future__ import annotations

import datetime as dt

from catalog.rules.finding import plural


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole calendar months from one day to a later one (Jan 31 -> Feb 28 is 0, -> Mar 1 is 1)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def overdue_by(date: dt.date | None, signed_off: bool, today: dt.date) -> str | None:
    """How long past its date an unsigned go-live is, in words ("14 months", "3 days"); None when
    it is not overdue (no date, signed off, or the date is today or later)."""
    if date is None or signed_off or date >= today:
        return None
    months = months_between(date, today)
    if months >= 2:
        return plural(months, "month")
    return plural((today - date).days, "day")
