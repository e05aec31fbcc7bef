"""Who keeps the connector working: CONNECTOR_MAINTENANCE_UNOWNED and API_RETIREMENT_DUE."""

from __future__ import annotations

from catalog.choices import MAINTAINED_CONNECTOR_TYPES
from catalog.models import Integration
from catalog.models.findings import FindingCode, Severity
from catalog.rules.finding import Facts, Finding, about, plural

RETIREMENT_WARNING_DAYS = 90  # warn when the pinned API version stops working within 90 days


def connector_maintenance_unowned(integration: Integration, facts: Facts) -> Finding | None:
    if integration.connector_type not in MAINTAINED_CONNECTOR_TYPES:
        return None
    gaps: list[str] = []
    if not integration.maintained_by:
        gaps.append("no one named to maintain it")
    if integration.compatibility_sla_days is None:
        gaps.append("no agreed time to fix a break")
    if not gaps:
        return None
    systems = list(dict.fromkeys(s.display_name for s in (integration.source, integration.target) if s is not None))
    after = f" of {' or '.join(systems)}" if systems else ""
    message = (
        f"The {integration.connector_type} connector has {' and '.join(gaps)}: nobody is committed "
        f"to fix it after a major release{after}."
    )
    remedy = "Agree who maintains the connector and how many days they take to fix a break, and write both down."
    return about(integration, FindingCode.CONNECTOR_MAINTENANCE_UNOWNED, Severity.WARNING, message, remedy)


def api_retirement_due(integration: Integration, facts: Facts) -> Finding | None:
    retires = integration.api_retirement_date
    if retires is None:
        return None
    days = (retires - facts.today).days
    if days > RETIREMENT_WARNING_DAYS:
        return None
    version = f"API version {integration.api_version}" if integration.api_version else "The pinned API version"
    if days < 0:
        message = f"{version} was retired on {retires.isoformat()}, {plural(-days, 'day')} ago."
    elif days == 0:
        message = f"{version} is retired today ({retires.isoformat()})."
    else:
        message = f"{version} is retired on {retires.isoformat()}, in {plural(days, 'day')}."
    severity = Severity.CRITICAL if days <= 0 else Severity.WARNING
    remedy = "Move the connector to a supported API version before the retirement date and record the new version."
    return about(integration, FindingCode.API_RETIREMENT_DUE, severity, message, remedy)
