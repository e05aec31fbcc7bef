"""What the page, the downloads and draw_graph ask for: a drawing of the estate under a filter.

Caching has two layers so `dot` runs only when what is drawn changed:
1. (estate version, filter) -> the DOT source's hash and the page summary. The version is a few
   aggregate queries, so a repeat visit costs no estate load, no DOT building and no dot run.
2. DOT hash -> rendered SVG/PNG. When the version moved but nothing drawn changed (a spec's
   review date, say), the DOT comes out the same and the earlier render is reused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.graph import cache
from catalog.graph.build import LARGE_VIEW_EDGES, to_dot
from catalog.graph.load import load_estate
from catalog.graph.render import run_dot, safe_svg, svg_document
from catalog.graph.version import estate_version
from catalog.graph.view import GraphFilter, GraphView, select


def _code_version() -> str:
    """A hash of the drawing code, so a deploy that changes how the graph looks never serves
    renders cached by the code before it."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()[:12]


STYLE_VERSION = _code_version()

DOWNLOAD_FORMATS = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "dot": "text/vnd.graphviz; charset=utf-8",
}


@dataclass(frozen=True)
class PageDrawing:
    svg: str  # safe to inline: rebuilt from an allowlist by render.safe_svg
    summary: dict[str, Any]


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def summarise(view: GraphView) -> dict[str, Any]:
    """Plain values (JSON-able) for the page: counts, notes and the blast radius listing."""
    blast = None
    if view.blast is not None:
        blast = {
            "origin": {"key": view.blast.origin.key, "name": view.blast.origin.display_name},
            "systems": [
                {
                    "key": a.system.key,
                    "name": a.system.display_name,
                    "hops": a.hops,
                    "via": [{"key": e.key, "name": e.display_name} for e in a.via],
                }
                for a in view.blast.systems
            ],
            "integrations": [
                {
                    "key": a.integration.key,
                    "name": a.integration.display_name,
                    "hops": a.hops,
                    "stops": a.stops,
                    "health": a.integration.health,
                }
                for a in view.blast.integrations
            ],
        }
    return {
        "title": view.title,
        "systems": len(view.systems),
        "integrations": len(view.integrations),
        "observed": len(view.observed),
        "undrawable": view.undrawable,
        "large": len(view.integrations) > LARGE_VIEW_EDGES,
        "blast": blast,
    }


def dot_source(f: GraphFilter) -> tuple[str, GraphView]:
    """Load the estate and build the DOT of this filter's view (no cache). UnknownSystem if a key
    in the filter names no system."""
    view = select(load_estate(), f)
    return to_dot(view), view


def _resolve(f: GraphFilter) -> tuple[dict[str, Any], str]:
    """The index entry of this filter at the current estate version (DOT hash and summary),
    and the DOT source itself."""
    index_name = f"view-{_hash(STYLE_VERSION, estate_version(), f.canonical())}.json"
    cached = cache.read(index_name)
    if cached is not None:
        entry: dict[str, Any] = json.loads(cached)
        source = cache.read(f"render-{entry['dot']}.dot")
        if source is not None:  # else pruned meanwhile: build it again
            return entry, source.decode("utf-8")
    text, view = dot_source(f)
    entry = {"dot": _hash(STYLE_VERSION, text), "summary": summarise(view)}
    cache.write(f"render-{entry['dot']}.dot", text.encode("utf-8"))
    cache.write(index_name, json.dumps(entry).encode("utf-8"))
    return entry, text


def _render_svg(dot_hash: str, source: str, title: str) -> str:
    """Render the SVG once and keep both the inline element and the standalone file."""
    svg = safe_svg(run_dot(source, "svg"), title=title)
    cache.write(f"render-{dot_hash}.inline.svg", svg.encode("utf-8"))
    cache.write(f"render-{dot_hash}.svg", svg_document(svg))
    return svg


def page_drawing(f: GraphFilter) -> PageDrawing:
    entry, source = _resolve(f)
    inline = cache.read(f"render-{entry['dot']}.inline.svg")
    if inline is not None:
        return PageDrawing(svg=inline.decode("utf-8"), summary=entry["summary"])
    return PageDrawing(svg=_render_svg(entry["dot"], source, entry["summary"]["title"]), summary=entry["summary"])


def download(f: GraphFilter, fmt: str) -> bytes:
    """The drawing as an .svg, .png or .dot file, cached like the page."""
    entry, source = _resolve(f)
    if fmt == "dot":
        return source.encode("utf-8")
    name = f"render-{entry['dot']}.{fmt}"
    cached = cache.read(name)
    if cached is not None:
        return cached
    if fmt == "svg":
        return svg_document(_render_svg(entry["dot"], source, entry["summary"]["title"]))
    data = run_dot(source, fmt)
    cache.write(name, data)
    return data


def draw(f: GraphFilter, fmt: str) -> bytes:
    """Uncached: what `manage.py draw_graph` writes."""
    source, view = dot_source(f)
    if fmt == "dot":
        return source.encode("utf-8")
    if fmt == "svg":
        return svg_document(safe_svg(run_dot(source, "svg"), title=view.title))
    return run_dot(source, fmt)
