"""Read spec YAML keeping the line of every field, so errors can point at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

try:  # libyaml is several times faster on big estates; fall back to pure Python.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):
    pass


@dataclass
class RawDocument:
    source: str  # file name as given
    index: int  # 1-based position in the file
    line: int  # 1-based line where the document starts
    data: Any
    lines: dict[str, int]  # dotted field path -> 1-based line
    duplicate_fields: list[str]

    def line_of(self, path: str) -> int:
        """Line of a field, or of its nearest enclosing field, or of the document."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.line


class BrokenYaml(Exception):
    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: invalid YAML: {message}")
        self.source = source
        self.line = line
        self.message = message


def _walk(node: yaml.Node, path: str, lines: dict[str, int], duplicates: list[str]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            name = str(key_node.value)
            child = f"{path}.{name}" if path else name
            if name in seen:
                duplicates.append(child)
            seen.add(name)
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = f"{path}[{index}]"
            lines[child] = item.start_mark.line + 1
            _walk(item, child, lines, duplicates)


def read_documents(source: str, text: str) -> Iterator[RawDocument]:
    """Every document of one file, with field lines. Raises BrokenYaml on a syntax error."""
    loader = _Loader(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - an empty stream
                break
            index += 1
            lines: dict[str, int] = {}
            duplicates: list[str] = []
            _walk(node, "", lines, duplicates)
            data = loader.construct_document(node)
            yield RawDocument(source, index, node.start_mark.line + 1, data, lines, duplicates)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise BrokenYaml(source, line, str(error.problem or error)) from None
    except yaml.YAMLError as error:
        raise BrokenYaml(source, 1, str(error)) from None
    finally:
        loader.dispose()
