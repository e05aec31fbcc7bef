"""The whole-estate pass: which rules look at which lifecycles, estate-level findings, ordering,
and a query count that does not grow with the estate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.health import ObservedConnection
from catalog.models import Integration, Person, PlatformAccount, System
from catalog.rules import Estate, evaluate, evaluate_estate
from catalog.rules.estate import point_to_point_sprawl
from catalog.rules.finding import JSON_KEYS
from tests.catalog.test_rules_support import (
    NOW,
    codes_of,
    facts,
    health,
    integration,
    make_estate,
    silence_monitoring,
)


def neglected(**overrides: object) -> Integration:
    """An integration breaking nearly every written rule."""
    fields: dict[str, object] = {
        "owner": None,
        "backup_owner": None,
        "reviewed_at": None,
        "error_surface": "log-file",
        "resync": "current-state",
        "data_objects": ["invoice"],
        "maintained_by": "",
        "vendor_claim": "real-time",
        "interval_minutes": 60,
        "health_kind": "none",
        "api_retirement_date": NOW.date(),
    }
    fields.update(overrides)
    return integration(**fields)


def test_retired_integration_raises_nothing():
    down = facts(health=health("down"), has_complete_mapping=False)
    assert codes_of(neglected(lifecycle="retired"), down) == set()


def test_deprecated_integration_raises_only_observed_owner_and_api_findings():
    down = facts(health=health("down"), has_complete_mapping=False)
    assert codes_of(neglected(lifecycle="deprecated"), down) == {"HEALTH_DOWN", "OWNER_INACTIVE", "API_RETIREMENT_DUE"}


def test_planned_integration_ignores_observed_health():
    assert "HEALTH_DOWN" not in codes_of(integration(lifecycle="planned"), facts(health=health("down")))


def test_neglected_live_integration_raises_every_written_rule():
    assert codes_of(neglected(), facts(has_complete_mapping=False)) == {
        "SPEC_INCOMPLETE",
        "STALE_SPEC",
        "OWNER_INACTIVE",
        "SILENT_FAILURES",
        "RESYNC_LOSES_SEQUENCE",
        "CONNECTOR_MAINTENANCE_UNOWNED",
        "REALTIME_CLAIM_MISMATCH",
        "UNMONITORED",
        "API_RETIREMENT_DUE",
    }


def point_to_point(count: int, **overrides: object) -> list[Integration]:
    fields: dict[str, object] = {"lifecycle": "live", "connector_type": "custom-api"}
    fields.update(overrides)
    return [integration(pk=n, key=f"p2p-{n}", **fields) for n in range(count)]


def test_six_live_point_to_point_integrations_are_not_sprawl():
    assert point_to_point_sprawl(point_to_point(6)) is None


def test_seven_live_point_to_point_integrations_are_sprawl():
    finding = point_to_point_sprawl(point_to_point(4) + point_to_point(3, connector_type="file-transfer"))
    assert finding is not None
    assert (finding.subject_type, finding.subject_key, finding.severity) == ("estate", None, "warning")
    assert "7 live point-to-point integrations" in finding.message
    assert finding.as_dict()["subject_key"] is None


def test_retired_and_ipaas_integrations_do_not_count_as_sprawl():
    estate = point_to_point(6) + point_to_point(1, lifecycle="retired") + point_to_point(1, connector_type="ipaas")
    assert point_to_point_sprawl(estate) is None


def test_observed_connection_without_spec_is_undocumented():
    observed = ObservedConnection("celigo-prod", "flow-1", "Orders to NetSuite", NOW - dt.timedelta(days=2))
    findings = evaluate(Estate([], observed=[observed]), now=NOW, review_days=180)
    assert [(f.code, f.subject_type, f.subject_key) for f in findings] == [
        ("UNDOCUMENTED_CONNECTION", "connection", "celigo-prod/flow-1")
    ]
    assert "'Orders to NetSuite'" in findings[0].message and "2026-11-24" in findings[0].message


def test_observed_connection_a_spec_points_at_is_documented():
    account = PlatformAccount(pk=1, key="celigo-prod", platform="celigo", base_url="https://api.integrator.io")
    documented = integration(health_kind="celigo", health_account=account, health_ref="flow-1")
    observed = ObservedConnection("celigo-prod", "flow-1", "Orders")
    estate = Estate([documented], complete_mapping_ids={documented.pk}, observed=[observed])
    assert evaluate(estate, now=NOW, review_days=180) == []


def test_findings_sort_by_severity_then_code_then_subject():
    estate = Estate(
        [
            integration(pk=1, key="b", error_surface="none", error_notify=[]),
            integration(pk=2, key="a", error_surface="log-file"),
            integration(pk=3, key="c", health_kind="none"),
        ],
        complete_mapping_ids={1, 2, 3},
    )
    findings = evaluate(estate, now=NOW, review_days=180)
    assert [(f.severity, f.code, f.subject_key) for f in findings] == [
        ("critical", "SILENT_FAILURES", "b"),
        ("warning", "SILENT_FAILURES", "a"),
        ("warning", "UNMONITORED", "c"),
    ]


def test_a_finding_serialises_to_exactly_the_contract_keys():
    finding = evaluate(Estate([integration(health_kind="none")]), now=NOW, review_days=180)[0]
    assert tuple(finding.as_dict()) == JSON_KEYS


@pytest.mark.django_db
def test_evaluating_the_estate_reads_health_facts_for_running_integrations(monkeypatch):
    [live] = make_estate(1)
    Integration.objects.filter(pk=live.pk).update(health_kind="heartbeat")
    silence_monitoring(monkeypatch, health={live.pk: health("down")})
    assert ("HEALTH_DOWN", live.key) in {(f.code, f.subject_key) for f in evaluate_estate()}


@pytest.mark.django_db
def test_evaluating_the_estate_reports_systems_whose_owner_left(monkeypatch):
    silence_monitoring(monkeypatch)
    gone = Person.objects.create(email="gone@example.com", active=False)
    System.objects.create(key="legacy-crm", owner=gone)
    findings = evaluate_estate()
    assert [(f.code, f.subject_type, f.subject_key) for f in findings] == [("OWNER_INACTIVE", "system", "legacy-crm")]


@pytest.mark.django_db
def test_review_policy_defaults_to_the_setting(monkeypatch, settings):
    silence_monitoring(monkeypatch)
    settings.PLUMBLINE_REVIEW_DAYS = 30
    [item] = make_estate(1)
    Integration.objects.filter(pk=item.pk).update(reviewed_at=timezone.localdate() - dt.timedelta(days=31))
    assert "STALE_SPEC" in {f.code for f in evaluate_estate()}
    settings.PLUMBLINE_REVIEW_DAYS = 31
    assert "STALE_SPEC" not in {f.code for f in evaluate_estate()}


def query_count(size: int) -> int:
    make_estate(size, prefix=f"e{size}")
    with CaptureQueriesContext(connection) as captured:
        findings = evaluate_estate()
    assert findings
    return len(captured)


@pytest.mark.django_db
def test_evaluating_the_estate_takes_the_same_queries_for_5_and_50_integrations(monkeypatch):
    silence_monitoring(monkeypatch)
    small = query_count(5)
    Integration.objects.all().delete()
    # people, systems, accounts, integrations, data objects, mappings, signed-off go-lives, value maps, lookups
    assert query_count(50) == small <= 9


SPEC = """
apiVersion: plumbline/v1
kind: Person
key: ana@example.com
---
apiVersion: plumbline/v1
kind: System
key: netsuite
version: "{version}"
---
apiVersion: plumbline/v1
kind: System
key: chargebee
version: "1.0"
---
apiVersion: plumbline/v1
kind: Integration
key: chargebee-to-netsuite
source: chargebee
target: netsuite
owner: ana@example.com
backup_owner: ana@example.com
reviewed_at: {reviewed}
"""


@pytest.mark.django_db
@pytest.mark.parametrize(("version", "stale"), [("2026.3", False), ("2027.1", True)])
def test_system_upgrade_on_import_makes_spec_stale_only_for_a_major_version(version, stale, write_spec, monkeypatch):
    silence_monitoring(monkeypatch)
    reviewed = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    call_command("import_specs", str(write_spec("a.yaml", SPEC.format(version="2026.2", reviewed=reviewed))))
    assert "STALE_SPEC" not in {f.code for f in evaluate_estate()}
    call_command("import_specs", str(write_spec("b.yaml", SPEC.format(version=version, reviewed=reviewed))))
    assert ("STALE_SPEC" in {f.code for f in evaluate_estate()}) is stale


@pytest.mark.django_db
def test_a_process_whose_only_spec_is_retired_is_undocumented(monkeypatch):
    account = PlatformAccount.objects.create(key="celigo-prod", platform="celigo", base_url="https://api.integrator.io")
    Integration.objects.create(
        key="old-flow", lifecycle="retired", health_kind="celigo", health_account=account, health_ref="flow-9"
    )
    silence_monitoring(monkeypatch, observed=[ObservedConnection("celigo-prod", "flow-9", "Old flow")])
    assert [(f.code, f.subject_key) for f in evaluate_estate()] == [("UNDOCUMENTED_CONNECTION", "celigo-prod/flow-9")]
