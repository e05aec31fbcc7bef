"""The quick reader of the exporter's YAML (catalog/spec/subset.py) gives exactly what the composing
walk gives, documents, field lines and duplicate fields, or an error the same; anything outside its
subset goes to the walk. Property-based (Hypothesis): exported documents of every shape, and those
texts with YAML's special characters and lines put in anywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.spec import loader
from catalog.spec.exporter import HEADER, dump_documents
from catalog.spec.subset import read_subset
from tests.catalog.test_spec_emitter import documents

BOUNDED = settings(max_examples=300, deadline=None, database=None)
DEMO = Path(__file__).resolve().parents[2] / "catalog" / "demo" / "specs"
INSERTS = [
    "#", " #", ": ", ":", "-", "- ", "? ", "'", "''", '"', "\\", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ",
    "|", ">", "%", "@", "`", " ", "  ", "\t", "\r", "\n", "\n---\n", "\n...\n", "\n  ", "\n- ", "yes", "~", "1.5",
    "2026-01-31", "\u2028", "\x85", "\ufeff", "é",
]  # fmt: skip


def outcome(text: str, *, quick: bool) -> Any:
    """What read_documents gives for a text: documents with lines and duplicates, or the error."""
    real = loader.read_subset
    if not quick:
        loader.read_subset = lambda *args: None
    try:
        return [(r.index, r.line, r.data, r.lines, r.duplicate_fields) for r in loader.read_documents("f.yaml", text)]
    except loader.BrokenYaml as broken:
        return ("broken", broken.line, broken.message)
    finally:
        loader.read_subset = real


def is_subset(text: str) -> bool:
    return read_subset(text, loader._Loader(""), loader._SCALARS) is not None


@BOUNDED
@given(st.lists(documents, min_size=1, max_size=3), st.booleans())
def test_exported_documents_read_quickly_are_what_the_walk_reads(docs, header):
    text = (HEADER if header else "") + dump_documents(docs)
    assert outcome(text, quick=True) == outcome(text, quick=False)


@BOUNDED
@given(st.lists(documents, min_size=1, max_size=2), st.lists(st.tuples(st.integers(0), st.sampled_from(INSERTS))))
def test_exported_text_with_yaml_specials_put_in_reads_the_same_either_way(docs, inserts):
    text = dump_documents(docs)
    for position, insert in inserts:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at:]
    assert outcome(text, quick=True) == outcome(text, quick=False)


def test_an_export_is_read_quickly_and_the_same():
    docs = [
        {"apiVersion": "plumbline/v1", "kind": "System", "key": "erp", "version": "2026.2", "owner": "a@x.com"},
        {
            "apiVersion": "plumbline/v1",
            "kind": "Integration",
            "key": "i",
            "data_objects": ["invoice", "payment"],
            "error_handling": {"notify": ["a@x.com", "#alerts"], "surface": "alert"},
            "reviewed_at": "2026-01-31",
            "mappings": [{"source": "a.id", "target": "b.id", "required": True}, {"source": "a.x", "target": "b.x"}],
            "workaround": {"hours_per_month": 6.5},
        },
    ]
    text = HEADER + dump_documents(docs)
    assert is_subset(text)
    assert outcome(text, quick=True) == outcome(text, quick=False)
    ((_, line, data, lines, _),) = outcome(text, quick=True)[1:]
    assert (line, lines["mappings[1].target"], lines["error_handling.notify[1]"]) == (8, 25, 17)
    assert data["error_handling"]["notify"] == ["a@x.com", "#alerts"]


@pytest.mark.parametrize(
    "text",
    [
        "key: a\nkey: b\nnested:\n  x: 1\n  x: 2\n",  # duplicates
        "a: [x, y, 1, 2026-01-31]\nb: []\nc: 'it''s'\nd: \"q\"\ne: ~\nf: yes\n",  # flow list, quotes, null, bool
        "---\na: 1\n---\nb: 2\n---\n",  # separators first and last
        "a:\n  - x\n  - k: v\n    j:\n    - 1\n",  # an indented list, a list inside a list's mapping
        "# only a comment\n",
        "a: 1\n---\n---\nb: 2\n",  # an empty document between
        "a:\n" + "".join("  " * n + "b:\n" for n in range(1, 40)) + "  " * 40 + "c: 1\n",  # deep
        "a: 1\n  b: 2\n",  # a continuation: invalid here
        "a: 'open\n  quote'\n",
    ],
)
def test_chosen_texts_read_the_same_either_way(text):
    assert outcome(text, quick=True) == outcome(text, quick=False)


def test_the_demo_estate_reads_the_same_either_way():
    for path in sorted(DEMO.glob("*.yaml")):
        text = path.read_text()
        assert outcome(text, quick=True) == outcome(text, quick=False), path
        exported = dump_documents([data for _, _, data, _, _ in outcome(text, quick=False)])
        assert is_subset(exported), path
        assert outcome(exported, quick=True) == outcome(exported, quick=False), path
