"""The DOT source of a graph view. Pure: no database, no subprocess.

A detailed view draws one edge per integration. An aggregated view (GraphView.aggregated: a large
view focusing no system) draws systems inside one cluster per category and one edge per (source,
target) pair, labelled with how many integrations it stands for, coloured by their worst health and
linked to the integration list of that pair (catalog.graph.aggregate).

Node names are generated (s12, p0), never user text; every label, tooltip, id and URL goes
through catalog.graph.escape.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from catalog.graph.aggregate import PairEdge, pairs
from catalog.graph.escape import integration_url, pair_url, quote, quote_tooltip, safe_id, system_url
from catalog.graph.legend import heading
from catalog.graph.model import IntegrationEdge, ObservedEdge, SystemNode
from catalog.graph.style import (
    ACCENT,
    AFFECTED_FILL,
    BAD,
    CATEGORY_LABELS,
    CATEGORY_STYLES,
    CONNECTOR_LABELS,
    FADED,
    FONT,
    GREY,
    HEALTH_COLOURS,
    HEALTH_LABELS,
    INK,
    MASTER,
    MASTER_FILL,
    MUTED,
    NOT_FLOWING,
    ORIGIN_FILL,
    PLATFORM_LABELS,
    WARN,
)
from catalog.graph.view import GraphView
from catalog.health import HEARTBEAT_SOURCE

# Above this many edges a view is "large": labels go beside edges (xlabel, placed after layout,
# so they cost no layout time) and dot's search limits are lowered.
LARGE_VIEW_EDGES = 150
LABEL_MAX = 40
PAIR_TOOLTIP_NAMES = 5  # integrations named in an aggregated edge's tooltip; the link lists them all


def _short(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _attrs(**attrs: str | float | int) -> str:
    """`key=value` pairs; string values must already be quoted with quote()/quote_tooltip()."""
    return ", ".join(f"{name}={value}" for name, value in attrs.items())


def data_label(edge: IntegrationEdge) -> str:
    objects = list(edge.data_objects)
    if not objects:
        return ""
    shown = ", ".join(objects[:3])
    return shown + (f" +{len(objects) - 3}" if len(objects) > 3 else "")


@dataclass
class _Ids:
    """DOT node names are generated, never taken from user text."""

    hubs: dict[str, str]
    sources: dict[str, str]

    def hub(self, platform: str) -> str:
        return self.hubs.setdefault(platform, f"p{len(self.hubs)}")


def _system_tooltip(system: SystemNode) -> list[str]:
    category = CATEGORY_LABELS.get(system.category, system.category)
    lines = [f"{system.display_name} ({category})", f"key: {system.key}"]
    lines.append(f"Owner: {system.owner}" if system.owner else "Owner: nobody")
    if system.vendor or system.version:
        lines.append(f"Vendor: {' '.join(p for p in (system.vendor, system.version) if p)}")
    return lines


def _integration_tooltip(edge: IntegrationEdge, systems: dict[int, SystemNode]) -> list[str]:
    source = systems[edge.source_id].display_name if edge.source_id in systems else "?"
    target = systems[edge.target_id].display_name if edge.target_id in systems else "?"
    arrow = "⇄" if edge.bidirectional else "→"
    connector = CONNECTOR_LABELS.get(edge.connector_type, edge.connector_type or "not stated")
    if edge.platform:
        connector += f" ({PLATFORM_LABELS.get(edge.platform, edge.platform)})"
    lines = [
        edge.display_name,
        f"{source} {arrow} {target}",
        f"Data: {', '.join(edge.data_objects) or 'not stated'}",
        f"Lifecycle: {edge.lifecycle}, phase: {edge.phase}",
        f"Connector: {connector}",
        f"Health: {HEALTH_LABELS.get(edge.health, edge.health).removeprefix('health ')}",
        f"Owner: {edge.owner or 'nobody'}",
        f"Spec gaps: {', '.join(edge.spec_gaps)}" if edge.spec_gaps else "Spec complete",
    ]
    return lines


class DotBuilder:
    """Turns one GraphView into DOT text."""

    def __init__(self, view: GraphView, *, legend: bool = True) -> None:
        self.view = view
        self.legend = legend
        self.large = len(view.integrations) > LARGE_VIEW_EDGES
        self.systems = {s.id: s for s in view.systems}
        self.ids = _Ids(hubs={}, sources={})
        self.lines: list[str] = []
        self.degree: dict[int, int] = defaultdict(int)  # aggregated edges at each system
        blast = view.blast
        self.blast_systems = blast.system_ids if blast else frozenset()
        self.blast_stops = frozenset(a.integration.id for a in blast.integrations if a.stops) if blast else frozenset()
        self.blast_spreads = blast.integration_ids - self.blast_stops if blast else frozenset()
        # An iPaaS system in the view (boomi-atomsphere, say) is its platform's hub.
        self.hub_systems = {s.hub_platform: f"s{s.id}" for s in view.systems if s.hub_platform}

    def build(self) -> str:
        self.lines = []
        if self.view.aggregated:
            self._clusters()
            drawn = pairs(self.view.integrations, NOT_FLOWING)
            for pair in drawn:
                self.degree[pair.source_id] += 1
                self.degree[pair.target_id] += 1
            for pair in drawn:
                self._pair(pair)
        else:
            for system in self.view.systems:
                self.lines.append(f"  s{system.id} [{self._system_attrs(system)}];")
            for edge in self.view.integrations:
                self._integration(edge)
        for number, observed in enumerate(self.view.observed):
            self._observed(number, observed)
        hubs = [f"  {name} [{self._hub_attrs(platform)}];" for platform, name in self.ids.hubs.items()]
        # The heading comes last: its legend lists what the body turned out to draw.
        graph: dict[str, str | float | int] = {
            "rankdir": "LR",
            "splines": "true",
            "concentrate": "false",
            "outputorder": "edgesfirst",
            "nodesep": 0.3,
            "ranksep": 0.7,
            "pad": 0.3,
            "fontname": quote(FONT),
            "fontsize": 11,
            "labelloc": "t",
            "labeljust": "l",
            "label": f"<{heading(self.view, legend=self.legend, platform_hubs=bool(self.ids.hubs))}>",
        }
        if self.large:
            graph.update({"nslimit": 1, "mclimit": 0.3, "forcelabels": "false"})
        if self.view.aggregated:
            # dot's older ranking fails on clusters of this size ("trouble in init_rank"); polylines
            # route in half the time of curves (0.45 s against 0.9 s for 1,400 pairs), and fewer
            # crossing-minimisation passes save a further fifth.
            graph.update({"newrank": "true", "splines": "polyline", "mclimit": 0.1, "remincross": "false"})
        head = [
            "digraph estate {",
            f"  graph [{_attrs(**graph)}];",
            f"  node [{_attrs(shape='box', style=quote('rounded,filled'), fontname=quote(FONT), fontsize=12)}, "
            f'{_attrs(color=quote(MUTED), fillcolor=quote("#ffffff"), margin=quote("0.15,0.06"))}, target="_top"];',
            f"  edge [{_attrs(fontname=quote(FONT), fontsize=10, fontcolor=quote(MUTED), arrowsize=0.7)}, "
            f"{_attrs(penwidth=1.2, target=quote('_top'))}];",
        ]
        return "\n".join([*head, *hubs, *self.lines, "}"]) + "\n"

    # --- nodes --------------------------------------------------------------------------------

    def _system_attrs(self, system: SystemNode) -> str:
        fill, shape = CATEGORY_STYLES.get(system.category, CATEGORY_STYLES["other"])
        attrs: dict[str, str | float | int] = {
            "id": quote(safe_id("system", system.key)),
            "label": quote(_short(system.display_name)),
            "tooltip": quote_tooltip(_system_tooltip(system)),
            "URL": quote(system_url(system.key)),
            "class": quote(f"system {system.category}"),
            "fillcolor": quote(fill),
        }
        if shape != "box":
            attrs["shape"] = shape
            attrs["style"] = quote("filled")
        if system.category == "erp":
            attrs.update(penwidth=2.5, color=quote(ACCENT), fontsize=15, fontname=quote(f"{FONT}-Bold"))
        if self.view.focus is not None and system.id == self.view.focus.id:
            attrs.update(penwidth=3, color=quote(ACCENT))
        if self.view.master is not None and system.id == self.view.master.id:
            attrs.update(
                penwidth=3,
                color=quote(MASTER),
                fillcolor=quote(MASTER_FILL),
                label=quote(_short(f"{system.display_name} (master)")),
                **{"class": quote(f"system {system.category} master")},
            )
        if self.view.blast is not None:
            if system.id == self.view.blast.origin.id:
                attrs.update(penwidth=3, color=quote(BAD), fillcolor=quote(ORIGIN_FILL))
            elif system.id in self.blast_systems:
                attrs.update(penwidth=2, color=quote(WARN), fillcolor=quote(AFFECTED_FILL))
            else:
                attrs.update(color=quote(FADED), fontcolor=quote("#6b7280"), fillcolor=quote("#f6f8fa"))
        return _attrs(**attrs)

    def _clusters(self) -> None:
        """Systems grouped in one cluster per category (the ERPs first)."""
        by_category: dict[str, list[SystemNode]] = defaultdict(list)
        for system in self.view.systems:
            by_category[system.category].append(system)
        for number, category in enumerate(sorted(by_category, key=lambda c: (c != "erp", c))):
            cluster = _attrs(
                id=quote(safe_id("category", category)),
                label=quote(CATEGORY_LABELS.get(category, category)),
                style=quote("rounded,dashed"),
                color=quote(FADED),
                fontcolor=quote(MUTED),
            )
            self.lines.append(f"  subgraph cluster_{number} {{")
            self.lines.append(f"    graph [{cluster}];")
            self.lines += [f"    s{system.id} [{self._system_attrs(system)}];" for system in by_category[category]]
            self.lines.append("  }")

    def _hub_attrs(self, platform: str) -> str:
        label = PLATFORM_LABELS.get(platform, platform)
        through = sum(1 for e in self.view.integrations if e.via_hub and e.platform == platform)
        return _attrs(
            shape="hexagon",
            style=quote("filled"),
            fillcolor=quote(CATEGORY_STYLES["ipaas"][0]),
            id=quote(safe_id("platform", platform)),
            label=quote(_short(label)),
            tooltip=quote_tooltip([f"iPaaS platform: {label}", f"{through} integrations pass through it"]),
        )

    def _hub(self, platform: str) -> str:
        return self.hub_systems.get(platform) or self.ids.hub(platform)

    # --- edges --------------------------------------------------------------------------------

    def _edge_style(self, edge: IntegrationEdge) -> dict[str, str | float | int]:
        colour = GREY if edge.lifecycle in NOT_FLOWING else HEALTH_COLOURS.get(edge.health, INK)
        attrs: dict[str, str | float | int] = {"color": quote(colour)}
        if edge.phase == "phase-two":
            attrs["style"] = "dashed"
        if edge.bidirectional:
            attrs["dir"] = "both"
        if self.view.blast is not None:
            if edge.id in self.blast_stops:
                attrs.update(color=quote(BAD), penwidth=2.5)
            elif edge.id in self.blast_spreads:
                attrs.update(color=quote(WARN), penwidth=2)
            else:
                attrs["color"] = quote(FADED)
        return attrs

    def _integration(self, edge: IntegrationEdge) -> None:
        tooltip = quote_tooltip(_integration_tooltip(edge, self.systems))
        common = {
            **self._edge_style(edge),
            "URL": quote(integration_url(edge.key)),
            "tooltip": tooltip,
            "labeltooltip": tooltip,
        }
        label = data_label(edge)
        labelled = {("xlabel" if self.large else "label"): quote(label)} if label else {}
        source, target = f"s{edge.source_id}", f"s{edge.target_id}"
        edge_id = safe_id("integration", edge.key)
        if self.view.hubs and edge.via_hub:
            hub = self._hub(edge.platform)
            if hub not in (source, target):
                self.lines.append(f"  {source} -> {hub} [{_attrs(id=quote(edge_id), **labelled, **common)}];")
                self.lines.append(f"  {hub} -> {target} [{_attrs(id=quote(edge_id + ':out'), **common)}];")
                return
        self.lines.append(f"  {source} -> {target} [{_attrs(id=quote(edge_id), **labelled, **common)}];")

    def _pair_style(self, pair: PairEdge) -> dict[str, str | float | int]:
        colour = HEALTH_COLOURS.get(pair.health, INK) if pair.flowing_health else GREY
        attrs: dict[str, str | float | int] = {
            "color": quote(colour),
            "penwidth": round(1.2 + min(3.0, pair.count**0.5 / 2), 2),
        }
        if all(e.phase == "phase-two" for e in pair.integrations):
            attrs["style"] = "dashed"
        if all(e.bidirectional for e in pair.integrations):
            attrs["dir"] = "both"
        if self.view.blast is not None:
            ids = {e.id for e in pair.integrations}
            if ids & self.blast_stops:
                attrs["color"] = quote(BAD)
            elif ids & self.blast_spreads:
                attrs["color"] = quote(WARN)
            else:
                attrs["color"] = quote(FADED)
        return attrs

    def _pair_tooltip(self, pair: PairEdge, source: str, target: str) -> list[str]:
        count = pair.count
        lines = [f"{count} integration{'s' if count != 1 else ''}: {source} → {target}"]
        if pair.flowing_health:
            states = ", ".join(
                f"{n} {HEALTH_LABELS.get(s, s).removeprefix('health ')}" for s, n in pair.health_counts()
            )
            lines.append(f"Health: {states}")
        if resting := count - len(pair.flowing_health):
            lines.append(f"{resting} planned or retired")
        lines += [e.display_name for e in pair.integrations[:PAIR_TOOLTIP_NAMES]]
        if count > PAIR_TOOLTIP_NAMES:
            lines.append(f"… and {count - PAIR_TOOLTIP_NAMES} more")
        lines.append("Select the edge to list them")
        return lines

    def _pair(self, pair: PairEdge) -> None:
        source, target = self.systems.get(pair.source_id), self.systems.get(pair.target_id)
        source_name = source.display_name if source else "?"
        target_name = target.display_name if target else "?"
        tooltip = quote_tooltip(self._pair_tooltip(pair, source_name, target_name))
        # The count sits at the end of the edge with fewer edges (an application, not the ERP
        # hundreds of edges meet at): placed after layout like an xlabel, but never left out.
        end = "taillabel" if self.degree[pair.source_id] <= self.degree[pair.target_id] else "headlabel"
        attrs: dict[str, str | float | int] = {
            **self._pair_style(pair),
            end: quote(str(pair.count)),
            "labeldistance": 1.6,
            "labelfontcolor": quote(INK),
            "tooltip": tooltip,
        }
        if source is not None and target is not None:
            attrs["id"] = quote(safe_id("pair", f"{source.key}-to-{target.key}"))
            attrs["URL"] = quote(pair_url(source.key, target.key, self.view.list_params))
        self.lines.append(f"  s{pair.source_id} -> s{pair.target_id} [{_attrs(**attrs)}];")

    def _observed(self, number: int, observed: ObservedEdge) -> None:
        if self.view.hubs and observed.platform:
            source = self._hub(observed.platform)
        else:
            source = self.ids.sources.get(observed.source, "")
            if not source:
                source = self.ids.sources[observed.source] = f"o{len(self.ids.sources)}"
                heartbeat = observed.source == HEARTBEAT_SOURCE
                label = "Heartbeat pings" if heartbeat else observed.source
                what = "Heartbeats that no spec describes" if heartbeat else f"Platform account {observed.source}"
                self.lines.append(
                    f"  {source} [{_attrs(shape='component', style=quote('filled'), label=quote(_short(label)))}, "
                    f"{_attrs(id=quote(safe_id('observed-source', observed.source)), tooltip=quote_tooltip([what]))}];"
                )
        tooltip = quote_tooltip(
            [f"Undocumented connection: {observed.name}", f"Seen on: {observed.source}", f"Ref: {observed.ref}"]
        )
        unknown = f"u{number}"
        self.lines.append(
            f"  {unknown} [{_attrs(shape='circle', style=quote('solid'), label=quote('?'), fixedsize='true')}, "
            f"{_attrs(width=0.3, fontsize=10, color=quote(BAD), fontcolor=quote(BAD), tooltip=tooltip)}];"
        )
        labelled = {("xlabel" if self.large else "label"): quote(_short(observed.name, 30))}
        self.lines.append(
            f"  {source} -> {unknown} [{_attrs(id=quote(f'observed-{number}'), style='dotted', color=quote(BAD))}, "
            f"{_attrs(penwidth=1.5, tooltip=tooltip, labeltooltip=tooltip, **labelled)}];"
        )


def to_dot(view: GraphView, *, legend: bool = True) -> str:
    return DotBuilder(view, legend=legend).build()
