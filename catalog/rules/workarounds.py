"""WORKAROUND_MISSED: a phase-two workaround's due run whose due day has passed unconfirmed.

Only the latest runs count: the last run due before today (in sync.timezone) unconfirmed is a
warning, and critical when the run before it was missed too (two in a row). A run due today is not
missed yet, and runs due before deferred_since are not counted."""

from __future__ import annotations

import datetime as dt

from catalog.models import Integration
from catalog.models.findings import FindingCode, Severity
from catalog.rules.finding import Facts, Finding, about, listing, person_name
from catalog.rules.phase_two import is_deferred
from catalog.workarounds.runs import cadence_for, tracked_from

IN_A_ROW = 2  # missed runs in a row that make it critical


def _day(cadence_day: dt.date) -> str:
    return cadence_day.strftime("%a %Y-%m-%d")


def workaround_missed(integration: Integration, facts: Facts) -> Finding | None:
    if not is_deferred(integration):
        return None
    cadence = cadence_for(integration)
    if cadence is None:
        return None
    today_start = cadence.day_start(cadence.local_day(facts.now))
    last = cadence.previous(today_start, IN_A_ROW)
    since = tracked_from(integration, cadence)
    last = [at for at in last if since is None or at >= since]
    missed: list[dt.datetime] = []
    for at in last:
        if at in facts.confirmed_runs:
            break
        missed.append(at)
    if not missed:
        return None
    days = [_day(cadence.local_day(at)) for at in reversed(missed)]
    who = person_name(integration.workaround_performed_by) if integration.workaround_performed_by else "nobody named"
    if len(missed) >= IN_A_ROW:
        severity = Severity.CRITICAL
        what = f"The last {len(missed)} runs of the manual workaround, due {listing(days)}, were not confirmed"
    else:
        severity = Severity.WARNING
        what = f"The manual workaround's run due {days[0]} was not confirmed"
    message = f"{what} ({cadence.describe()}; performed by {who})."
    remedy = (
        "If it was done, confirm it: the Done button on the integration page, the link in the reminder "
        "email, or a POST to the workaround's URL (hours optional). If it was not, do it now and confirm."
    )
    return about(integration, FindingCode.WORKAROUND_MISSED, severity, message, remedy)
