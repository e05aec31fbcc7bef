"""Whatever a spec file holds, reading and checking it ends one of two ways: documents, or
ImportFailed whose every error starts with file:line. Never another exception. Property-based
(Hypothesis): arbitrary bytes and text, YAML dumped from arbitrary structures, and valid specs
mutated with the characters that matter to YAML."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.spec.importer import ImportFailed, decode_sources, parse_sources
from catalog.spec.schema import KINDS

pytestmark = pytest.mark.django_db

NAME = "estate/fuzz.yaml"
ERROR = re.compile(rf"^{re.escape(NAME)}:\d+: ")

# Parsing reads the database (references) but never writes it, so one database serves all examples.
BOUNDED = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

VALID = """\
apiVersion: plumbline/v1
kind: Integration
key: chargebee-invoices-to-netsuite
name: Chargebee invoices to NetSuite
source: chargebee
target: netsuite
data_objects: &objects [invoice, credit-memo]
connector: {type: ipaas, platform: celigo, maintained_by: ipaas-vendor, compatibility_sla_days: 30}
sync:
  trigger: schedule
  interval_minutes: 15
error_handling: {surface: alert, notify: [ana.lopez@example.com], resync: replay-in-order}
owner: &owner ana.lopez@example.com
reviewed_at: 2026-09-01
workaround: {description: "Manual CSV export", performed_by: *owner, hours_per_month: 6}
mappings:
  - &row {source: invoice.id, target: invoice.externalId, required: true}
  - {<<: *row, target: invoice.memo}
---
apiVersion: plumbline/v1
kind: GoLive
key: netsuite-go-live-2027
date: 2027-01-04
integrations: [chargebee-invoices-to-netsuite]
"""

# What YAML gives meaning to, and what the loader must refuse cleanly.
FRAGMENTS = [
    *"&*[]{}:-?|>!#%@`'\",\n\t ",
    "&a ",
    "*a",
    "&b [*a, *a, *a]",
    "*b",
    "<<: ",
    "<<: *a",
    "---\n",
    "...\n",
    "? ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!timestamp ",
    "!!binary ",
    "!!set ",
    "!!omap ",
    "!!python/object:os.system ",
    "2026-02-30",
    "2026-13-01 25:61:61",
    "9" * 5000,
    ".nan",
    "-.inf",
    "\x00",
    "\x07",
    "\x85",
    "\ufeff",
    "\ud800",
    '"\\0"',
    '"\\ud800"',
    "  " * 30,
    "[" * 30,
    "k" * 250 + ": ",
]

field_names = st.sampled_from(
    sorted({f.path.split(".")[0] for kind in KINDS.values() for f in kind.fields} | {"mappings", "integrations"})
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.dates()
    | st.datetimes()
    | st.sampled_from(["plumbline/v1", "ana.lopez@example.com", "netsuite", "schedule", "https://example.com"])
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)
documents = st.builds(
    lambda head, fields: {**head, **fields},
    st.fixed_dictionaries(
        {
            "apiVersion": st.just("plumbline/v1") | values,
            "kind": st.sampled_from([*KINDS, "Widget"]) | values,
            "key": st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True) | st.emails() | values,
        }
    ),
    st.dictionaries(field_names, values, max_size=8),
)


def outcome(content: str | bytes) -> None:
    """Read and check one file as import_specs does; fail on anything but documents or file:line errors."""
    try:
        sources = decode_sources([(NAME, content)]) if isinstance(content, bytes) else [(NAME, content)]
        parse_sources(sources)
    except ImportFailed as failed:
        assert failed.errors
        for error in failed.errors:
            assert ERROR.match(str(error)), str(error)


@BOUNDED
@given(st.binary(max_size=400))
def test_any_bytes_are_documents_or_file_line_errors(content):
    outcome(content)


@BOUNDED
@given(st.lists(st.characters(exclude_categories=()) | st.sampled_from(FRAGMENTS), max_size=80).map("".join))
def test_any_text_is_documents_or_file_line_errors(text):
    outcome(text)


@BOUNDED
@given(st.lists(documents, min_size=1, max_size=3))
def test_any_structure_dumped_as_yaml_is_documents_or_file_line_errors(docs):
    outcome(yaml.safe_dump_all(docs, sort_keys=False))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The valid spec with a few fragments inserted and slices cut out."""
    text = VALID
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
    return text


@BOUNDED
@given(mutated())
def test_a_valid_spec_mutated_is_documents_or_file_line_errors(text):
    outcome(text)


def test_the_spec_the_mutations_start_from_is_valid_but_for_its_references():
    # The database is empty, so only references fail: the spec itself reads and checks clean.
    with pytest.raises(ImportFailed) as caught:
        parse_sources([(NAME, VALID)])
    assert [error.message.split(" ")[0] for error in caught.value.errors] == ["unknown"] * 4
