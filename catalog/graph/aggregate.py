"""The whole estate when it is large: one edge per (source, target) pair of systems instead of one per
integration. Pure: no database, no graphviz.

dot's layout time grows with the edges it routes; 10,000 integrations do not draw in minutes, but
the few hundred to a couple of thousand pairs they run between draw in about a second. Each pair
edge carries the number of integrations behind it and the worst health among those that move data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from catalog.graph.model import UNMONITORED, IntegrationEdge
from catalog.health import WORST_FIRST

# A view drawing more integrations than this, and focusing no system, is drawn as pairs.
AGGREGATE_ABOVE_EDGES = 400

# Worst first, as the health board sorts: what to look at first when integrations share an edge.
HEALTH_SEVERITY: tuple[str, ...] = (*WORST_FIRST, UNMONITORED)


def worst_health(states: list[str] | set[str] | tuple[str, ...]) -> str:
    """The most severe of these health states ("" when there are none)."""
    present = set(states)
    return next((state for state in HEALTH_SEVERITY if state in present), "")


@dataclass(frozen=True)
class PairEdge:
    """Every drawn integration from one system to another."""

    source_id: int
    target_id: int
    integrations: tuple[IntegrationEdge, ...]  # ordered by key
    flowing_health: tuple[str, ...]  # health of those that move data (not planned or retired)

    @property
    def count(self) -> int:
        return len(self.integrations)

    @property
    def health(self) -> str:
        """The worst health among the integrations that move data; "" when none does."""
        return worst_health(self.flowing_health)

    def health_counts(self) -> list[tuple[str, int]]:
        """(state, how many) worst first, over the integrations that move data."""
        return [(s, self.flowing_health.count(s)) for s in HEALTH_SEVERITY if s in self.flowing_health]


def pairs(edges: list[IntegrationEdge], not_flowing: frozenset[str]) -> list[PairEdge]:
    """One PairEdge per (source, target) of these drawable integrations, in a stable order."""
    grouped: dict[tuple[int, int], list[IntegrationEdge]] = defaultdict(list)
    for edge in edges:
        if edge.source_id is not None and edge.target_id is not None:
            grouped[(edge.source_id, edge.target_id)].append(edge)
    return [
        PairEdge(
            source_id=source,
            target_id=target,
            integrations=tuple(sorted(members, key=lambda e: e.key)),
            flowing_health=tuple(e.health for e in members if e.lifecycle not in not_flowing),
        )
        for (source, target), members in sorted(grouped.items())
    ]
