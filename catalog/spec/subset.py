"""Reading the YAML the exporter writes, at the speed of splitting lines: block mappings indented
two spaces, block sequences (indented or not), scalars (plain or single-quoted, folded over lines
as the exporter folds them; simple double-quoted on one line) and flow lists of plain scalars,
comments on lines of their own. Scalars are resolved and built by the loader's own resolver and
constructors, and every field's line is kept, so a document read here is the document (with the
lines and duplicate fields) the composing walk in loader.py gives. Anything else in a file, even
valid YAML, and the whole file is left to that walk: read_subset answers None."""

from __future__ import annotations

import re
from typing import Any

import yaml

from catalog.spec.limits import FIELD_NAME_MAX

_STR, _NULL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null"
# Characters PyYAML reads as themselves on a line; anything else (tabs, CR, other line breaks, a BOM,
# characters YAML forbids) leaves the file to the composing walk.
_TEXT = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ITEM_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*:(?: |$)")
# What a plain scalar may not start with here (indicators, quotes, and "-", "?", ":" to keep it simple).
_NOT_PLAIN_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_NOT_IN_FLOW_LIST = frozenset("[]{}'\"#:?&*!|>%@`")

INDENT_MAX = 20  # a spec document nests three levels; each level but an indentless list indents 2
# Short scalars and keys come back thousands of times in an estate: what each reads as is kept
# (values are immutable: text, numbers, booleans, dates), bounded so a hostile file cannot grow it.
_VALUES: dict[str, Any] = {}
_KEYS: set[str] = set()
_REMEMBER_MAX = 10_000
_REMEMBER_LENGTH = 40
_MISSING = object()
Line = tuple[int, int, str]  # (1-based line, indent, content)
Document = tuple[int, int, Any, dict[str, int], list[str]]  # (index, line, data, lines, duplicates)


class _NotSubset(Exception):
    """The text holds something this reader leaves to the composing walk."""


def read_subset(text: str, loader: Any, scalars: dict[str, Any]) -> list[Document] | None:
    """The documents of a file as (index, line, data, lines, duplicate fields), or None when the
    file is not entirely in the subset. `scalars` are the constructors of the non-text tags."""
    if not _TEXT.fullmatch(text):
        return None
    try:
        return _Reader(loader, scalars).read(text)
    except _NotSubset:
        return None


class _Reader:
    def __init__(self, loader: Any, scalars: dict[str, Any]) -> None:
        self.loader = loader
        self.scalars = scalars
        self.lines: dict[str, int] = {}
        self.duplicates: list[str] = []
        self.rows: list[Line] = []

    def read(self, text: str) -> list[Document]:
        documents: list[Document] = []
        content: list[Line] = []
        started = False  # a "---" or content has been seen: a "---" now ends a document
        for number, line in enumerate(text.split("\n"), 1):
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue
            if line.startswith(("---", "...")):
                if line != "---":
                    raise _NotSubset
                if started:
                    documents.append(self._document(len(documents) + 1, content))
                    content = []
                started = True
                continue
            started = True
            indent = len(line) - len(stripped)
            if indent > INDENT_MAX:
                raise _NotSubset  # nesting this deep is left to the walk, which refuses it past its limit
            content.append((number, indent, stripped))
        if content or not documents:
            documents.append(self._document(len(documents) + 1, content))
        return documents

    def _document(self, index: int, rows: list[Line]) -> Document:
        if not rows:
            raise _NotSubset  # an empty document: left to the walk, which knows how PyYAML counts it
        self.rows, self.lines, self.duplicates = rows, {}, []
        data, end = self._mapping(0, 0, "")
        if end != len(rows):
            raise _NotSubset
        return index, rows[0][0], data, self.lines, self.duplicates

    def _mapping(self, start: int, indent: int, path: str) -> tuple[dict[str, Any], int]:
        rows = self.rows
        value: dict[str, Any] = {}
        i = start
        while i < len(rows):
            number, at, content = rows[i]
            if at < indent:
                break
            if at > indent:
                raise _NotSubset
            key, colon, rest = content.partition(":")
            if key not in _KEYS:
                if not colon or len(key) > FIELD_NAME_MAX or not _KEY.fullmatch(key) or self._tag(key) != _STR:
                    raise _NotSubset
                if len(_KEYS) < _REMEMBER_MAX:
                    _KEYS.add(key)
            elif not colon:
                raise _NotSubset
            child = f"{path}.{key}" if path else key
            if key in value:
                self.duplicates.append(child)
            self.lines[child] = number
            if rest:
                if rest[0] != " ":
                    raise _NotSubset
                value[key], i = self._inline(rest[1:], child, i, indent)
            else:
                value[key], i = self._block(i + 1, indent, child)
        return value, i

    def _block(self, i: int, indent: int, path: str) -> tuple[Any, int]:
        """The value on the lines after `key:` (at `indent`)."""
        if i >= len(self.rows):
            raise _NotSubset  # an empty value
        _, at, content = self.rows[i]
        if content.startswith("- ") and at in (indent, indent + 2):
            return self._sequence(i, at, path)
        if at == indent + 2:
            return self._mapping(i, at, path)
        raise _NotSubset

    def _sequence(self, i: int, indent: int, path: str) -> tuple[list[Any], int]:
        rows = self.rows
        items: list[Any] = []
        while i < len(rows):
            number, at, content = rows[i]
            if at < indent or (at == indent and not content.startswith("- ")):
                break
            if at > indent or not content.startswith("- "):
                raise _NotSubset
            child = f"{path}[{len(items)}]"
            self.lines[child] = number
            body = content[2:]
            if _ITEM_KEY.match(body):
                # "- key: value": a mapping whose keys line up two columns in.
                rows[i] = (number, indent + 2, body)
                item, i = self._mapping(i, indent + 2, child)
                items.append(item)
            else:
                item, i = self._inline(body, child, i, indent)
                items.append(item)
        return items, i

    def _inline(self, text: str, path: str, i: int, indent: int) -> tuple[Any, int]:
        """A value starting on row i (after its key or dash at `indent`), and the row after it."""
        rows = self.rows
        end = i + 1
        # Text the exporter folded goes on in lines indented further, with nothing between.
        while end < len(rows) and rows[end][1] > indent and rows[end][0] == rows[end - 1][0] + 1:
            end += 1
        if end > i + 1:
            parts = [text, *(content for _, _, content in rows[i + 1 : end])]
            if text.startswith(("[", '"')) or any(part.endswith(" ") for part in parts):
                raise _NotSubset
            return self._read_scalar(" ".join(parts)), end
        if text.startswith("["):
            if not text.endswith("]") or any(ch in _NOT_IN_FLOW_LIST for ch in text[1:-1]):
                raise _NotSubset
            inner = text[1:-1].strip(" ")
            if not inner:
                return [], end
            items = []
            for index, item in enumerate(inner.split(",")):
                self.lines[f"{path}[{index}]"] = rows[i][0]
                items.append(self._scalar(item.strip(" ")))
            return items, end
        return self._scalar(text), end

    def _scalar(self, text: str) -> Any:
        value = _VALUES.get(text, _MISSING)
        if value is not _MISSING:
            return value
        value = self._read_scalar(text)
        if len(text) <= _REMEMBER_LENGTH and len(_VALUES) < _REMEMBER_MAX:
            _VALUES[text] = value
        return value

    def _read_scalar(self, text: str) -> Any:
        if not text:
            raise _NotSubset
        first = text[0]
        if first == "'":
            inner = text[1:-1]
            if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
                raise _NotSubset
            return inner.replace("''", "'")
        if first == '"':
            inner = text[1:-1]
            if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
                raise _NotSubset
            return inner
        if first in _NOT_PLAIN_FIRST or text[-1] in " :" or ": " in text or " #" in text:
            raise _NotSubset
        tag = self._tag(text)
        if tag == _STR:
            return text
        if tag == _NULL:
            return None
        construct = self.scalars.get(tag)
        if construct is None:
            raise _NotSubset
        return construct(self.loader, yaml.ScalarNode(tag, text))

    def _tag(self, text: str) -> str:
        tag: str = self.loader.resolve(yaml.ScalarNode, text, (True, False))
        return tag
