"""Read spec YAML keeping the line of every field, so errors can point at it, and refuse what
would make reading it costly before it costs anything (limits.py): too many nodes, nesting too
deep, aliases that repeat too much or contain themselves, keys that are not short text.
libyaml parses and composes (CSafeLoader, for speed); the checks count around it. A file wholly in
the YAML the exporter writes is read line by line instead (subset.py), to the same documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from catalog.spec.limits import (
    ALIAS_NODES_MAX,
    DOCUMENT_NODES_MAX,
    DOCUMENTS_MAX,
    FIELD_NAME_MAX,
    NESTING_MAX,
    NODES_MAX,
)
from catalog.spec.subset import read_subset

try:  # libyaml is several times faster on big estates; fall back to pure Python.
    from yaml import CSafeLoader as _BaseLoader

    _LIBYAML = True
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

    _LIBYAML = False


def _or_text(construct: Callable[[Any, yaml.Node], Any]) -> Callable[[Any, yaml.Node], Any]:
    """A scalar that looks like a number, boolean or date but is none (2026-02-30, a
    5,000-digit number, `!!bool maybe`) stays text, so the field's check names it."""

    def lenient(loader: Any, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, LookupError, AttributeError, OverflowError, TypeError):
            return loader.construct_scalar(node)

    return lenient


class RememberedTags:
    """Resolves the tag of short plain scalars once: field names and enum values come back
    thousands of times in an estate, and libyaml asks Python about every one, reading and
    writing. Mixed into a PyYAML loader or dumper (whose resolver it calls)."""

    _tags: dict[str, str] = {}  # shared and bounded, so a hostile file cannot grow it without end
    _TAGS_MAX = 10_000
    _LENGTH_MAX = 40

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not yaml.ScalarNode or not implicit[0] or len(value) > self._LENGTH_MAX:
            return super().resolve(kind, value, implicit)  # type: ignore[misc]
        tag = self._tags.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[misc]
            if len(self._tags) < self._TAGS_MAX:
                self._tags[value] = tag
        return tag


class _Loader(RememberedTags, _BaseLoader):
    pass


for _tag in ("int", "float", "bool", "timestamp"):
    _name = f"tag:yaml.org,2002:{_tag}"
    _Loader.add_constructor(_name, _or_text(SafeConstructor.yaml_constructors[_name]))

_STR, _NULL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:null"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
# Scalars the walk builds itself (text and null directly, these through the lenient constructors);
# any other tag (merge keys, !!binary, !!set, a tag of the author's) leaves the document to PyYAML.
_SCALARS = {
    f"tag:yaml.org,2002:{tag}": _Loader.yaml_constructors[f"tag:yaml.org,2002:{tag}"]
    for tag in ("int", "float", "bool", "timestamp")
}


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


def decode(source: str, data: bytes) -> str:
    """The text of a spec file, which must be UTF-8; BrokenYaml names the line of the first
    byte that is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8"
        raise BrokenYaml(source, line, message) from None


class _Walker:
    """Records the line of every field of a document by walking its node graph as the tree it
    will be constructed into, building that tree on the way. An alias shares its anchor's node,
    so composing is cheap however often a block is reused, but walking (and everything after
    construction) pays for every reuse. So the walk counts the nodes it repeats through aliases,
    per file, and stops at ALIAS_NODES_MAX, at an alias inside its own anchor, and at nesting
    beyond NESTING_MAX. Building in the same walk halves the cost of reading a big estate; a
    document holding anything but maps, lists and plain scalars is built by PyYAML once walked."""

    def __init__(self, source: str, text: str, loader: _Loader) -> None:
        self.source = source
        self.text = text
        self.loader = loader
        self.repeated = 0  # nodes walked again through aliases, in this file

    def document(self, node: yaml.Node) -> tuple[Any, dict[str, int], list[str]]:
        self.lines: dict[str, int] = {}
        self.duplicates: list[str] = []
        self.walked: set[int] = set()  # collection nodes walked once: meeting one again is an alias
        self.open: set[int] = set()  # collection nodes being walked: meeting one again recurses
        self.built: dict[int, Any] = {}  # collection node -> its value, so an alias shares it, as in PyYAML
        self.plain = True  # every node was one the walk builds itself
        data = self._walk(node, "", 0, False)
        if not self.plain:
            data = self.loader.construct_document(node)
        return data, self.lines, self.duplicates

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value
        if node.tag == _NULL:
            return None
        construct = _SCALARS.get(node.tag)
        if construct is None:
            self.plain = False
            return None
        return construct(self.loader, node)

    def _walk(self, node: yaml.Node, path: str, depth: int, repeated: bool) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if repeated:
                self._count(path)
            return self._scalar(node)
        if depth >= NESTING_MAX:
            line = self.lines.get(path, node.start_mark.line + 1)
            raise BrokenYaml(self.source, line, f"nested deeper than {NESTING_MAX} levels")
        ident = id(node)
        if ident in self.open:
            raise self._alias_error(path, recursive=True)
        if ident in self.walked:
            repeated = True
        self.walked.add(ident)
        if repeated:
            self._count(path)
        self.open.add(ident)
        value: Any = None
        if isinstance(node, yaml.MappingNode):
            value = self._walk_mapping(node, path, depth, repeated)
            self.plain = self.plain and node.tag == _MAP
        elif isinstance(node, yaml.SequenceNode):
            value = []
            for index, item in enumerate(node.value):
                child = f"{path}[{index}]"
                self.lines[child] = item.start_mark.line + 1
                value.append(self._walk(item, child, depth + 1, repeated))
            self.plain = self.plain and node.tag == _SEQ
        self.open.discard(ident)
        return self.built.setdefault(ident, value)

    def _walk_mapping(self, node: yaml.MappingNode, path: str, depth: int, repeated: bool) -> dict[Any, Any]:
        value: dict[Any, Any] = {}
        seen: set[str] = set()
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise BrokenYaml(self.source, line, "a key must be text, not a list or mapping")
            name = str(key_node.value)
            if len(name) > FIELD_NAME_MAX:
                raise BrokenYaml(self.source, line, f"a key is longer than {FIELD_NAME_MAX} characters")
            child = f"{path}.{name}" if path else name
            if repeated:
                self._count(child)
            if name in seen:
                self.duplicates.append(child)
            seen.add(name)
            self.lines[child] = line
            value[self._scalar(key_node)] = self._walk(value_node, child, depth + 1, repeated)
        return value

    def _count(self, path: str) -> None:
        self.repeated += 1
        if self.repeated > ALIAS_NODES_MAX:
            raise self._alias_error(path, recursive=False)

    def _alias_error(self, path: str, *, recursive: bool) -> BrokenYaml:
        found = _locate_alias(self.text, recursive=recursive)
        if found is None:  # pragma: no cover - the replay counts as the walk does
            message = "an alias inside its own anchor" if recursive else _too_many(None)
            found = (self.lines.get(path, 1), message)
        return BrokenYaml(self.source, *found)


def _too_many(alias: str | None) -> str:
    at = f" (at *{alias})" if alias else ""
    return f"aliases in this file repeat more than {ALIAS_NODES_MAX:,} nodes{at}"


def _locate_alias(text: str, *, recursive: bool) -> tuple[int, str] | None:
    """(line, message) of the first alias inside its own anchor, or of the first that takes the
    nodes repeated through aliases beyond ALIAS_NODES_MAX, found from the parser's events
    (which, unlike nodes, keep an alias's own line). Only called once the walk has refused."""
    loader = _Loader(text)
    sizes: dict[str, tuple[int, bool] | None] = {}  # anchor -> (nodes, is a collection); None while open
    open_nodes: list[list[Any]] = []  # [anchor, nodes so far] of each collection being read
    repeated = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            size = 0
            if isinstance(event, yaml.DocumentStartEvent):
                sizes = {}
            elif isinstance(event, yaml.CollectionStartEvent):
                if event.anchor is not None:
                    sizes[event.anchor] = None
                open_nodes.append([event.anchor, 1])
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, size = open_nodes.pop()
                if anchor is not None:
                    sizes[anchor] = (size, True)
            elif isinstance(event, yaml.ScalarEvent):
                size = 1
                if event.anchor is not None:
                    sizes[event.anchor] = (1, False)
            elif isinstance(event, yaml.AliasEvent) and event.anchor is not None:
                target = sizes.get(event.anchor, (1, False))
                line = event.start_mark.line + 1 if event.start_mark else 1
                if target is None:
                    if recursive:
                        return line, f"alias *{event.anchor} is inside its own anchor &{event.anchor}"
                    continue
                size, collection = target
                if collection:
                    repeated += size
                    if repeated > ALIAS_NODES_MAX and not recursive:
                        return line, _too_many(event.anchor)
            if size and open_nodes:
                open_nodes[-1][1] += size
    finally:
        loader.dispose()
    return None  # pragma: no cover


def _check_size(source: str, text: str) -> None:
    """Refuse a file of more than NODES_MAX nodes or DOCUMENTS_MAX documents, or a document of
    more than DOCUMENT_NODES_MAX nodes, before libyaml composes it (a node and its marks take
    300 bytes, and a document is composed whole). libyaml counts the events of the file at C
    speed; only a file with more of them than a document may hold is counted in detail."""
    if _LIBYAML:
        counter = _Loader(text)
        try:
            if counter.raw_parse() <= DOCUMENT_NODES_MAX:
                return
        finally:
            counter.dispose()
    loader = _Loader(text)
    try:
        nodes = documents = in_document = 0
        while loader.check_event():
            event = loader.get_event()
            message = ""
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                in_document = 0
                if documents > DOCUMENTS_MAX:
                    message = f"more than {DOCUMENTS_MAX:,} documents in one file; split it"
            elif isinstance(event, yaml.NodeEvent):
                nodes += 1
                in_document += 1
                if nodes > NODES_MAX:
                    message = f"more than {NODES_MAX:,} values in one file; split it"
                elif in_document > DOCUMENT_NODES_MAX:
                    message = f"more than {DOCUMENT_NODES_MAX:,} values in one document"
            if message:
                assert event is not None and event.start_mark is not None
                raise BrokenYaml(source, event.start_mark.line + 1, message)
    finally:
        loader.dispose()


def _broken(source: str, text: str, error: yaml.YAMLError) -> BrokenYaml:
    if isinstance(error, yaml.reader.ReaderError):
        if _LIBYAML:  # libyaml gives the position in UTF-8 bytes
            line = text.encode("utf-8", "surrogatepass").count(b"\n", 0, error.position) + 1
        else:  # pragma: no cover
            line = text.count("\n", 0, error.position) + 1
        return BrokenYaml(source, line, f"character U+{error.character:04X} is not allowed")
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        return BrokenYaml(source, mark.line + 1 if mark else 1, str(error.problem or error))
    return BrokenYaml(source, 1, str(error))


def read_documents(source: str, text: str) -> Iterator[RawDocument]:
    """Every document of one file that is not empty, with field lines. Raises BrokenYaml on a
    syntax error, a character YAML forbids, or a structure beyond the limits."""
    try:
        _check_size(source, text)
        loader = _Loader(text)
    except UnicodeEncodeError as error:  # a lone surrogate: text that never came from a file
        line = text.count("\n", 0, error.start) + 1
        raise BrokenYaml(source, line, f"character U+{ord(text[error.start]):04X} is not allowed") from None
    except yaml.YAMLError as error:
        raise _broken(source, text, error) from None
    subset = read_subset(text, loader, _SCALARS)
    if subset is not None:
        loader.dispose()
        for index, line, data, lines, duplicates in subset:
            yield RawDocument(source, index, line, data, lines, duplicates)
        return
    walker = _Walker(source, text, loader)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - an empty stream
                break
            index += 1
            data, lines, duplicates = walker.document(node)
            if data is not None:
                yield RawDocument(source, index, node.start_mark.line + 1, data, lines, duplicates)
    except yaml.YAMLError as error:
        raise _broken(source, text, error) from None
    finally:
        loader.dispose()
