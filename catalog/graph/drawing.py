"""What the page, the downloads and draw_graph ask for: a drawing of the estate under a filter.

Caching has two layers so `dot` runs only when what is drawn changed:
1. view key (estate version, filter) -> the DOT source's hash and the page summary. The version
   is a few aggregate queries, so a repeat visit costs no estate load, no DOT building, no dot run.
2. DOT hash -> rendered SVG/PNG. When the version moved but nothing drawn changed (a spec's
   review date, say), the DOT comes out the same and the earlier render is reused.

A web request never waits on a drawing that is not cached, unless the estate is small (at most
PLUMBLINE_GRAPH_INLINE_MAX integrations: a few hundred edges draw in well under a second, and the
timeout bounds it anyway). Otherwise it claims the view key in the file cache, the one claimant
enqueues catalog.tasks.draw_graph_task, and every visitor gets Pending until the task has written
the drawing under that key. A failure (timeout, dot error) is recorded under the key too and
served as Failed for PLUMBLINE_GRAPH_FAILURE_SECONDS, so a view that cannot be drawn is not
retried on every visit. `draw()` (manage.py draw_graph) stays synchronous and uncached.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from catalog.graph import cache
from catalog.graph.build import LARGE_VIEW_EDGES, to_dot
from catalog.graph.load import load_estate
from catalog.graph.render import RenderError, run_dot, safe_svg, svg_document, timeout_seconds
from catalog.graph.version import estate_version
from catalog.graph.view import GraphFilter, GraphView, UnknownSystem, select
from catalog.models import Integration


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


DEFAULT_INLINE_MAX = 200  # integrations in the estate up to which a web request draws itself
DEFAULT_FAILURE_SECONDS = 300.0  # how long a failed drawing is served as failed before a retry
PENDING_RETRY_SECONDS = 2  # how soon a visitor (or download client) asks again while it draws


@dataclass(frozen=True)
class PageDrawing:
    svg: str  # safe to inline: rebuilt from an allowlist by render.safe_svg
    summary: dict[str, Any]


@dataclass(frozen=True)
class Pending:
    """The drawing is being made by a worker; ask again in PENDING_RETRY_SECONDS."""

    waited: float  # seconds since it was enqueued
    retry_after: int = PENDING_RETRY_SECONDS


@dataclass(frozen=True)
class Failed:
    """The drawing could not be made; served as such for a while, then tried again."""

    message: str
    retry_after: int  # seconds until it will be tried again


def inline_max() -> int:
    return int(getattr(settings, "PLUMBLINE_GRAPH_INLINE_MAX", DEFAULT_INLINE_MAX))


def failure_seconds() -> float:
    return float(getattr(settings, "PLUMBLINE_GRAPH_FAILURE_SECONDS", DEFAULT_FAILURE_SECONDS))


def claim_lease() -> float:
    """How long a claim holds before another visitor may enqueue again: the render's own timeout
    twice (queue wait plus render) and a minute for the estate load."""
    return 2 * timeout_seconds() + 60


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
        "aggregated": view.aggregated,
        "pairs": len({(e.source_id, e.target_id) for e in view.integrations}) if view.aggregated else 0,
        "hubs_left_out": view.aggregated and view.hubs,
        "blast": blast,
    }


def dot_source(f: GraphFilter) -> tuple[str, GraphView]:
    """Load the estate and build the DOT of this filter's view (no cache). UnknownSystem if a key
    in the filter names no system."""
    view = select(load_estate(), f)
    return to_dot(view), view


def view_key(f: GraphFilter) -> str:
    """The cache key of this filter's drawing at the current estate version."""
    return _hash(STYLE_VERSION, estate_version(), f.canonical())


def _entry(key: str) -> dict[str, Any] | None:
    """The index entry (DOT hash and summary) cached under this view key."""
    cached = cache.read(f"view-{key}.json")
    return None if cached is None else dict(json.loads(cached))


def _cached(key: str) -> tuple[dict[str, Any], str] | None:
    """The index entry and the DOT source cached under this view key."""
    entry = _entry(key)
    if entry is None:
        return None
    source = cache.read(f"render-{entry['dot']}.dot")
    return None if source is None else (entry, source.decode("utf-8"))  # pruned meanwhile: build again


def _resolve(f: GraphFilter, key: str) -> tuple[dict[str, Any], str]:
    """The index entry under this view key and the DOT source, built (estate load) when not cached.
    The key is the caller's: a task writes what it drew under the key the page will look for."""
    cached = _cached(key)
    if cached is not None:
        return cached
    text, view = dot_source(f)
    entry = {"dot": _hash(STYLE_VERSION, text), "summary": summarise(view)}
    cache.write(f"render-{entry['dot']}.dot", text.encode("utf-8"))
    cache.write(f"view-{key}.json", json.dumps(entry).encode("utf-8"))
    return entry, text


def _render_svg(dot_hash: str, source: str, title: str) -> str:
    """Render the SVG once and keep both the inline element and the standalone file."""
    svg = safe_svg(run_dot(source, "svg"), title=title)
    cache.write(f"render-{dot_hash}.inline.svg", svg.encode("utf-8"))
    cache.write(f"render-{dot_hash}.svg", svg_document(svg))
    return svg


def made(key: str, fmt: str) -> bytes | None:
    """The file of this format already made for this view key, if any ("svg" is the inline element).
    The cached page reads only the small index and the SVG, not the DOT source."""
    entry = _entry(key)
    if entry is None:
        return None
    return cache.read(f"render-{entry['dot']}.{'inline.svg' if fmt == 'svg' else fmt}")


def make(f: GraphFilter, key: str, fmt: str) -> bytes:
    """Build and render this view in one format into the cache under `key` (what the task and a
    small inline view run). Raises RenderError or UnknownSystem."""
    entry, source = _resolve(f, key)
    if fmt == "dot":
        return source.encode("utf-8")
    if fmt == "svg":
        inline = cache.read(f"render-{entry['dot']}.inline.svg")
        return inline if inline is not None else _render_svg(entry["dot"], source, entry["summary"]["title"]).encode()
    name = f"render-{entry['dot']}.{fmt}"
    data = cache.read(name)
    if data is None:
        data = run_dot(source, fmt)
        cache.write(name, data)
    return data


def _failure_name(key: str, fmt: str) -> str:
    return f"failed-{key}.{fmt}.json"


def record_failure(key: str, fmt: str, message: str) -> None:
    cache.write(_failure_name(key, fmt), json.dumps({"message": message}).encode("utf-8"))


def failure(key: str, fmt: str) -> Failed | None:
    """The failure recorded for this view and format while it is fresh."""
    name = _failure_name(key, fmt)
    age = cache.age(name)
    if age is None or age >= failure_seconds():
        return None
    data = cache.read(name)
    if data is None:
        return None
    return Failed(message=json.loads(data)["message"], retry_after=max(1, int(failure_seconds() - age)))


def _claim_name(key: str, fmt: str) -> str:
    return f"claim-{key}.{fmt}"


def draw_in_worker(filter_fields: dict[str, Any], key: str, fmt: str) -> str:
    """The task's body: make the drawing, or record why it could not be made; then release the claim."""
    try:
        make(GraphFilter(**filter_fields), key, fmt)
        return "drawn"
    except (RenderError, UnknownSystem) as exc:
        message = f"No system with the key {exc}." if isinstance(exc, UnknownSystem) else str(exc)
        record_failure(key, fmt, message)
        return "failed"
    finally:
        cache.release(_claim_name(key, fmt))


def _small_estate() -> bool:
    return Integration.objects.count() <= inline_max()


def _enqueue(f: GraphFilter, key: str, fmt: str) -> Pending | Failed:
    """Pending; the one visitor that takes the claim enqueues the render."""
    from kombu.exceptions import OperationalError

    from catalog.tasks import draw_graph_task  # the task module imports this one

    name = _claim_name(key, fmt)
    if cache.claim(name, claim_lease()):
        try:
            draw_graph_task.delay(asdict(f), key, fmt)
        except OperationalError:
            cache.release(name)
            return Failed("The drawing could not be queued: the task queue (Redis) is unavailable.", 30)
    return Pending(waited=cache.age(name) or 0.0)


def _get(f: GraphFilter, fmt: str) -> tuple[bytes | Pending | Failed, str]:
    """The made file, or Pending, or Failed; and the view key."""
    key = view_key(f)
    ready = made(key, fmt)
    if ready is not None:
        return ready, key
    failed = failure(key, fmt)
    if failed is not None:
        return failed, key
    if not _small_estate():
        return _enqueue(f, key, fmt), key
    try:
        return make(f, key, fmt), key
    except RenderError as exc:
        record_failure(key, fmt, str(exc))
        return Failed(str(exc), int(failure_seconds())), key


def page_drawing(f: GraphFilter) -> PageDrawing | Pending | Failed:
    """What the page shows: the drawing (inline SVG and summary), Pending or Failed. UnknownSystem
    when a key in the filter names no system (drawn inline only)."""
    got, key = _get(f, "svg")
    if isinstance(got, Pending | Failed):
        return got
    entry = _entry(key) or _resolve(f, key)[0]  # made just above under this key (rebuilt if pruned since)
    return PageDrawing(svg=got.decode("utf-8"), summary=entry["summary"])


def download(f: GraphFilter, fmt: str) -> bytes | Pending | Failed:
    """The drawing as an .svg, .png or .dot file, cached like the page; Pending or Failed likewise."""
    got, _ = _get(f, fmt)
    if fmt == "svg" and isinstance(got, bytes):
        return svg_document(got.decode("utf-8"))
    return got


def draw(f: GraphFilter, fmt: str) -> bytes:
    """Uncached: what `manage.py draw_graph` writes."""
    source, view = dot_source(f)
    if fmt == "dot":
        return source.encode("utf-8")
    if fmt == "svg":
        return svg_document(safe_svg(run_dot(source, "svg"), title=view.title))
    return run_dot(source, fmt)
