"""The exporter's own emitter writes exactly the bytes PyYAML's safe dumper writes with the same
options, and what it writes reads back as the documents given. Property-based (Hypothesis) over
strings that YAML treats specially (indicators, words read as booleans or numbers, quotes, spaces,
long text folded at the width) in every place a spec document holds text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.spec import emitter
from catalog.spec.exporter import DUMP_OPTIONS, dump_documents, pyyaml_dump_documents
from catalog.spec.loader import read_documents

BOUNDED = settings(max_examples=300, deadline=None, database=None)
DEMO = Path(__file__).resolve().parents[2] / "catalog" / "demo" / "specs"

# Words and pieces YAML reads as something other than text, or that need quotes where they stand.
TRICKY = [
    "yes",
    "No",
    "ON",
    "off",
    "true",
    "False",
    "null",
    "~",
    "NULL",
    "y",
    "n",
    "=",
    "<<",
    "0x1f",
    "0o17",
    "1_000",
    "1e3",
    "1.5",
    ".inf",
    "-.INF",
    ".nan",
    "2026-01-31",
    "2026-01-31 10:00:00",
    "12:30",
    "190:20:30",
    "-",
    "?",
    ":",
    "- ",
    "? ",
    ": ",
    " #",
    "#",
    "'",
    '"',
    "''",
    "---",
    "...",
    "&a",
    "*a",
    "!t",
    "|",
    ">",
    "%",
    "@",
    "`",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\\",
    " ",
    "  ",
]
# Characters the emitter leaves to PyYAML (escaped, or written as they are by allow_unicode).
UNPRINTABLE = ["\t", "\n", "é", "\u2028", "\x85", "\x7f", "\x00"]
pieces = st.one_of(st.sampled_from(TRICKY), st.text(alphabet="abcxyz019 .-_/:#'", min_size=1, max_size=12))
printable = st.lists(pieces, max_size=40).map("".join)
strings = st.one_of(
    printable, printable, printable, st.lists(pieces | st.sampled_from(UNPRINTABLE), max_size=10).map("".join)
)
# Long, spaced text: folded at the width, at every column a line may start from.
long_strings = st.lists(st.text(alphabet="abc'", min_size=1, max_size=14), min_size=8, max_size=40).map(" ".join)
scalars = st.one_of(
    strings,
    long_strings,
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=dt.date(1900, 1, 1)),
)
names = st.sampled_from(["name", "description", "source", "notify", "a b", "key", "x" * 127])
flat = st.dictionaries(names, scalars, min_size=1, max_size=4)
values = st.one_of(
    scalars,
    st.lists(scalars, min_size=1, max_size=4),
    st.lists(flat, min_size=1, max_size=3),
    # A group (health, sync...), whose values may be flat mappings too (health.fields, health.status_map).
    st.dictionaries(names, scalars | st.lists(scalars, min_size=1, max_size=3) | flat, min_size=1, max_size=4),
)
documents = st.dictionaries(names, values, min_size=1, max_size=6)


@BOUNDED
@given(st.lists(documents, min_size=1, max_size=3))
def test_emitter_writes_what_pyyaml_writes_and_reads_back(docs):
    for doc in docs:
        if (own := emitter.emit_document(doc)) is not None:
            assert own == yaml.dump(doc, **DUMP_OPTIONS)
    text = dump_documents(docs)
    assert text == pyyaml_dump_documents(docs)
    assert list(yaml.safe_load_all(text)) == docs


@BOUNDED
@given(st.dictionaries(strings | st.just("x" * 128), scalars, min_size=1, max_size=3))
def test_keys_yaml_would_not_write_plain_are_left_to_pyyaml(doc):
    assert dump_documents([doc]) == pyyaml_dump_documents([doc])


@BOUNDED
@given(long_strings | strings, st.integers(min_value=0, max_value=90))
def test_text_in_a_list_is_folded_as_pyyaml_folds_it(text, indent):
    doc = {"k" * (indent + 1): [text], "g": {"inner": {"x": 1} and text}}
    assert dump_documents([doc]) == pyyaml_dump_documents([doc])


def test_emitter_writes_the_demo_estate_itself():
    """The spec shapes are written without falling back to PyYAML (where the speed is)."""
    docs = [raw.data for path in sorted(DEMO.glob("*.yaml")) for raw in read_documents(str(path), path.read_text())]
    assert len(docs) > 50
    assert all(emitter.emit_document(doc) is not None for doc in docs)
    assert dump_documents(docs) == pyyaml_dump_documents(docs)


def test_text_yaml_would_read_as_another_type_is_quoted():
    doc = {"version": "2026.2", "active": "yes", "notify": ["#alerts", "- x", "null"], "ref": "it's"}
    assert dump_documents([doc]) == (
        "version: '2026.2'\nactive: 'yes'\nnotify:\n- '#alerts'\n- '- x'\n- 'null'\nref: it's\n"
    )


def test_shapes_the_emitter_does_not_know_are_left_to_pyyaml():
    for doc in (
        {"a": {"b": {}}},
        {"a": {"b": {"c": {"d": 1}}}},
        {"a": []},
        {"a": None},
        {"a": "multi\nline"},
        {"a": [[1]]},
        {},
    ):
        assert emitter.emit_document(doc) is None
        assert dump_documents([doc]) == pyyaml_dump_documents([doc])


def test_plain_text_ending_in_a_quote_is_folded_before_it():
    doc = {"description": "a aa aaa aaa aaaa aaaa aaaaa aaaaaa aaaaaaaa aaaaaaaa aaaaaaaaa aaaaaaaaaa aaaaaaaaaaaaa '"}
    assert dump_documents([doc]).endswith("aaaaaaaaaaaaa\n  '\n")
    assert dump_documents([doc]) == pyyaml_dump_documents([doc])
