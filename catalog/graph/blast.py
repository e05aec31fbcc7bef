"""Blast radius: if a system is down, which integrations stop and which systems downstream are
left with missing data, transitively. Only running integrations (live, deprecated) spread it."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass

from catalog.graph.model import Estate, IntegrationEdge, SystemNode


@dataclass(frozen=True)
class AffectedSystem:
    system: SystemNode
    hops: int  # 1 = fed directly by the down system
    via: tuple[IntegrationEdge, ...]  # the integrations that first carried the outage to it


@dataclass(frozen=True)
class AffectedIntegration:
    integration: IntegrationEdge
    hops: int
    stops: bool  # True: it touches the down system (or its iPaaS) and cannot run at all


@dataclass(frozen=True)
class BlastRadius:
    origin: SystemNode
    systems: tuple[AffectedSystem, ...]
    integrations: tuple[AffectedIntegration, ...]

    @property
    def system_ids(self) -> frozenset[int]:
        return frozenset({self.origin.id, *(a.system.id for a in self.systems)})

    @property
    def integration_ids(self) -> frozenset[int]:
        return frozenset(a.integration.id for a in self.integrations)


def _receivers(edge: IntegrationEdge, sender: int) -> list[int]:
    """The systems that get data from `sender` through this edge."""
    if edge.source_id == sender and edge.target_id is not None:
        return [edge.target_id]
    if edge.bidirectional and edge.target_id == sender and edge.source_id is not None:
        return [edge.source_id]
    return []


def _through_hub(edge: IntegrationEdge, origin: SystemNode) -> bool:
    """An iPaaS system that is down takes every integration running on its platform with it."""
    return edge.via_hub and bool(origin.hub_platform) and edge.platform == origin.hub_platform


def blast_radius(estate: Estate, origin: SystemNode) -> BlastRadius:
    running = [e for e in estate.integrations if e.running and e.drawable]
    sends: dict[int | None, list[IntegrationEdge]] = defaultdict(list)
    for edge in running:
        sends[edge.source_id].append(edge)
        if edge.bidirectional:
            sends[edge.target_id].append(edge)
    affected: dict[int, tuple[int, list[IntegrationEdge]]] = {}  # system id -> (hops, via)
    integrations: dict[int, AffectedIntegration] = {}

    queue: deque[int] = deque()

    def reach(system_id: int, hops: int, edge: IntegrationEdge) -> None:
        if system_id == origin.id:
            return
        if system_id not in affected:
            affected[system_id] = (hops, [edge])
            queue.append(system_id)
        elif affected[system_id][0] == hops and edge not in affected[system_id][1]:
            affected[system_id][1].append(edge)

    # Hop 1: everything touching the down system stops; what it fed is left without data.
    for edge in running:
        touches = origin.id in (edge.source_id, edge.target_id)
        if not (touches or _through_hub(edge, origin)):
            continue
        integrations[edge.id] = AffectedIntegration(edge, 1, stops=True)
        if touches:
            for receiver in _receivers(edge, origin.id):
                reach(receiver, 1, edge)
        else:
            # Through a down iPaaS: the target gets nothing (and the source, if both ways).
            ends = [edge.target_id, edge.source_id] if edge.bidirectional else [edge.target_id]
            for end in ends:
                if end is not None:
                    reach(end, 1, edge)
    # Further hops: an affected system passes its gaps on through whatever it sends.
    while queue:
        sender = queue.popleft()
        hops = affected[sender][0] + 1
        for edge in sends[sender]:
            receivers = _receivers(edge, sender)
            if edge.id not in integrations:
                integrations[edge.id] = AffectedIntegration(edge, hops, stops=False)
            for receiver in receivers:
                reach(receiver, hops, edge)

    systems = [
        AffectedSystem(estate.systems[sid], hops, tuple(via))
        for sid, (hops, via) in affected.items()
        if sid in estate.systems
    ]
    systems.sort(key=lambda a: (a.hops, a.system.key))
    ordered = sorted(integrations.values(), key=lambda a: (a.hops, a.integration.key))
    return BlastRadius(origin=origin, systems=tuple(systems), integrations=tuple(ordered))
