"""Go-live readiness: per integration in scope, a checklist of computed items (read from the spec,
health and findings) and attested items (someone did it and links the evidence).

checklist.py decides (pure), overdue.py says whether a go-live is past its date unsigned (pure),
load.py gathers the facts in a fixed number of queries,
records.py writes attestations and sign-offs, export.py is the CSV.
"""

from __future__ import annotations

from catalog.readiness.checklist import (
    ITEMS,
    AttestationFacts,
    IntegrationFacts,
    IntegrationReadiness,
    ItemResult,
    Readiness,
    assess_golive,
    assess_integration,
)

__all__ = [
    "ITEMS",
    "AttestationFacts",
    "IntegrationFacts",
    "IntegrationReadiness",
    "ItemResult",
    "Readiness",
    "assess_golive",
    "assess_integration",
]
