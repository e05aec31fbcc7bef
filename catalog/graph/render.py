"""Run graphviz `dot` with a timeout, and make its SVG safe to inline in a page.

`dot` escapes the text it writes, but the page does not rely on that alone: the SVG is parsed
as XML and rebuilt from an allowlist of elements and attributes, so only shapes, text and
same-site links survive.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from xml.parsers import expat

from django.conf import settings

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XLINK_HREF = f"{XLINK_NS} href"  # attribute names as expat reports them with namespaces on
XLINK_TITLE = f"{XLINK_NS} title"

RENDER_FORMATS = ("svg", "png")
DEFAULT_TIMEOUT_SECONDS = 30.0

ALLOWED_TAGS = frozenset({"svg", "g", "title", "polygon", "polyline", "path", "ellipse", "text", "a"})
ALLOWED_ATTRIBUTES = frozenset(
    {
        "id",
        "class",
        "width",
        "height",
        "viewBox",
        "transform",
        "fill",
        "fill-opacity",
        "stroke",
        "stroke-width",
        "stroke-dasharray",
        "stroke-opacity",
        "points",
        "d",
        "cx",
        "cy",
        "rx",
        "ry",
        "x",
        "y",
        "text-anchor",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "target",
        XLINK_HREF,
        XLINK_TITLE,
    }
)


class RenderError(Exception):
    """dot could not draw the graph: not installed, failed, or took too long."""


def dot_binary() -> str:
    configured: str | None = getattr(settings, "PLUMBLINE_DOT", None)
    return configured or shutil.which("dot") or "/usr/bin/dot"


def timeout_seconds() -> float:
    return float(getattr(settings, "PLUMBLINE_GRAPH_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))


def run_dot(source: str, fmt: str, *, timeout: float | None = None) -> bytes:
    """The output of `dot -T<fmt>` for this DOT source; RenderError on any failure."""
    if fmt not in RENDER_FORMATS:
        raise ValueError(f"unsupported format {fmt!r}")
    limit = timeout_seconds() if timeout is None else timeout
    try:
        # Through unnamed temporary files rather than pipes: dot reads and writes in large blocks, and
        # Python runs no poll loop over hundreds of pipe-sized chunks (about 5 ms of CPU for the
        # megabyte of SVG of a large estate: bench/graph_bench.py).
        with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as drawn:
            given.write(source.encode("utf-8"))
            given.seek(0)
            done = subprocess.run(
                [dot_binary(), f"-T{fmt}"],
                stdin=given,
                stdout=drawn,
                stderr=subprocess.PIPE,
                timeout=limit,
                check=False,
            )
            drawn.seek(0)
            output = drawn.read()
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"Graphviz took longer than {limit:g} seconds; narrow the view with the filters.") from exc
    except OSError as exc:
        raise RenderError(f"Graphviz could not be started ({exc.strerror or exc}).") from exc
    if done.returncode != 0 or not output:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else "no output"
        raise RenderError(f"Graphviz failed (exit {done.returncode}): {detail}")
    return output


def _safe_href(href: str) -> bool:
    """Only same-site paths: never javascript:, data: or another host."""
    return href.startswith("/") and not href.startswith("//") and "\\" not in href


_SPECIAL_IN_TEXT = re.compile(r"[&<>]")
_SPECIAL_IN_ATTRIBUTE = re.compile(r'[&<>"\n\r\t]')


def _text(value: str) -> str:
    if not _SPECIAL_IN_TEXT.search(value):  # most values are coordinates and colours
        return value
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    if not _SPECIAL_IN_ATTRIBUTE.search(value):
        return value
    return _text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")


class _Cleaner:
    """Streams dot's SVG through expat and writes back only allowlisted elements and attributes.

    dot's own <title>s (internal node names such as s12 or s1->s2) are dropped; each link's
    tooltip becomes a <title> child, which every browser shows (xlink:title is not shown by all).
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.out: list[str] = []
        self.depth = 0
        self.skipping = 0  # depth inside a dropped element
        self.empty_at = -1  # index in out of the last start tag while nothing followed it
        self.in_text = False  # only <text> holds character data worth keeping

    def start(self, name: str, attributes: dict[str, str]) -> None:
        namespace, _, tag = name.rpartition(" ")
        if self.depth == 0 and (namespace != SVG_NS or tag != "svg"):
            raise RenderError("Graphviz returned something other than SVG.")
        if self.skipping or namespace != SVG_NS or tag not in ALLOWED_TAGS or tag == "title":
            self.skipping += 1
            return
        self.depth += 1
        parts = [f"<{tag}"]
        if self.depth == 1:
            parts.append(f'xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" class="estate-graph"')
        tooltip = ""
        for key, value in attributes.items():
            if key == XLINK_TITLE:
                tooltip = value
            elif key not in ALLOWED_ATTRIBUTES or (self.depth == 1 and key == "class"):
                continue
            elif key == XLINK_HREF:
                if _safe_href(value):
                    parts.append(f'xlink:href="{_attribute(value)}"')
            elif key != "target" or value == "_top":
                parts.append(f'{key}="{_attribute(value)}"')
        self.out.append(" ".join(parts) + ">")
        self.empty_at = len(self.out) - 1
        self.in_text = tag == "text"
        if self.depth == 1 and self.title:
            self.out.append(f"<title>{_text(self.title)}</title>")
        if tag == "a" and tooltip:
            self.out.append(f"<title>{_text(tooltip)}</title>")

    def end(self, name: str) -> None:
        if self.skipping:
            self.skipping -= 1
            return
        if self.empty_at == len(self.out) - 1:
            self.out[-1] = self.out[-1][:-1] + "/>"
        else:
            self.out.append(f"</{name.rpartition(' ')[2]}>")
        self.empty_at = -1
        self.in_text = False
        self.depth -= 1

    def text(self, data: str) -> None:
        if self.in_text and not self.skipping:
            self.out.append(_text(data))
            self.empty_at = -1


def safe_svg(raw: bytes, *, title: str = "") -> str:
    """dot's SVG rebuilt from the allowlist, as one `<svg>` element (no prolog).

    The result is ASCII (other characters as character references): the page splices it into
    its HTML on every view, and an all-ASCII string copies and encodes several times faster.
    """
    cleaner = _Cleaner(title)
    # expat, not ElementTree: streaming is four times faster on a big estate. It never fetches
    # the external DTD that dot's DOCTYPE names, and dot's output declares no entities.
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = cleaner.start
    parser.EndElementHandler = cleaner.end
    parser.CharacterDataHandler = cleaner.text
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        raise RenderError(f"Graphviz returned SVG that is not well-formed ({exc}).") from exc
    if not cleaner.out:
        raise RenderError("Graphviz returned no SVG.")
    return "".join(cleaner.out).encode("ascii", "xmlcharrefreplace").decode("ascii")


def svg_document(svg: str) -> bytes:
    """A standalone .svg file of a safe_svg() element."""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + svg + "\n").encode("utf-8")
