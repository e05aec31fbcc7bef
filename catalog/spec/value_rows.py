"""A value map's rows: checked the same whether written inline, read from a `csv:` file beside
the spec or uploaded on the value map's page, and written back as CSV for a spreadsheet."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from catalog.spec.checks import Invalid, shown, text
from catalog.spec.limits import MB, VALUE_MAP_CSV_MAX_BYTES, VALUE_MAP_ROWS_MAX, VALUE_TEXT_MAX

HEADER = ("source", "target")
# A spreadsheet runs a cell starting with one of these as a formula: CSV downloads quote them
# (catalog/views/listing.py), an uploaded value map reads them back.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
Row = dict[str, str]
_value = text(VALUE_TEXT_MAX)


class CsvInvalid(Exception):
    """Everything wrong with a CSV file of rows, as (line, message); line 0 is the whole file."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"line {line}: {message}" if line else message for line, message in errors))


def _cell(value: Any, name: str) -> str:
    if value is None or value == "":
        raise Invalid(f"{name} is required", at=name)
    try:
        return _value(value)
    except Invalid as error:
        raise Invalid(str(error), at=name) from None


def _too_many(count: int) -> str:
    return f"holds {count:,} rows; a value map holds at most {VALUE_MAP_ROWS_MAX:,}"


def check_rows(value: Any) -> list[Row]:
    """The spec check of `rows`: a list of {source, target}, each source once. Numbers written
    unquoted (4000) are kept as the text they were written as ("4000")."""
    if not isinstance(value, list):
        raise Invalid("must be a list of {source, target}")
    if len(value) > VALUE_MAP_ROWS_MAX:
        raise Invalid(_too_many(len(value)))
    rows: list[Row] = []
    first: dict[str, int] = {}
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise Invalid("must be a mapping with source and target", at=f"[{index}]")
        if unknown := sorted(str(name) for name in item if name not in HEADER):
            raise Invalid(f"unknown field {unknown[0]} (a row has source and target)", at=f"[{index}].{unknown[0]}")
        try:
            row = {name: _cell(item.get(name), name) for name in HEADER}
        except Invalid as error:
            raise Invalid(str(error), at=f"[{index}].{error.at}") from None
        if (seen := first.setdefault(row["source"], index)) != index:
            raise Invalid(
                f"source {shown(row['source'])} is given twice: rows[{seen}] and rows[{index}]",
                at=f"[{index}].source",
            )
        rows.append(row)
    return rows


def _unguarded(cell: str) -> str:
    """A cell as the download wrote it: a value it quoted against spreadsheet formulas ('=x) is
    read back as written (=x), so a downloaded file uploads unchanged."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES):
        return cell[1:]
    return cell


def read_csv(data: bytes) -> list[Row]:
    """Rows from a CSV file with the header `source,target` (UTF-8, a spreadsheet's byte-order
    mark allowed). Raises CsvInvalid naming every bad line; nothing is returned half-read."""
    if len(data) > VALUE_MAP_CSV_MAX_BYTES:
        raise CsvInvalid([(0, f"is larger than {VALUE_MAP_CSV_MAX_BYTES // MB} MB ({len(data):,} bytes)")])
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CsvInvalid(
            [(line, f"is not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8")]
        ) from None
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    errors: list[tuple[int, str]] = []
    rows: list[Row] = []
    first: dict[str, int] = {}
    try:
        header = next(reader, None)
        if header is None or tuple(cell.strip() for cell in header) != HEADER:
            raise CsvInvalid([(1, f"the header must be {','.join(HEADER)} (got {shown(','.join(header or []))})")])
        for cells in reader:
            line = reader.line_num
            if not cells or cells == [""]:
                continue  # a blank line
            if len(rows) >= VALUE_MAP_ROWS_MAX:
                errors.append((line, f"the file {_too_many(VALUE_MAP_ROWS_MAX + 1)}; split the map"))
                break
            if len(cells) != len(HEADER):
                errors.append((line, f"must hold 2 cells, source and target (holds {len(cells)})"))
                continue
            try:
                row = {name: _cell(_unguarded(cell), name) for name, cell in zip(HEADER, cells, strict=True)}
            except Invalid as error:
                errors.append((line, f"{error.at}: {error}"))
                continue
            if (seen := first.setdefault(row["source"], line)) != line:
                errors.append((line, f"source {shown(row['source'])} is given twice: lines {seen} and {line}"))
                continue
            rows.append(row)
    except csv.Error as error:
        errors.append((reader.line_num, f"is not valid CSV: {error}"))
    if errors:
        raise CsvInvalid(errors[:50])
    return rows


def resolve_csv(spec_file: Path, name: Any, root: Path) -> Path:
    """The `csv:` file a spec names, beside it: a relative path that stays inside the folder the
    import reads (`root`), symlinks followed, and exists. Raises Invalid saying which rule it breaks."""
    if not isinstance(name, str) or not name.strip():
        raise Invalid("must be the name of a CSV file beside the spec file")
    given = Path(name)
    if given.is_absolute() or ".." in given.parts:
        raise Invalid(f"must be a path inside the import's folder, without '..' (got {shown(name)})")
    path = (spec_file.parent / given).resolve()
    if not path.is_relative_to(root.resolve()):
        raise Invalid(f"{shown(name)} leads outside the import's folder (a symlink?)")
    if not path.is_file():
        raise Invalid(f"there is no file {shown(name)} beside {spec_file.name}")
    return path
