"""Hostile spec files are refused quickly, whole and with a file:line error: alias bombs,
recursive aliases, bytes that are not UTF-8 text, characters YAML forbids, impossible dates,
and anything beyond the limits of catalog/spec/limits.py. The database is left as it was."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Integration
from catalog.spec.importer import ImportFailed, import_paths
from tests.catalog.conftest import snapshot

pytestmark = pytest.mark.django_db

# Changes a stored integration: it must not be written when another file of the import is refused.
GOOD_UPDATE = """\
apiVersion: plumbline/v1
kind: Integration
key: salesforce-customers-to-netsuite
name: Renamed by a good document
source: salesforce
target: netsuite
"""

INTEGRATION = """\
apiVersion: plumbline/v1
kind: Integration
key: stripe-payouts-to-netsuite
source: salesforce
target: netsuite
"""


@pytest.fixture
def good(write_spec):
    return write_spec("good.yaml", GOOD_UPDATE)


def refused(*paths) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        import_paths([str(p) for p in paths])
    return [str(error) for error in caught.value.errors]


def assert_nothing_written(stored_estate) -> None:
    assert snapshot() == stored_estate
    assert Integration.objects.get(key="salesforce-customers-to-netsuite").name != "Renamed by a good document"


def billion_laughs(levels: int) -> str:
    """The classic alias bomb: each level lists the one before nine times, so level 9 stands
    for 9^9 (387 million) strings in a file of under a kilobyte."""
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"lol{level}: &lol{level} [{', '.join([f'*lol{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


# Aliases


def test_billion_laughs_is_refused_at_the_alias_that_would_blow_up(write_spec, good, stored_estate):
    bad = write_spec("bomb.yaml", billion_laughs(9))
    # lol1..lol4 repeat 74,718 nodes; the first *lol4 of line 6 (66,430 more) passes 100,000.
    assert refused(good, bad) == [
        f"{bad}:6: invalid YAML: aliases in this file repeat more than 100,000 nodes (at *lol4)"
    ]
    assert_nothing_written(stored_estate)


def test_a_bomb_of_merge_keys_is_refused_like_one_of_lists(write_spec, good, stored_estate):
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4}"]
    lines += [f"m{n}: &m{n} {{<<: [{', '.join([f'*m{n - 1}'] * 9)}]}}" for n in range(1, 10)]
    bad = write_spec("merge-bomb.yaml", "\n".join(lines) + "\n")
    assert refused(good, bad) == [
        f"{bad}:6: invalid YAML: aliases in this file repeat more than 100,000 nodes (at *m4)"
    ]
    assert_nothing_written(stored_estate)


def test_the_budget_counts_a_whole_file_not_each_document(write_spec, stored_estate):
    # Twelve documents each repeating 9,009 nodes: any one is fine, together they are not.
    block = "[" + ", ".join(["x"] * 1000) + "]"
    document = "a: &a " + block + "\nb: [" + ", ".join(["*a"] * 9) + "]\n"
    bad = write_spec("many.yaml", "---\n".join([document] * 12))
    assert refused(bad) == [f"{bad}:35: invalid YAML: aliases in this file repeat more than 100,000 nodes (at *a)"]
    assert snapshot() == stored_estate


def test_a_recursive_alias_is_refused_at_its_line(write_spec, good, stored_estate):
    bad = write_spec("recursive.yaml", INTEGRATION + "data_objects: &objects\n  - invoice\n  - *objects\n")
    assert refused(good, bad) == [f"{bad}:8: invalid YAML: alias *objects is inside its own anchor &objects"]
    assert_nothing_written(stored_estate)


def test_a_recursive_mapping_is_refused_at_its_line(write_spec, stored_estate):
    bad = write_spec("recursive.yaml", INTEGRATION + "sync: &sync {trigger: schedule, again: *sync}\n")
    assert refused(bad) == [f"{bad}:6: invalid YAML: alias *sync is inside its own anchor &sync"]
    assert snapshot() == stored_estate


def test_anchors_for_shared_blocks_still_import(write_spec, stored_estate):
    spec = write_spec(
        "shared.yaml",
        """
        apiVersion: plumbline/v1
        kind: Integration
        key: stripe-payouts-to-netsuite
        source: salesforce
        target: netsuite
        owner: &ana ana.lopez@example.com
        backup_owner: sam.ortiz@example.com
        error_handling: {surface: alert, notify: [*ana, "#finance-alerts"], resync: manual}
        workaround: {description: Manual upload, performed_by: *ana}
        mappings:
          - &id {source: payout.id, target: deposit.externalId, required: true}
          - {<<: *id, target: deposit.memo, required: false}
        """,
    )
    import_paths([str(spec)])
    stored = Integration.objects.get(key="stripe-payouts-to-netsuite")
    assert (stored.owner.email, stored.workaround_performed_by.email) == ("ana.lopez@example.com",) * 2
    assert stored.error_notify == ["ana.lopez@example.com", "#finance-alerts"]
    assert list(stored.mappings.values_list("source", "target", "required")) == [
        ("payout.id", "deposit.externalId", True),
        ("payout.id", "deposit.memo", False),
    ]


# Structure


def test_nesting_deeper_than_twenty_levels_is_refused(write_spec, stored_estate):
    bad = write_spec("deep.yaml", INTEGRATION + "mappings: " + "[" * 25 + "]" * 25 + "\n")
    assert refused(bad) == [f"{bad}:6: invalid YAML: nested deeper than 20 levels"]
    assert snapshot() == stored_estate


def test_a_key_that_is_a_list_is_refused_at_its_line(write_spec, stored_estate):
    bad = write_spec("complex.yaml", INTEGRATION + "? [a, b]\n: c\n")
    assert refused(bad) == [f"{bad}:6: invalid YAML: a key must be text, not a list or mapping"]
    assert snapshot() == stored_estate


def test_a_key_longer_than_200_characters_is_refused(write_spec, stored_estate):
    bad = write_spec("long-key.yaml", INTEGRATION + "k" * 201 + ": 1\n")
    assert refused(bad) == [f"{bad}:6: invalid YAML: a key is longer than 200 characters"]
    assert snapshot() == stored_estate


def test_a_document_of_more_than_120000_values_is_refused_before_it_is_composed(write_spec, stored_estate):
    bad = write_spec("wide.yaml", INTEGRATION + "data_objects: [" + "a, " * 120_000 + "a]\n")
    assert refused(bad) == [f"{bad}:6: invalid YAML: more than 120,000 values in one document"]
    assert snapshot() == stored_estate


def test_a_file_of_more_than_a_million_values_is_refused(write_spec, stored_estate):
    document = "[" + "a," * 95_000 + "a]\n"  # 95,002 values
    bad = write_spec("dense.yaml", "---\n".join([document] * 11))
    assert refused(bad) == [f"{bad}:21: invalid YAML: more than 1,000,000 values in one file; split it"]
    assert snapshot() == stored_estate


def test_a_file_of_more_than_100000_documents_is_refused(write_spec, stored_estate):
    bad = write_spec("empty.yaml", "---\n" * 100_001)
    assert refused(bad) == [f"{bad}:100001: invalid YAML: more than 100,000 documents in one file; split it"]
    assert snapshot() == stored_estate


def test_a_kind_that_is_a_list_is_an_unknown_kind(write_spec, stored_estate):
    bad = write_spec("kind.yaml", "apiVersion: plumbline/v1\nkind: [Integration]\nkey: x\n")
    assert refused(bad) == [
        f"{bad}:2: document x: kind: unknown kind ['Integration'] "
        "(known: Person, Calendar, System, DataObject, PlatformAccount, ValueMap, Integration, GoLive)"
    ]
    assert snapshot() == stored_estate


# Bytes and characters


def test_bytes_that_are_not_utf8_are_refused_at_their_line(tmp_path, good, stored_estate):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes((INTEGRATION + "name: Caf\xe9 payouts\n").encode("latin-1"))
    assert refused(good, bad) == [f"{bad}:6: invalid YAML: not UTF-8 text (byte 0xe9); save the file as UTF-8"]
    assert_nothing_written(stored_estate)


def test_a_nul_byte_is_refused_at_its_line(tmp_path, good, stored_estate):
    bad = tmp_path / "nul.yaml"
    bad.write_bytes(INTEGRATION.encode() + b"name: Stripe\x00payouts\n")
    assert refused(good, bad) == [f"{bad}:6: invalid YAML: character U+0000 is not allowed"]
    assert_nothing_written(stored_estate)


def test_a_control_character_is_refused_at_its_line_after_wide_characters(write_spec, stored_estate):
    # libyaml counts bytes: the line must still be right after characters of several bytes.
    bad = write_spec("bell.yaml", INTEGRATION + "name: Zahlungsläufe → NetSuite\ndescription: ding\x07\n")
    assert refused(bad) == [f"{bad}:7: invalid YAML: character U+0007 is not allowed"]
    assert snapshot() == stored_estate


def test_a_nul_written_as_an_escape_is_refused_at_its_field(write_spec, stored_estate):
    bad = write_spec("escaped.yaml", INTEGRATION + 'description: "Stripe\\0payouts"\n')
    assert refused(bad) == [
        f"{bad}:6: integration stripe-payouts-to-netsuite: description: "
        "contains a NUL character (\\u0000), which cannot be stored"
    ]
    assert snapshot() == stored_estate


def test_an_impossible_date_is_refused_at_its_field(write_spec, good, stored_estate):
    bad = write_spec("dates.yaml", INTEGRATION + "reviewed_at: 2026-02-30\n")
    assert refused(good, bad) == [
        f"{bad}:6: integration stripe-payouts-to-netsuite: reviewed_at: "
        "must be a date (YYYY-MM-DD); 2026-02-30 is not a day of the calendar"
    ]
    assert_nothing_written(stored_estate)


def test_a_number_too_long_to_read_is_refused_at_its_field(write_spec, stored_estate):
    bad = write_spec("digits.yaml", INTEGRATION + "sync: {trigger: schedule, interval_minutes: " + "9" * 5000 + "}\n")
    assert refused(bad) == [
        f"{bad}:6: integration stripe-payouts-to-netsuite: sync.interval_minutes: must be a positive integer"
    ]
    assert snapshot() == stored_estate


def test_not_a_number_of_hours_is_refused(write_spec, stored_estate):
    bad = write_spec("nan.yaml", INTEGRATION + "build_estimate_hours: .nan\n")
    assert refused(bad) == [
        f"{bad}:6: integration stripe-payouts-to-netsuite: build_estimate_hours: must be a number of hours, 0 or more"
    ]
    assert snapshot() == stored_estate


# Limits


def test_a_file_over_10_mb_is_refused_before_it_is_read(tmp_path, good, stored_estate):
    bad = tmp_path / "huge.yaml"
    bad.write_bytes(b"\xff" * (10 * 1024 * 1024 + 1))  # neither UTF-8 nor YAML: only its size is reported
    assert refused(good, bad) == [
        f"{bad}:0: is larger than 10 MB (10,485,761 bytes), the most a spec file may hold; split it"
    ]
    assert_nothing_written(stored_estate)


def test_a_description_over_64_kb_is_refused_at_its_field(write_spec, good, stored_estate):
    bad = write_spec("long.yaml", INTEGRATION + "description: " + "x" * 65_537 + "\n")
    assert refused(good, bad) == [
        f"{bad}:6: integration stripe-payouts-to-netsuite: description: must be at most 65,536 characters"
    ]
    assert_nothing_written(stored_estate)


def test_a_description_of_exactly_64_kb_imports(write_spec, stored_estate):
    spec = write_spec("long.yaml", INTEGRATION + "description: " + "x" * 65_536 + "\n")
    import_paths([str(spec)])
    assert len(Integration.objects.get(key="stripe-payouts-to-netsuite").description) == 65_536


def test_a_workaround_over_64_kb_is_refused_at_its_field(write_spec, stored_estate):
    bad = write_spec("long.yaml", INTEGRATION + "workaround:\n  description: " + "x" * 65_537 + "\n")
    assert refused(bad) == [
        f"{bad}:7: integration stripe-payouts-to-netsuite: workaround.description: must be at most 65,536 characters"
    ]
    assert snapshot() == stored_estate


def test_more_than_100_data_objects_are_refused(write_spec, stored_estate):
    items = ", ".join(f"object-{n}" for n in range(101))
    bad = write_spec("lists.yaml", INTEGRATION + f"data_objects: [{items}]\n")
    assert refused(bad) == [
        f"{bad}:6: integration stripe-payouts-to-netsuite: data_objects: must list at most 100 items"
    ]
    assert snapshot() == stored_estate


def test_more_than_200_notify_entries_are_refused(write_spec, stored_estate):
    items = ", ".join(f"p{n}@example.com" for n in range(201))
    bad = write_spec("lists.yaml", INTEGRATION + f"error_handling:\n  notify: [{items}]\n")
    assert refused(bad) == [
        f"{bad}:7: integration stripe-payouts-to-netsuite: error_handling.notify: must list at most 200 items"
    ]
    assert snapshot() == stored_estate


def test_more_than_1000_mappings_are_refused(write_spec, stored_estate):
    rows = "".join(f"  - {{source: a.f{n}, target: b.f{n}}}\n" for n in range(1001))
    bad = write_spec("lists.yaml", INTEGRATION + "mappings:\n" + rows)
    assert refused(bad) == [
        f"{bad}:6: integration stripe-payouts-to-netsuite: mappings: must list at most 1,000 mappings"
    ]
    assert snapshot() == stored_estate


def test_a_golive_of_more_than_5000_integrations_is_refused(write_spec, stored_estate):
    keys = ", ".join(f"integration-{n}" for n in range(5001))
    bad = write_spec("golive.yaml", f"apiVersion: plumbline/v1\nkind: GoLive\nkey: big-bang\nintegrations: [{keys}]\n")
    assert refused(bad) == [f"{bad}:4: golive big-bang: integrations: must list at most 5,000 items"]
    assert snapshot() == stored_estate


def test_the_command_reports_a_bomb_as_an_error_not_a_traceback(write_spec, stored_estate, capsys):
    bad = write_spec("bomb.yaml", billion_laughs(9))
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_specs", str(bad))
    assert f"{bad}:6: invalid YAML: aliases in this file repeat more than 100,000 nodes" in capsys.readouterr().err
    assert snapshot() == stored_estate
