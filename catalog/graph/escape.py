"""Quoting user text for DOT, so a name renders as exactly its text in every output format.

graphviz reads a quoted string through several layers: the DOT parser (\\" ends nothing), its
own escapes (\\N is the node name, \\n a line break), and HTML entities (&amp; is "&"). Labels,
ids and URLs go through `quote()`; tooltips, which graphviz unescapes twice, through
`quote_tooltip()`; HTML-like labels (the heading) through `html_text()`.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote as quote_url
from urllib.parse import urlencode

from django.urls import reverse

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]")


def _clean(text: str) -> str:
    return _CONTROL.sub(" ", str(text))


def quote(text: str) -> str:
    """A DOT double-quoted string that graphviz renders as exactly `text` in a label, id or URL.

    `&` becomes `&amp;` so graphviz does not read entities the text happens to contain;
    backslashes are doubled so `\\N`, `\\G`, `\\n` stay text; quotes are escaped for the DOT parser.
    """
    text = _clean(text).replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def quote_tooltip(lines: Iterable[str]) -> str:
    """Tooltips go through graphviz's escape processing twice, so backslashes are doubled twice;
    the lines are joined with DOT's own newline escape."""
    escaped = [_clean(line).replace("&", "&amp;").replace("\\", "\\\\\\\\").replace('"', '\\"') for line in lines]
    return '"' + "\\n".join(escaped) + '"'


def html_text(text: str) -> str:
    """Text for an HTML-like label: entities escaped, and backslashes doubled (graphviz still
    reads `\\\\` there as one backslash)."""
    return html.escape(_clean(text).replace("\\", "\\\\"), quote=True)


def safe_id(prefix: str, key: str) -> str:
    """The SVG id of a system or integration. Keys are slugs; anything else is replaced anyway."""
    return f"{prefix}-{_UNSAFE_ID.sub('-', key)}"


@functools.cache
def _path_of(name: str) -> tuple[str, str]:
    """A URL pattern's path around its one key argument, resolved once: reverse() per node and
    edge cost a tenth of building a large drawing."""
    before, _, after = reverse(name, args=["KEY"]).rpartition("KEY")
    return before, after


def _keyed_path(name: str, key: str) -> str:
    before, after = _path_of(name)
    return before + quote_url(key, safe="") + after


def system_url(key: str) -> str:
    return _keyed_path("system-detail", key)


def integration_url(key: str) -> str:
    return _keyed_path("integration-detail", key)


def pair_url(source_key: str, target_key: str, params: Mapping[str, str]) -> str:
    """The integration list of one aggregated edge: every integration from source to target."""
    query = urlencode({"source": source_key, "target": target_key, **params})
    return f"{_list_path()}?{query}"


@functools.cache
def _list_path() -> str:
    return reverse("integration-list")
