"""Spec-as-code import: parse, validate and resolve every document first, then upsert by
(kind, key) in one transaction. Any error anywhere and nothing is written."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.models import ChangeRecord
from catalog.spec.checks import Invalid, shown
from catalog.spec.limits import FILE_MAX_BYTES, MB
from catalog.spec.loader import BrokenYaml, RawDocument, decode, read_documents
from catalog.spec.schema import KINDS, CleanDocument, validate
from catalog.spec.value_rows import CsvInvalid, read_csv, resolve_csv
from catalog.spec.writer import Entry, ImportReport, apply_entries, stored_objects

__all__ = [
    "ImportFailed",
    "ImportReport",
    "SpecError",
    "apply_entries",
    "decode_sources",
    "import_paths",
    "import_sources",
    "jsonable",
    "parse_data",
    "parse_sources",
]


@dataclass(frozen=True, order=True)
class SpecError:
    source: str
    line: int
    subject: str  # "integration chargebee-invoices-to-netsuite", "document 3"
    field: str
    message: str

    def __str__(self) -> str:
        parts = [f"{self.source}:{self.line}", self.subject, self.field, self.message]
        return ": ".join(part for part in parts if part)


class ImportFailed(Exception):
    def __init__(self, errors: list[SpecError]) -> None:
        self.errors = sorted(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def _too_large(name: str, size: int) -> SpecError | None:
    if size <= FILE_MAX_BYTES:
        return None
    message = f"is larger than {FILE_MAX_BYTES // MB} MB ({size:,} bytes), the most a spec file may hold; split it"
    return SpecError(name, 0, "", "", message)


def _yaml_error(broken: BrokenYaml) -> SpecError:
    return SpecError(broken.source, broken.line, "", "", f"invalid YAML: {broken.message}")


def find_files(paths: Iterable[str | Path]) -> dict[str, Path]:
    """file name -> the folder its import reads (the named folder, or a named file's own folder),
    for every .yaml/.yml file named or found below the named folders; a `csv:` stays inside it."""
    roots: dict[str, Path] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
            roots.update((str(file), path) for file in found)
        elif path.is_file():
            roots[str(path)] = path.parent
        else:
            raise ImportFailed([SpecError(str(path), 0, "", "", "no such file or folder")])
    return roots


def read_paths(paths: Iterable[str | Path]) -> list[tuple[str, str]]:
    """(name, text) of every .yaml/.yml file named or found below the named folders. A file
    too large is refused before it is read; ImportFailed names every file that cannot be read."""
    files = [Path(name) for name in find_files(paths)]
    errors: list[SpecError] = []
    contents: list[tuple[str, bytes]] = []
    for file in files:
        if error := _too_large(str(file), file.stat().st_size):
            errors.append(error)
        else:
            contents.append((str(file), file.read_bytes()))
    try:
        sources = decode_sources(contents)
    except ImportFailed as failed:
        errors += failed.errors
    if errors:
        raise ImportFailed(errors)
    return sources


def decode_sources(contents: Iterable[tuple[str, bytes]]) -> list[tuple[str, str]]:
    """(name, text) of files given as (name, bytes); ImportFailed names every file that is
    too large or not UTF-8 (with the line of its first bad byte)."""
    sources: list[tuple[str, str]] = []
    errors: list[SpecError] = []
    for name, data in contents:
        if error := _too_large(name, len(data)):
            errors.append(error)
            continue
        try:
            sources.append((name, decode(name, data)))
        except BrokenYaml as broken:
            errors.append(_yaml_error(broken))
    if errors:
        raise ImportFailed(errors)
    return sources


def _subject(kind: str | None, key: Any) -> str:
    label = kind.lower() if kind else "document"
    if key in (None, ""):
        return f"{label} (no key)"
    return f"{label} {key if isinstance(key, str) and len(key) <= 200 else shown(key)}"


_ROW = re.compile(r"\brows\[\d+\]")


def _row_lines(raw: RawDocument, message: str) -> str:
    """A message naming rows of a value map also names their lines: "rows[2] (line 14)"."""
    if "rows[" not in message:
        return message
    return _ROW.sub(
        lambda m: f"{m.group()} (line {raw.lines[m.group()]})" if m.group() in raw.lines else m.group(), message
    )


CSV_ONLY_FOR_FILES = "is only for spec files imported from a folder (import_specs); give the rows as rows"


def _read_csv_rows(raw: RawDocument, subject: str, root: Path | None, errors: list[SpecError]) -> None:
    """Replace a value map's `csv: <file>` by the rows of that file, beside the spec and inside
    the import's folder; errors name the CSV file and its line."""
    data = raw.data
    line = raw.line_of("csv")
    if root is None:
        errors.append(SpecError(raw.source, line, subject, "csv", CSV_ONLY_FOR_FILES))
        return
    if "rows" in data:
        errors.append(SpecError(raw.source, line, subject, "csv", "give rows or csv, not both"))
        return
    try:
        path = resolve_csv(Path(raw.source), data["csv"], root)
    except Invalid as error:
        errors.append(SpecError(raw.source, line, subject, "csv", str(error)))
        return
    try:
        rows = read_csv(path.read_bytes())
    except CsvInvalid as invalid:
        errors += [SpecError(str(path), at, subject, "csv", message) for at, message in invalid.errors]
        return
    data = {name: value for name, value in data.items() if name != "csv"}
    data["rows"] = rows
    raw.data = data


def _check_document(
    raw: RawDocument, errors: list[SpecError], roots: Mapping[str, Path] | None = None
) -> CleanDocument | None:
    """Validate one parsed document, adding its errors (with lines) to `errors`."""
    name = raw.source
    if not isinstance(raw.data, dict):
        errors.append(SpecError(name, raw.line, f"document {raw.index}", "", "must be a mapping"))
        return None
    kind_name, key = raw.data.get("kind"), raw.data.get("key")
    subject = _subject(kind_name if isinstance(kind_name, str) else None, key)
    for path in raw.duplicate_fields:
        errors.append(SpecError(name, raw.line_of(path), subject, path, "is given twice"))
    if not isinstance(kind_name, str) or kind_name not in KINDS:
        message = f"unknown kind {shown(kind_name)} (known: {', '.join(KINDS)})" if kind_name else "is required"
        errors.append(SpecError(name, raw.line_of("kind"), _subject(None, key), "kind", message))
        return None
    if kind_name == "ValueMap" and "csv" in raw.data:
        before = len(errors)
        _read_csv_rows(raw, subject, (roots or {}).get(raw.source), errors)
        if len(errors) > before:
            return None
    clean, field_errors = validate(kind_name, raw.data)
    errors += [
        SpecError(name, raw.line_of(path), subject, path, _row_lines(raw, message)) for path, message in field_errors
    ]
    return clean


def parse_sources(sources: Sequence[tuple[str, str]], roots: Mapping[str, Path] | None = None) -> list[Entry]:
    """Validate every document of every source; raise ImportFailed with all errors. `roots`
    (file name -> the folder its import reads) says which sources are files a `csv:` may sit beside."""
    errors: list[SpecError] = []
    entries: list[Entry] = []
    seen: dict[tuple[str, str], RawDocument] = {}
    for name, text in sources:
        # Text given directly (an upload being applied) is held to the size a file may have.
        if error := _too_large(name, len(text.encode("utf-8", "surrogatepass"))):
            errors.append(error)
            continue
        try:
            raws = list(read_documents(name, text))
        except BrokenYaml as broken:
            errors.append(_yaml_error(broken))
            continue
        for raw in raws:
            if raw.data is None:
                continue  # an empty document, e.g. a trailing '---'
            clean = _check_document(raw, errors, roots)
            if clean is None:
                continue
            if first := seen.get((clean.kind.name, clean.key)):
                errors.append(
                    SpecError(
                        name,
                        raw.line_of("key"),
                        _subject(clean.kind.name, clean.key),
                        "key",
                        f"is defined twice (also at {first.source}:{first.line})",
                    )
                )
                continue
            seen[(clean.kind.name, clean.key)] = raw
            entries.append(Entry(clean, raw))
    errors += _reference_errors(entries)
    if errors:
        raise ImportFailed(errors)
    return entries


def _reference_errors(entries: list[Entry]) -> list[SpecError]:
    """Every reference must name a document of this import or one already stored."""
    in_import: dict[str, dict[str, CleanDocument]] = defaultdict(dict)
    for entry in entries:
        in_import[entry.clean.kind.name][entry.clean.key] = entry.clean
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        for _path, kind, key in entry.clean.references():
            if key not in in_import[kind]:
                wanted[kind].add(key)
    stored = {kind: stored_objects(KINDS[kind], sorted(keys)) for kind, keys in wanted.items()}
    errors: list[SpecError] = []
    for entry in entries:
        clean, raw = entry.clean, entry.raw
        assert raw is not None
        subject = _subject(clean.kind.name, clean.key)
        for path, kind, key in clean.references():
            if key not in in_import[kind] and key not in stored.get(kind, {}):
                label = KINDS[kind].label
                errors.append(SpecError(raw.source, raw.line_of(path), subject, path, f"unknown {label} {key!r}"))
        account_key = clean.values.get("health.account")
        if account_key:
            account = in_import["PlatformAccount"].get(account_key)
            platform = account.values.get("platform") if account else None
            if account is None and account_key in stored.get("PlatformAccount", {}):
                platform = stored["PlatformAccount"][account_key].platform
            health_kind = clean.values.get("health.kind")
            if platform and platform != health_kind:
                errors.append(
                    SpecError(
                        raw.source,
                        raw.line_of("health.account"),
                        subject,
                        "health.account",
                        f"is a {platform} account but health.kind is {health_kind}",
                    )
                )
    return errors


def import_sources(
    sources: Sequence[tuple[str, str]],
    *,
    dry_run: bool = False,
    actor: Any = None,
    via: str = ChangeRecord.Via.IMPORT,
    roots: Mapping[str, Path] | None = None,
) -> ImportReport:
    """Import spec documents from (name, text) sources. Raises ImportFailed, writing nothing."""
    entries = parse_sources(sources, roots)
    return apply_entries(entries, dry_run=dry_run, actor=actor, via=via)


def import_paths(paths: Iterable[str | Path], **options: Any) -> ImportReport:
    paths = list(paths)
    return import_sources(read_paths(paths), roots=find_files(paths), **options)


def jsonable(value: Any) -> Any:
    """Dates as ISO strings, recursively, for JSON storage and API output."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def parse_data(source: str, data: Any) -> list[Entry]:
    """Validate one document given as data (an API request body) exactly as parse_sources
    validates a file's documents; its references may name stored documents. Errors carry
    line 0. Raises ImportFailed."""
    raw = RawDocument(source, 1, 0, data, {}, [])
    errors: list[SpecError] = []
    clean = _check_document(raw, errors)
    if clean is None:
        raise ImportFailed(errors)
    entries = [Entry(clean, raw)]
    if errors := _reference_errors(entries):
        raise ImportFailed(errors)
    return entries
