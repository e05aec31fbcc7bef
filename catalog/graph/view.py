"""Which systems and integrations a set of filters keeps: a pure function of the estate."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from catalog.graph.aggregate import AGGREGATE_ABOVE_EDGES
from catalog.graph.blast import BlastRadius, blast_radius
from catalog.graph.model import Estate, IntegrationEdge, ObservedEdge, SystemNode

MAX_DEPTH = 10


class UnknownSystem(ValueError):
    """A filter names a system key that is not in the estate."""


@dataclass(frozen=True)
class GraphFilter:
    """What to draw. Empty values mean "no filter"; keys are spec keys, not database ids."""

    system: str = ""  # focus on this system and its neighbours ...
    depth: int = 1  # ... up to this many integrations away
    owner: str = ""  # integrations this person owns (and the systems they own)
    golive: str = ""  # integrations in this go-live's scope
    lifecycle: str = ""
    connector: str = ""
    health: str = ""  # a health state, or "unmonitored"
    gaps: bool = False  # only integrations whose written spec has gaps
    hubs: bool = False  # draw iPaaS platforms as hubs that integrations pass through
    blast: str = ""  # highlight and list this system's blast radius
    object: str = ""  # integrations carrying this data object, its master highlighted

    @property
    def narrows_integrations(self) -> bool:
        return bool(
            self.owner or self.golive or self.lifecycle or self.connector or self.health or self.gaps or self.object
        )

    def integration_list_params(self) -> dict[str, str]:
        """The filters the integration list also has, as its query parameters: an aggregated edge
        links to the list of its pair narrowed the same way (go-live and health it cannot narrow)."""
        params = {"owner": self.owner, "lifecycle": self.lifecycle, "connector_type": self.connector}
        if self.gaps:
            params["complete"] = "false"
        return {name: value for name, value in params.items() if value}

    def canonical(self) -> str:
        """A stable text of the filter, for cache keys."""
        return json.dumps(asdict(self), sort_keys=True)

    def describe(self, estate: Estate) -> str:
        parts: list[str] = []
        if self.system:
            focus = estate.system_by_key(self.system)
            name = focus.display_name if focus else self.system
            parts.append(f"within {self.depth} of {name}")
        for label, value in (
            ("owned by", self.owner),
            ("in go-live", self.golive),
            ("lifecycle", self.lifecycle),
            ("connector", self.connector),
            ("health", self.health),
        ):
            if value:
                parts.append(f"{label} {value}")
        if self.gaps:
            parts.append("with spec gaps")
        if self.object:
            master = estate.system_by_id(estate.masters.get(self.object))
            parts.append(f"carrying {self.object}" + (f" (master {master.display_name})" if master else ""))
        if self.blast:
            origin = estate.system_by_key(self.blast)
            parts.append(f"blast radius of {origin.display_name if origin else self.blast}")
        return "Integration estate" + (": " + ", ".join(parts) if parts else "")


@dataclass
class GraphView:
    """The part of the estate one drawing shows."""

    title: str
    systems: list[SystemNode]
    integrations: list[IntegrationEdge]
    observed: list[ObservedEdge] = field(default_factory=list)
    focus: SystemNode | None = None
    hubs: bool = False
    blast: BlastRadius | None = None
    undrawable: int = 0  # matching integrations whose spec names no source or no target
    # Drawn as one edge per pair of systems (catalog.graph.aggregate): a large view with no focus.
    aggregated: bool = False
    list_params: dict[str, str] = field(default_factory=dict)  # GraphFilter.integration_list_params
    master: SystemNode | None = None  # the master of the data object the view is filtered to


def _matches(edge: IntegrationEdge, f: GraphFilter) -> bool:
    return (
        (not f.owner or edge.owner_email == f.owner)
        and (not f.golive or f.golive in edge.golives)
        and (not f.lifecycle or edge.lifecycle == f.lifecycle)
        and (not f.connector or edge.connector_type == f.connector)
        and (not f.health or edge.health == f.health)
        and (not f.gaps or bool(edge.spec_gaps))
        and (not f.object or f.object in edge.data_objects)
    )


def neighbourhood(start: int, edges: list[IntegrationEdge], depth: int) -> set[int]:
    """Systems at most `depth` integrations away from `start`, in either direction."""
    adjacent: dict[int, set[int]] = defaultdict(set)
    for edge in edges:
        if edge.source_id is not None and edge.target_id is not None:
            adjacent[edge.source_id].add(edge.target_id)
            adjacent[edge.target_id].add(edge.source_id)
    reached = {start}
    frontier = {start}
    for _ in range(depth):
        frontier = {n for s in frontier for n in adjacent[s]} - reached
        if not frontier:
            break
        reached |= frontier
    return reached


def _system(estate: Estate, key: str) -> SystemNode:
    system = estate.system_by_key(key)
    if system is None:
        raise UnknownSystem(key)
    return system


def select(estate: Estate, f: GraphFilter) -> GraphView:
    matching = [e for e in estate.integrations if _matches(e, f)]
    edges = [e for e in matching if e.drawable]
    node_ids: set[int]
    if f.narrows_integrations:
        node_ids = {e.source_id for e in edges if e.source_id is not None}
        node_ids |= {e.target_id for e in edges if e.target_id is not None}
        if f.owner:
            node_ids |= {s.id for s in estate.systems.values() if s.owner_email == f.owner}
    else:
        node_ids = set(estate.systems)
    master = estate.system_by_id(estate.masters.get(f.object)) if f.object else None
    if master is not None:
        node_ids.add(master.id)  # drawn even when nothing carries the object into or out of it

    focus = _system(estate, f.system) if f.system else None
    if focus is not None:
        node_ids = neighbourhood(focus.id, edges, max(0, min(f.depth, MAX_DEPTH)))
    edges = [e for e in edges if e.source_id in node_ids and e.target_id in node_ids]

    blast = blast_radius(estate, _system(estate, f.blast)) if f.blast else None
    if blast is not None:
        # The blast radius is drawn whatever else the filters leave out.
        node_ids |= blast.system_ids
        drawn = {e.id for e in edges}
        edges += [a.integration for a in blast.integrations if a.integration.id not in drawn]
        edges.sort(key=lambda e: e.key)

    # Undocumented connections belong to the whole-estate picture, and to "spec gaps" (they are
    # the ultimate gap); any other filter is about written integrations, which they are not.
    whole = focus is None and not (f.owner or f.golive or f.lifecycle or f.connector or f.health or f.object)
    return GraphView(
        title=f.describe(estate),
        systems=[s for s in estate.systems.values() if s.id in node_ids],
        integrations=edges,
        observed=list(estate.observed) if whole else [],
        focus=focus,
        hubs=f.hubs,
        blast=blast,
        undrawable=sum(not e.drawable for e in matching),
        # A focus is where detail is asked for: it draws each integration, however many.
        aggregated=focus is None and len(edges) > AGGREGATE_ABOVE_EDGES,
        list_params=f.integration_list_params(),
        master=master,
    )
