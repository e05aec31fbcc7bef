"""What happens when a record fails: SILENT_FAILURES and RESYNC_LOSES_SEQUENCE."""

from __future__ import annotations

from catalog.choices import ErrorSurface, Resync
from catalog.models import Integration
from catalog.models.findings import FindingCode, Severity
from catalog.rules.finding import Facts, Finding, about, listing


def silent_failures(integration: Integration, facts: Facts) -> Finding | None:
    surface = integration.error_surface
    if surface == ErrorSurface.LOG_FILE:
        severity = Severity.WARNING
        message = "Failures are only written to a log file: nobody is told when a record fails."
    elif surface == ErrorSurface.NONE:
        # Not even a log: a failure leaves no trace at all.
        severity = Severity.CRITICAL
        message = "Failures are not reported anywhere, not even in a log: a failed record leaves no trace."
    else:
        return None
    remedy = "Send failures as alerts (or to a channel someone watches) and name the people who must be told."
    return about(integration, FindingCode.SILENT_FAILURES, severity, message, remedy)


def resync_loses_sequence(integration: Integration, facts: Facts) -> Finding | None:
    resync = integration.resync
    if not integration.is_sequence_sensitive or resync not in (Resync.CURRENT_STATE, Resync.NONE):
        return None
    objects = listing(list(integration.data_objects or [])) or "its data"
    how = "captures only current state" if resync == Resync.CURRENT_STATE else "is not possible at all"
    message = (
        f"{objects} {'is' if len(integration.data_objects or []) <= 1 else 'are'} sequence-sensitive, "
        f"but a re-sync after an outage {how}: the audit trail will have gaps."
    )
    remedy = "Make the re-sync send failed and queued records again in their original order."
    return about(integration, FindingCode.RESYNC_LOSES_SEQUENCE, Severity.WARNING, message, remedy)
