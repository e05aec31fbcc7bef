"""The graph's heading: its title, then a legend of only the styles the view uses."""

from __future__ import annotations

from catalog.graph.escape import html_text
from catalog.graph.style import (
    ACCENT,
    AFFECTED_FILL,
    BAD,
    CATEGORY_LABELS,
    CATEGORY_STYLES,
    GREY,
    HEALTH_COLOURS,
    HEALTH_LABELS,
    MUTED,
    NOT_FLOWING,
    ORIGIN_FILL,
    WARN,
)
from catalog.graph.view import GraphView

LEGEND_PER_ROW = 8  # legend entries per row of the heading


def heading(view: GraphView, *, legend: bool = True, platform_hubs: bool = False) -> str:
    """The graph's label: the title, then the legend in two rows (systems, integrations).
    `platform_hubs`: the drawing has platform hub nodes (not iPaaS systems standing in for them).

    An HTML-like label, not a legend node: as the graph label it sits above the drawing and
    takes no part in the layout, where a node would be ranked among the systems."""
    title = f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="16">{html_text(view.title)}</FONT></TD></TR>'
    if not legend:
        return f'<TABLE BORDER="0" CELLSPACING="0">{title}</TABLE>'
    systems: list[str] = []
    edges: list[str] = []

    def swatch(fill: str, text: str, border: str = MUTED, width: int = 1) -> None:
        systems.append(
            f'<TD WIDTH="24" HEIGHT="14" FIXEDSIZE="TRUE" BGCOLOR="{fill}" COLOR="{border}" BORDER="{width}"></TD>'
            f'<TD ALIGN="LEFT">{html_text(text)}</TD>'
        )

    def line(colour: str, text: str, style: str = "solid") -> None:
        edges.append(
            f'<TD WIDTH="30" HEIGHT="9" FIXEDSIZE="TRUE" SIDES="B" BORDER="2" COLOR="{colour}" STYLE="{style}">'
            f'</TD><TD ALIGN="LEFT">{html_text(text)}</TD>'
        )

    for category in sorted({s.category for s in view.systems}, key=lambda c: (c != "erp", c)):
        fill, shape = CATEGORY_STYLES.get(category, CATEGORY_STYLES["other"])
        label = CATEGORY_LABELS.get(category, category)
        if category == "erp":
            swatch(fill, f"{label} (heavy outline)", ACCENT, 2)
        else:
            swatch(fill, label + {"box": "", "cylinder": " (cylinder)", "hexagon": " (hexagon)"}[shape])
    if platform_hubs:
        swatch(CATEGORY_STYLES["ipaas"][0], "iPaaS platform hub")
    if view.blast is not None:
        swatch(ORIGIN_FILL, "down (blast origin)", BAD, 2)
        swatch(AFFECTED_FILL, "left without data", WARN, 2)
        line(BAD, "stops")
        line(WARN, "carries the gap on")
    else:
        states = {e.health for e in view.integrations if e.lifecycle not in NOT_FLOWING}
        for state, colour in HEALTH_COLOURS.items():
            if state in states:
                line(colour, HEALTH_LABELS[state])
    if view.aggregated:
        edges.insert(0, '<TD>n</TD><TD ALIGN="LEFT">integrations between two systems (colour: the worst health)</TD>')
    if {e.lifecycle for e in view.integrations} & NOT_FLOWING:
        line(GREY, "planned or retired")
    if any(e.phase == "phase-two" for e in view.integrations):
        line(MUTED, "phase two", "dashed")
    if view.observed:
        line(BAD, "observed, no spec", "dotted")
    if any(e.bidirectional for e in view.integrations):
        edges.append('<TD>&#8596;</TD><TD ALIGN="LEFT">bidirectional</TD>')
    # One grid, so the entries of the two legend rows line up in columns.
    per_row = LEGEND_PER_ROW
    width = 1 + 2 * min(per_row, max(len(systems), len(edges), 1))
    rows = [title.replace("<TD ", f'<TD COLSPAN="{width}" ', 1)]
    for heading, cells in (("Systems", systems), ("Integrations", edges)):
        for start in range(0, len(cells), per_row):
            label = f'<FONT COLOR="{MUTED}">{heading}:</FONT>' if start == 0 else ""
            rows.append(f'<TR><TD ALIGN="LEFT">{label}</TD>{"".join(cells[start : start + per_row])}</TR>')
    return f'<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="1">{"".join(rows)}</TABLE>'
