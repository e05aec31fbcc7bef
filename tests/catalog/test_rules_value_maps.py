"""Value maps in the spec rules: a lookup without a value map leaves the mappings part missing
(SPEC_INCOMPLETE names the row), a stale value map makes the integrations translating by it
STALE_SPEC (one finding, naming it), and the engine reads both in a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.completeness import assess, open_lookups, refresh_completeness
from catalog.models import Integration, Mapping, ValueMap
from catalog.rules import evaluate_estate
from tests.catalog.test_rules_support import (
    TODAY,
    days_ago,
    facts,
    integration,
    make_estate,
    only,
    silence_monitoring,
)

LOOKUP_ROW = "mappings[2] (line.account -> line.glAccount)"


# SPEC_INCOMPLETE: a lookup without a value map


def test_a_lookup_without_a_value_map_leaves_the_mappings_part_missing():
    result = assess(integration(), has_complete_mapping=True, open_lookups=(LOOKUP_ROW,))
    assert result.missing == ("mappings",)


def test_a_lookup_with_a_value_map_is_a_complete_mapping():
    rows = [
        {"source": "a", "target": "b"},
        {"source": "c", "target": "d", "transform": "cents-to-decimal"},
        {"source": "line.account", "target": "line.glAccount", "transform": "lookup", "value_map": "coa"},
    ]
    assert open_lookups(rows) == ()
    assert assess(integration(), has_complete_mapping=True, open_lookups=open_lookups(rows)).missing == ()


def test_open_lookups_names_the_row_by_its_place_and_fields():
    rows = [
        {"source": "a", "target": "b"},
        {"source": "c", "target": "d", "transform": "other"},
        {"source": "line.account", "target": "line.glAccount", "transform": "lookup"},
    ]
    assert open_lookups(rows) == (LOOKUP_ROW,)


def test_spec_incomplete_names_the_lookup_without_a_value_map():
    finding = only("SPEC_INCOMPLETE", integration(), facts(open_lookups=(LOOKUP_ROW,)))
    assert finding is not None
    assert "Spec is missing mappings (5 of 6 required parts written)." in finding.message
    assert f"{LOOKUP_ROW} is a lookup without a value map." in finding.message
    assert "value_map:" in finding.remedy


def test_without_open_lookups_a_complete_spec_raises_nothing():
    assert only("SPEC_INCOMPLETE", integration(), facts(open_lookups=())) is None


# STALE_SPEC: a value map older than the review policy


def test_a_value_map_reviewed_181_days_ago_makes_the_spec_stale_and_is_named():
    finding = only("STALE_SPEC", integration(), facts(value_maps=(("tax-codes", days_ago(181)),)))
    assert finding is not None
    assert finding.severity == "warning"
    assert finding.message == (
        f"Value map tax-codes, which its mappings translate by, was last reviewed on "
        f"{days_ago(181).isoformat()}, 181 days ago."
    )
    assert "value map tax-codes" in finding.remedy


def test_a_value_map_reviewed_180_days_ago_is_fresh():
    assert only("STALE_SPEC", integration(), facts(value_maps=(("tax-codes", days_ago(180)),))) is None


def test_a_never_reviewed_value_map_makes_the_spec_stale():
    finding = only("STALE_SPEC", integration(), facts(value_maps=(("tax-codes", None),)))
    assert finding is not None
    assert "Value map tax-codes, which its mappings translate by, has never been reviewed" in finding.message


def test_a_stale_spec_and_a_stale_value_map_make_one_finding_naming_both():
    stale = integration(reviewed_at=days_ago(200))
    given = facts(value_maps=(("coa", days_ago(10)), ("tax-codes", days_ago(400))))
    finding = only("STALE_SPEC", stale, given)  # only() asserts there is exactly one
    assert finding is not None
    assert "The spec was last reviewed on" in finding.message
    assert "Value map tax-codes" in finding.message
    assert "coa" not in finding.message  # fresh: not a reason


# Stored: the engine and the stored completeness


@pytest.fixture
def stored(db, monkeypatch):
    silence_monitoring(monkeypatch)
    [item] = make_estate(1, prefix="v")
    Integration.objects.filter(pk=item.pk).update(reviewed_at=TODAY, lifecycle="live")
    Mapping.objects.filter(integration=item).delete()
    Mapping.objects.create(integration=item, position=0, source="a.id", target="b.id")
    return item


def codes_for(key: str) -> dict[str, str]:
    return {f.code: f.message for f in evaluate_estate(now=None) if f.subject_key == key}


def test_stored_lookup_without_a_value_map_is_spec_incomplete_and_not_with_one(stored):
    Mapping.objects.create(integration=stored, position=1, source="acct", target="gl", transform="lookup")
    found = codes_for(stored.key)
    assert "mappings[1] (acct -> gl) is a lookup without a value map." in found["SPEC_INCOMPLETE"]
    ValueMap.objects.create(key="coa", reviewed_at=TODAY)
    Mapping.objects.filter(integration=stored, position=1).update(value_map="coa")
    assert "lookup without a value map" not in codes_for(stored.key).get("SPEC_INCOMPLETE", "")


def test_refreshed_completeness_counts_a_lookup_without_a_value_map_as_missing_mappings(stored):
    refresh_completeness()
    stored.refresh_from_db()
    assert "mappings" not in stored.missing_parts
    Mapping.objects.create(integration=stored, position=1, source="acct", target="gl", transform="lookup")
    refresh_completeness()
    stored.refresh_from_db()
    assert "mappings" in stored.missing_parts


def test_a_stored_stale_value_map_makes_its_integrations_stale_and_not_when_fresh(stored, settings):
    settings.PLUMBLINE_REVIEW_DAYS = 180
    vm = ValueMap.objects.create(key="tax-codes", reviewed_at=None)
    Mapping.objects.create(
        integration=stored, position=1, source="t", target="u", transform="lookup", value_map="tax-codes"
    )
    assert "Value map tax-codes" in codes_for(stored.key)["STALE_SPEC"]
    vm.reviewed_at = TODAY
    vm.save()
    assert "STALE_SPEC" not in codes_for(stored.key)


def query_count(size: int) -> int:
    items = make_estate(size, prefix=f"q{size}")
    ValueMap.objects.create(key=f"map-{size}", reviewed_at=None)
    Mapping.objects.bulk_create(
        Mapping(
            integration=item,
            position=5,
            source="x",
            target="y",
            transform="lookup",
            value_map=f"map-{size}" if n % 2 else "",
        )
        for n, item in enumerate(items)
    )
    with CaptureQueriesContext(connection) as captured:
        findings = evaluate_estate()
    assert any("Value map map-" in f.message for f in findings)
    assert any("is a lookup without a value map" in f.message for f in findings)
    return len(captured)


@pytest.mark.django_db
def test_value_maps_keep_the_engine_query_count_flat(monkeypatch):
    silence_monitoring(monkeypatch)
    small = query_count(5)
    Mapping.objects.all().delete()
    Integration.objects.all().delete()
    ValueMap.objects.all().delete()
    assert query_count(60) == small
