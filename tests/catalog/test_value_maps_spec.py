"""The ValueMap kind in spec files: rows inline or from a `csv:` file beside the spec, mapping
value_map references, export and re-import unchanged, and hostile CSV refused whole with the CSV
file and line named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalog.models import ChangeRecord, Mapping, ValueMap
from catalog.spec.exporter import export_to
from catalog.spec.importer import ImportFailed, import_paths, import_sources
from catalog.spec.limits import VALUE_MAP_CSV_MAX_BYTES, VALUE_MAP_ROWS_MAX
from tests.catalog.conftest import snapshot

pytestmark = pytest.mark.django_db

PEOPLE = """\
apiVersion: plumbline/v1
kind: Person
key: ana.lopez@example.com
---
apiVersion: plumbline/v1
kind: System
key: chargebee
---
apiVersion: plumbline/v1
kind: System
key: netsuite
"""

COA = """\
apiVersion: plumbline/v1
kind: ValueMap
key: coa-chargebee-to-netsuite
name: Chart of accounts
owner: ana.lopez@example.com
reviewed_at: 2026-10-01
rows:
  - {source: 4000, target: "40100"}
  - {source: "4010", target: "40110"}
"""

TAX = """\
apiVersion: plumbline/v1
kind: ValueMap
key: tax-codes
owner: ana.lopez@example.com
csv: {name}
"""

INTEGRATION = """\
apiVersion: plumbline/v1
kind: Integration
key: chargebee-invoices-to-netsuite
source: chargebee
target: netsuite
mappings:
  - {source: invoice.id, target: invoice.externalId}
  - {source: line.account, target: line.glAccount, transform: lookup, value_map: coa-chargebee-to-netsuite}
  - {source: line.tax, target: line.taxCode, transform: lookup, value_map: tax-codes}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    spec = tmp_path / "estate"
    spec.mkdir()
    (spec / "people.yaml").write_text(PEOPLE, encoding="utf-8")
    (spec / "maps.yaml").write_text(COA + "---\n" + TAX.format(name="tax-codes.csv"), encoding="utf-8")
    (spec / "billing.yaml").write_text(INTEGRATION, encoding="utf-8")
    (spec / "tax-codes.csv").write_bytes(b'source,target\r\nCA,TX-CA\r\n"NY, NY",TX-NY\r\n=1+1,formula\r\n')
    return spec


def refused(*paths: Path) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        import_paths([str(p) for p in paths])
    return [str(error) for error in caught.value.errors]


def test_rows_inline_and_from_csv_are_stored_as_text(folder):
    import_paths([folder])
    coa = ValueMap.objects.get(key="coa-chargebee-to-netsuite")
    assert coa.rows == [{"source": "4000", "target": "40100"}, {"source": "4010", "target": "40110"}]
    assert coa.row_count == 2
    tax = ValueMap.objects.get(key="tax-codes")
    assert tax.rows == [
        {"source": "CA", "target": "TX-CA"},
        {"source": "NY, NY", "target": "TX-NY"},
        {"source": "=1+1", "target": "formula"},
    ]
    assert tax.row_count == 3
    names = list(Mapping.objects.order_by("position").values_list("value_map", flat=True))
    assert names == ["", "coa-chargebee-to-netsuite", "tax-codes"]


def test_export_writes_rows_inline_and_reimports_unchanged(folder, tmp_path):
    import_paths([folder])
    out = tmp_path / "export"
    export_to(out)
    text = (out / "value-maps.yaml").read_text(encoding="utf-8")
    assert "csv:" not in text
    assert "source: NY, NY" in text
    assert "value_map: tax-codes" in (out / "integrations" / "chargebee-invoices-to-netsuite.yaml").read_text()
    before = snapshot()
    report = import_paths([out])
    assert report.created == [] and report.updated == []
    assert snapshot() == before
    again = tmp_path / "again"
    export_to(again)
    assert (again / "value-maps.yaml").read_text() == text


def test_reimporting_the_csv_folder_changes_nothing(folder):
    import_paths([folder])
    records = ChangeRecord.objects.count()
    assert import_paths([folder]).summary() == "0 created, 0 updated, 6 unchanged"
    assert ChangeRecord.objects.count() == records


def test_an_unknown_value_map_is_refused_naming_file_line_and_mapping(folder):
    (folder / "billing.yaml").write_text(INTEGRATION.replace("value_map: tax-codes", "value_map: vat"))
    assert refused(folder) == [
        f"{folder / 'billing.yaml'}:9: integration chargebee-invoices-to-netsuite: mappings[2].value_map: "
        "unknown valuemap 'vat'"
    ]


def test_a_duplicate_source_in_rows_is_refused_naming_both_rows(folder):
    (folder / "maps.yaml").write_text(COA.replace('source: "4010"', "source: '4000'"))
    (folder / "billing.yaml").unlink()
    assert refused(folder) == [
        f"{folder / 'maps.yaml'}:9: valuemap coa-chargebee-to-netsuite: rows[1].source: "
        "source '4000' is given twice: rows[0] (line 8) and rows[1] (line 9)"
    ]


def test_a_boolean_value_must_be_quoted(folder):
    (folder / "maps.yaml").write_text(COA.replace('target: "40110"', "target: no"))
    (folder / "billing.yaml").unlink()
    [error] = refused(folder)
    assert error.endswith("rows[1].target: must be text; quote it so YAML keeps it as written")


# csv: hostile cases. Nothing is written on any of them.


def csv_refused(folder: Path, content: bytes, name: str = "tax-codes.csv") -> list[str]:
    (folder / "billing.yaml").unlink()  # it would also fail, naming a value map that is not there
    (folder / name).write_bytes(content)
    before = snapshot()
    errors = refused(folder)
    assert snapshot() == before
    assert not ValueMap.objects.exists()
    return errors


def test_a_duplicate_source_in_the_csv_names_both_lines(folder):
    errors = csv_refused(folder, b"source,target\nCA,TX-CA\nNY,TX-NY\nCA,TX-CA2\n")
    assert errors == [
        f"{folder / 'tax-codes.csv'}:4: valuemap tax-codes: csv: source 'CA' is given twice: lines 2 and 4"
    ]


def test_a_csv_with_a_wrong_header_is_refused(folder):
    errors = csv_refused(folder, b"from,to\nCA,TX-CA\n")
    assert errors == [
        f"{folder / 'tax-codes.csv'}:1: valuemap tax-codes: csv: the header must be source,target (got 'from,to')"
    ]


def test_a_csv_that_is_not_utf8_names_the_line(folder):
    errors = csv_refused(folder, b"source,target\nCA,TX-CA\nM\xfcnchen,DE-S\n")
    assert errors == [
        f"{folder / 'tax-codes.csv'}:3: valuemap tax-codes: csv: is not UTF-8 text (byte 0xfc); save the file as UTF-8"
    ]


def test_a_csv_row_with_three_cells_or_an_empty_target_is_refused(folder):
    errors = csv_refused(folder, b"source,target\nCA,TX-CA,extra\nNY,\n")
    assert errors == [
        f"{folder / 'tax-codes.csv'}:2: valuemap tax-codes: csv: must hold 2 cells, source and target (holds 3)",
        f"{folder / 'tax-codes.csv'}:3: valuemap tax-codes: csv: target: target is required",
    ]


def test_a_csv_of_too_many_rows_is_refused(folder):
    rows = "".join(f"S{n},T{n}\n" for n in range(VALUE_MAP_ROWS_MAX + 1))
    [error] = csv_refused(folder, ("source,target\n" + rows).encode())
    assert error.startswith(f"{folder / 'tax-codes.csv'}:{VALUE_MAP_ROWS_MAX + 2}: valuemap tax-codes: csv: ")
    assert "a value map holds at most 20,000" in error


def test_a_csv_larger_than_the_limit_is_refused_before_it_is_parsed(folder):
    [error] = csv_refused(folder, b"source,target\n" + b"x" * VALUE_MAP_CSV_MAX_BYTES)
    assert error.startswith(f"{folder / 'tax-codes.csv'}:0: valuemap tax-codes: csv: is larger than 5 MB")


def test_a_missing_csv_file_is_refused(folder):
    (folder / "billing.yaml").unlink()
    (folder / "tax-codes.csv").unlink()
    assert refused(folder) == [
        f"{folder / 'maps.yaml'}:15: valuemap tax-codes: csv: there is no file 'tax-codes.csv' beside maps.yaml"
    ]


@pytest.mark.parametrize("name", ["../outside.csv", "sub/../../outside.csv", "/etc/passwd"])
def test_a_csv_path_leaving_the_import_folder_is_refused(folder, name):
    (folder.parent / "outside.csv").write_text("source,target\nA,B\n")
    (folder / "billing.yaml").unlink()
    (folder / "maps.yaml").write_text(COA + "---\n" + TAX.format(name=name))
    [error] = refused(folder)
    assert error.startswith(
        f"{folder / 'maps.yaml'}:15: valuemap tax-codes: csv: must be a path inside the import's folder"
    )


def test_a_symlink_leading_out_of_the_import_folder_is_refused(folder):
    (folder.parent / "outside.csv").write_text("source,target\nA,B\n")
    (folder / "billing.yaml").unlink()
    (folder / "tax-codes.csv").unlink()
    os.symlink(folder.parent / "outside.csv", folder / "tax-codes.csv")
    [error] = refused(folder)
    assert error.endswith("csv: 'tax-codes.csv' leads outside the import's folder (a symlink?)")


def test_a_csv_in_a_subfolder_of_the_import_is_read(folder):
    (folder / "maps").mkdir()
    (folder / "tax-codes.csv").rename(folder / "maps" / "tax.csv")
    (folder / "maps.yaml").write_text(COA + "---\n" + TAX.format(name="maps/tax.csv"))
    import_paths([folder])
    assert ValueMap.objects.get(key="tax-codes").row_count == 3


def test_csv_given_as_text_without_a_folder_says_to_give_rows():
    with pytest.raises(ImportFailed) as caught:
        import_sources([("upload.yaml", PEOPLE + "---\n" + TAX.format(name="tax.csv"))])
    assert [str(e) for e in caught.value.errors] == [
        "upload.yaml:17: valuemap tax-codes: csv: is only for spec files imported from a folder "
        "(import_specs); give the rows as rows"
    ]


def test_a_chart_of_20000_rows_from_csv_exports_inline_and_reimports_unchanged(folder, tmp_path):
    rows = "".join(f"{40000 + n},{400000 + n}\n" for n in range(VALUE_MAP_ROWS_MAX))
    (folder / "tax-codes.csv").write_text("source,target\n" + rows)
    import_paths([folder])
    assert ValueMap.objects.get(key="tax-codes").row_count == VALUE_MAP_ROWS_MAX
    out = tmp_path / "export"
    export_to(out)
    before = snapshot()
    assert import_paths([out]).summary() == "0 created, 0 updated, 6 unchanged"
    assert snapshot() == before
