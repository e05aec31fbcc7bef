"""The six required parts of a written spec (spec-format.md, "What makes a spec written")."""

from __future__ import annotations

import pytest

from catalog.completeness import PARTS, assess, refresh_completeness
from catalog.models import Integration, Mapping, Person, System


def complete(**overrides) -> Integration:
    """An unsaved integration with every part present; overrides take parts away."""
    owner = Person(pk=1, email="ana@example.com", active=True)
    fields = {
        "key": "x",
        "source_id": 1,
        "target_id": 2,
        "sync_trigger": "schedule",
        "interval_minutes": 15,
        "error_surface": "alert",
        "error_notify": ["ana@example.com"],
        "resync": "replay-in-order",
        "owner": owner,
        "connector_type": "ipaas",
        "maintained_by": "ipaas-vendor",
        "compatibility_sla_days": 30,
    }
    fields.update(overrides)
    return Integration(**fields)


def missing(integration: Integration, has_mapping: bool = True) -> tuple[str, ...]:
    return assess(integration, has_complete_mapping=has_mapping).missing


def test_a_spec_with_all_six_parts_is_complete():
    result = assess(complete(), has_complete_mapping=True)
    assert result.missing == () and result.score == 1.0
    assert result.as_dict() == {"score": 1.0, "missing": []}


def test_score_is_parts_present_over_six_rounded_in_the_api():
    result = assess(complete(), has_complete_mapping=False)
    assert result.missing == ("mappings",)
    assert result.as_dict() == {"score": 0.83, "missing": ["mappings"]}


def test_nothing_written_misses_every_part_in_format_order():
    result = assess(Integration(key="bare"), has_complete_mapping=False)
    assert result.missing == PARTS and result.score == 0.0


def test_systems_need_both_source_and_target():
    assert missing(complete(target_id=None)) == ("systems",)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"sync_trigger": ""}, ("frequency",)),
        ({"interval_minutes": None}, ("frequency",)),
        ({"sync_trigger": "polling", "interval_minutes": None}, ("frequency",)),
        ({"sync_trigger": "event", "interval_minutes": None, "max_latency_minutes": None}, ("frequency",)),
        ({"sync_trigger": "event", "interval_minutes": None, "max_latency_minutes": 5}, ()),
        ({"sync_trigger": "manual", "interval_minutes": None}, ()),
    ],
)
def test_frequency_needs_an_interval_unless_event_or_manual(overrides, expected):
    assert missing(complete(**overrides)) == expected


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"error_surface": ""}, ("error_handling",)),
        ({"resync": ""}, ("error_handling",)),
        ({"error_notify": []}, ("error_handling",)),
        ({"error_surface": "none", "error_notify": []}, ()),
        ({"error_surface": "log-file", "error_notify": ["#ops"]}, ()),
    ],
)
def test_error_handling_needs_surface_notify_and_resync(overrides, expected):
    assert missing(complete(**overrides)) == expected


def test_owner_must_be_active():
    gone = Person(pk=2, email="gone@example.com", active=False)
    assert missing(complete(owner=gone)) == ("owner",)
    assert missing(complete(owner=None)) == ("owner",)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"connector_type": ""}, ("maintenance",)),
        ({"maintained_by": ""}, ("maintenance",)),
        ({"compatibility_sla_days": None}, ("maintenance",)),
        ({"compatibility_sla_days": 0}, ()),
        ({"connector_type": "native", "maintained_by": ""}, ("maintenance",)),
        ({"connector_type": "custom-api", "compatibility_sla_days": None}, ("maintenance",)),
        ({"connector_type": "file-transfer", "maintained_by": "", "compatibility_sla_days": None}, ()),
        ({"connector_type": "manual", "maintained_by": "", "compatibility_sla_days": None}, ()),
    ],
)
def test_maintenance_needs_maintainer_and_sla_for_native_ipaas_and_custom_api(overrides, expected):
    assert missing(complete(**overrides)) == expected


@pytest.mark.django_db
def test_stored_completeness_follows_mappings_and_owner_activity():
    owner = Person.objects.create(email="ana@example.com")
    source, target = System.objects.create(key="a"), System.objects.create(key="b")
    integration = complete(owner=owner, source_id=source.pk, target_id=target.pk)
    integration.save()
    refresh_completeness()
    integration.refresh_from_db()
    assert integration.missing_parts == ["mappings"]
    Mapping.objects.create(integration=integration, source="a.id", target="")
    refresh_completeness()
    integration.refresh_from_db()
    assert integration.missing_parts == ["mappings"]  # a mapping needs both sides
    Mapping.objects.create(integration=integration, source="a.id", target="b.externalId")
    owner.active = False
    owner.save()
    assert refresh_completeness() == 1
    integration.refresh_from_db()
    assert integration.missing_parts == ["owner"]
    assert integration.completeness_score == pytest.approx(5 / 6)
    assert list(Integration.objects.filter(completeness_missing__contains=",owner,")) == [integration]
