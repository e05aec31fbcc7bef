"""The readiness record as CSV: one row per integration in scope and checklist item."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from catalog.models import GoLive
from catalog.readiness.checklist import Readiness

CSV_HEADER = (
    "golive",
    "integration",
    "integration_name",
    "item",
    "item_label",
    "kind",
    "status",
    "detail",
    "performed_by",
    "performed_on",
    "evidence_url",
    "recorded_by",
    "recorded_at",
)


def csv_rows(golive: GoLive, readiness: Readiness) -> Iterator[tuple[Any, ...]]:
    for row in readiness.integrations:
        for item in row.items:
            attestation = item.attestation
            yield (
                golive.key,
                row.integration.key,
                row.integration.display_name,
                item.code,
                item.label,
                "attested" if item.attested else "computed",
                item.status,
                item.detail,
                attestation.performed_by if attestation else "",
                attestation.performed_on.isoformat() if attestation else "",
                attestation.evidence_url if attestation else "",
                attestation.recorded_by if attestation else "",
                attestation.recorded_at.isoformat() if attestation else "",
            )
