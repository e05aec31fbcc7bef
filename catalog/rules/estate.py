"""Findings about the estate as a whole: UNDOCUMENTED_CONNECTION and POINT_TO_POINT_SPRAWL."""

from __future__ import annotations

from collections.abc import Iterable

from catalog.choices import ConnectorType, Lifecycle
from catalog.health import HEARTBEAT_SOURCE, ObservedConnection
from catalog.models import Integration
from catalog.models.findings import FindingCode, Severity, SubjectType
from catalog.rules.finding import Finding, listing

SPRAWL_LIMIT = 6  # more live point-to-point integrations than this want a central layer
POINT_TO_POINT_TYPES = frozenset({ConnectorType.CUSTOM_API, ConnectorType.FILE_TRANSFER})


def documented_refs(integrations: Iterable[Integration]) -> set[tuple[str, str]]:
    """(source, ref) of every health source a spec describes, as ObservedConnection names them."""
    refs: set[tuple[str, str]] = set()
    for integration in integrations:
        refs.add((HEARTBEAT_SOURCE, str(integration.ping_uuid)))
        if integration.health_account is not None and integration.health_ref:
            refs.add((integration.health_account.key, integration.health_ref))
    return refs


def undocumented_connections(observed: Iterable[ObservedConnection], documented: set[tuple[str, str]]) -> list[Finding]:
    findings: list[Finding] = []
    for connection in observed:
        if (connection.source, connection.ref) in documented:
            continue
        name = f"{connection.name!r} " if connection.name else ""
        seen = f", first seen {connection.first_seen_at.date().isoformat()}" if connection.first_seen_at else ""
        if connection.source == HEARTBEAT_SOURCE:
            message = f"Heartbeat {name}(ref {connection.ref}) pings Plumbline but no spec describes it{seen}."
        else:
            message = f"{connection.source}: {name}(ref {connection.ref}) is running with no spec{seen}."
        remedy = "Describe it in a spec (or point the spec that describes it at this connection), or switch it off."
        findings.append(
            Finding(
                FindingCode.UNDOCUMENTED_CONNECTION,
                Severity.WARNING,
                SubjectType.CONNECTION,
                f"{connection.source}/{connection.ref}",
                message,
                remedy,
            )
        )
    return findings


def point_to_point_sprawl(integrations: Iterable[Integration]) -> Finding | None:
    point_to_point = sorted(
        i.key for i in integrations if i.lifecycle == Lifecycle.LIVE and i.connector_type in POINT_TO_POINT_TYPES
    )
    if len(point_to_point) <= SPRAWL_LIMIT:
        return None
    message = (
        f"{len(point_to_point)} live point-to-point integrations (custom-api or file-transfer) run outside an "
        f"iPaaS, more than {SPRAWL_LIMIT}: {listing(point_to_point)}."
    )
    remedy = "Move them onto an iPaaS or another central integration layer with one place to see their failures."
    return Finding(FindingCode.POINT_TO_POINT_SPRAWL, Severity.WARNING, SubjectType.ESTATE, None, message, remedy)
