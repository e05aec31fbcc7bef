"""Do the counts add up: RECORDS_DROPPED and RECONCILIATION_GAP, both on the latest finished run.

Only the latest finished run (monitoring's HealthSource.last_run, test runs excluded) is read: the
finding says what is true now, and goes away by itself when the next run adds up, as HEALTH_FAILING
does; the shortfalls of older runs stay visible on the health page's timeline. It is one join in
the query health facts are read with, so a refresh of the whole estate reads no run history.

The tolerance is the spec's `reconciliation` block: a shortfall is tolerated when it is at most
`tolerance_records` records, or at most `tolerance_percent` of the expected count (whichever allows
more). Without the block no shortfall is tolerated.
"""

from __future__ import annotations

from decimal import Decimal

from catalog.health import RunCounts
from catalog.models import Integration
from catalog.models.findings import FindingCode, Severity
from catalog.rules.finding import Facts, Finding, about


def within_tolerance(integration: Integration, expected: int, missing: int) -> bool:
    """Whether `missing` of `expected` records are tolerated by the spec's reconciliation block.
    Exact: the percentage is compared in decimal, so 0.5% of 1,000 is 5 records, never 4.999…"""
    if missing <= 0:
        return True
    records = integration.reconciliation_tolerance_records
    if records is not None and missing <= records:
        return True
    percent = integration.reconciliation_tolerance_percent
    return percent is not None and missing * 100 <= Decimal(str(percent)) * expected


def tolerance_text(integration: Integration) -> str:
    """What the spec tolerates, as the message says it: "none", "5 records", "5 records or 0.5%"."""
    records = integration.reconciliation_tolerance_records
    percent = integration.reconciliation_tolerance_percent
    parts = []
    if records:
        parts.append(f"{records:,} record{'' if records == 1 else 's'}")
    if percent:
        parts.append(f"{Decimal(str(percent)).normalize():f}%")
    return " or ".join(parts) or "none"


def _records(count: int) -> str:
    return f"{count:,} record{'' if count == 1 else 's'}"


def _share(missing: int, expected: int) -> str:
    return f" ({missing * 100 / expected:.2f}%)" if expected else ""


def _run(run: RunCounts) -> str:
    return f"{run.external_id} ({run.run_at:%Y-%m-%d %H:%M} UTC)"


def _beyond(integration: Integration) -> str:
    return f"more than the spec's reconciliation tolerates ({tolerance_text(integration)})"


def _severity(integration: Integration) -> str:
    # As FAILED_RECORDS_OPEN: lost sequenced financial records are a hole in the audit trail.
    return Severity.CRITICAL if integration.is_sequence_sensitive else Severity.WARNING


def records_dropped(integration: Integration, facts: Facts) -> Finding | None:
    """records_out + records_failed short of records_in beyond the tolerance (a run that does not
    report records_in or records_out is not judged; an unreported records_failed counts as 0)."""
    run = facts.health.last_run if facts.health else None
    if run is None or run.records_in is None or run.records_out is None:
        return None
    failed = run.records_failed or 0
    missing = run.records_in - run.records_out - failed
    if within_tolerance(integration, run.records_in, missing):
        return None
    message = (
        f"Run {_run(run)} took in {_records(run.records_in)} but moved {run.records_out:,} and failed "
        f"{failed:,}: {missing:,} unaccounted for{_share(missing, run.records_in)}, {_beyond(integration)}."
    )
    remedy = (
        "Find the records the run took in but neither moved nor reported as failed, send them again, and "
        "make the integration report every record it skips."
    )
    return about(integration, FindingCode.RECORDS_DROPPED, _severity(integration), message, remedy)


def reconciliation_gap(integration: Integration, facts: Facts) -> Finding | None:
    """The status document's target_count differs from its source_count beyond the tolerance (more in
    the target is a gap too: records written twice)."""
    run = facts.health.last_run if facts.health else None
    if run is None or run.source_count is None or run.target_count is None:
        return None
    gap = abs(run.source_count - run.target_count)
    if within_tolerance(integration, run.source_count, gap):
        return None
    if run.period_start or run.period_end:
        start = f"{run.period_start:%Y-%m-%d %H:%M}" if run.period_start else "…"
        end = f"{run.period_end:%Y-%m-%d %H:%M}" if run.period_end else "…"
        period = f"For {start} to {end} UTC (reported with run {_run(run)})"
    else:
        period = f"For run {_run(run)}"
    message = (
        f"{period}, the source counted {_records(run.source_count)} and the target {run.target_count:,}: "
        f"a gap of {gap:,}{_share(gap, run.source_count)}, {_beyond(integration)}."
    )
    remedy = (
        "Compare the two systems for the period, record by record, and send what is missing (or remove what "
        "was written twice) before the period is closed."
    )
    return about(integration, FindingCode.RECONCILIATION_GAP, _severity(integration), message, remedy)
