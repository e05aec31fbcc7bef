"""The readable diff of two spec documents."""

from __future__ import annotations

from catalog.views.history import FieldChange, diff, flatten


def test_nested_groups_and_mappings_flatten_to_paths():
    doc = {
        "apiVersion": "plumbline/v1",
        "kind": "Integration",
        "key": "k",
        "sync": {"trigger": "schedule"},
        "data_objects": ["invoice", "payment"],
        "mappings": [{"source": "a", "target": "b"}],
    }
    assert flatten(doc) == {
        "sync.trigger": "schedule",
        "data_objects": ["invoice", "payment"],
        "mappings[0].source": "a",
        "mappings[0].target": "b",
    }


def test_diff_lists_changed_added_and_removed_fields():
    before = {"name": "A", "sync": {"interval_minutes": 15}, "documentation": "https://x"}
    after = {"name": "A", "sync": {"interval_minutes": 60, "trigger": "schedule"}}
    assert diff(before, after) == [
        FieldChange("sync.interval_minutes", 15, 60),
        FieldChange("sync.trigger", None, "schedule"),
        FieldChange("documentation", "https://x", None),
    ]


def test_a_creation_diffs_against_nothing():
    assert diff(None, {"key": "k", "name": "A"}) == [FieldChange("name", None, "A")]
