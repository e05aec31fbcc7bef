"""Writing spec documents as YAML text quickly: the shapes a spec document has (a mapping of
scalars, groups of scalars or of flat mappings, lists of scalars, lists of flat mappings) written directly, byte for
byte as PyYAML's safe dumper writes them with the exporter's options. Anything this module is not
sure of (a string needing more than plain or single-quoted style, a type or shape it does not
know) makes it answer None, and the caller lets PyYAML write that
document."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

WIDTH = 100  # the dumper's width: past it, text is broken at a space
_STR = "tag:yaml.org,2002:str"
# Printable ASCII on one line: what PyYAML writes plain or single-quoted, never escaped.
_PRINTABLE = re.compile(r"[\x20-\x7e]*")
# Characters that cannot start a plain scalar, and those that can unless a space follows.
_NOT_FIRST = frozenset("#,[]{}&*!|>'\"%@`")
_NOT_FIRST_BEFORE_SPACE = frozenset("?:-")


class _Resolver(yaml.resolver.Resolver):
    pass


_resolver = _Resolver()
_RUNS = re.compile(r" +|[^ ]+")
_texts: dict[str, str | None] = {}  # string -> how it is written; bounded like RememberedTags
_TEXTS_MAX = 10_000
_TEXT_LENGTH_MAX = 40


def _string(value: str) -> str | None:
    """A string as PyYAML writes it in block context (plain, else single-quoted), or None."""
    if not _PRINTABLE.fullmatch(value):
        return None
    if value == "":
        return "''"
    first = value[0]
    plain = (
        first not in _NOT_FIRST
        and not (first in _NOT_FIRST_BEFORE_SPACE and value[1:2] in ("", " "))
        and not value.startswith(("---", "..."))
        and first != " "
        and value[-1] != " "
        and value[-1] != ":"
        and ": " not in value
        and " #" not in value
    )
    if plain and _resolver.resolve(yaml.ScalarNode, value, (True, False)) == _STR:
        return value
    return "'" + value.replace("'", "''") + "'"


def _float(value: float) -> str | None:
    """SafeRepresenter.represent_float, for finite numbers."""
    if value != value or value in (float("inf"), float("-inf")):
        return None
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def scalar(value: Any) -> str | None:
    """A scalar as the exporter's dumper writes it, or None when this module leaves it to PyYAML."""
    kind = type(value)
    if kind is str:
        if len(value) > _TEXT_LENGTH_MAX:
            return _string(value)
        text = _texts.get(value, "")
        if text == "":
            text = _string(value)
            if len(_texts) < _TEXTS_MAX:
                _texts[value] = text
        return text
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return _float(value)
    if kind is dt.date:
        return value.isoformat()
    return None


def _fold(text: str, column: int, indent: int) -> str:
    """A scalar written from `column` on, broken as PyYAML breaks plain and single-quoted text:
    at a single space once the line is past the width (never just inside a quote), continuing
    `indent` spaces in."""
    runs = _RUNS.findall(text)
    quoted = text[0] == "'"  # plain text never starts with a quote
    out: list[str] = []
    for index, run in enumerate(runs):
        if (
            run == " "
            and column > WIDTH
            and not (quoted and index == 1 and runs[0] == "'")
            and not (quoted and index == len(runs) - 2 and runs[-1] == "'")
        ):
            out.append("\n" + " " * indent)
            column = indent
        else:
            out.append(run)
            column += len(run)
    return "".join(out)


def _line(prefix: str, text: str, indent: int) -> str:
    """prefix + text, folded past the width (continuing `indent` spaces in)."""
    if len(prefix) + len(text) <= WIDTH or " " not in text:
        return prefix + text
    return prefix + _fold(text, len(prefix), indent)


def _key(key: Any) -> str | None:
    """A key as written: plain only, and short enough for PyYAML to write it as a simple key."""
    text = scalar(key) if type(key) is str and len(key) < 128 else None
    return text if text == key else None


def _flat_mapping(mapping: dict[str, Any], first: str, rest: str, lines: list[str]) -> bool:
    """key: value lines of a mapping of scalars, the first line starting with `first`, the others
    with `rest` (spaces)."""
    if not mapping:
        return False
    prefix = first
    for key, value in mapping.items():
        name, text = _key(key), scalar(value)
        if name is None or text is None:
            return False
        lines.append(_line(f"{prefix}{name}: ", text, len(rest) + 2))
        prefix = rest
    return True


def _sequence(items: list[Any], indent: str, lines: list[str]) -> bool:
    """A block sequence, written as PyYAML writes one inside a mapping (not indented)."""
    if not items:
        return False
    for item in items:
        if type(item) is dict:
            if not _flat_mapping(item, f"{indent}- ", f"{indent}  ", lines):
                return False
        elif (text := scalar(item)) is not None:
            lines.append(_line(f"{indent}- ", text, len(indent) + 2))
        else:
            return False
    return True


def _value(name: str, value: Any, indent: str, lines: list[str]) -> bool:
    if type(value) is list:
        lines.append(f"{indent}{name}:")
        return _sequence(value, indent, lines)
    if (text := scalar(value)) is None:
        return False
    lines.append(_line(f"{indent}{name}: ", text, len(indent) + 2))
    return True


def emit_document(doc: Any) -> str | None:
    """One document as yaml.dump writes it with the exporter's options, or None when PyYAML must."""
    if type(doc) is not dict or not doc:
        return None
    lines: list[str] = []
    for key, value in doc.items():
        name = _key(key)
        if name is None:
            return None
        if type(value) is dict:
            if not value:
                return None
            lines.append(f"{name}:")
            for inner_key, inner in value.items():
                inner_name = _key(inner_key)
                if inner_name is None:
                    return None
                if type(inner) is dict:  # a mapping of scalars in a group: health.fields, health.status_map
                    lines.append(f"  {inner_name}:")
                    if not _flat_mapping(inner, "    ", "    ", lines):
                        return None
                elif not _value(inner_name, inner, "  ", lines):
                    return None
        elif not _value(name, value, "", lines):
            return None
    lines.append("")
    return "\n".join(lines)
