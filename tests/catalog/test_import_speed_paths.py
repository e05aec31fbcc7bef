"""The quick paths of a big import store and compare exactly what the model paths did: rows inserted
plainly (catalog/rows.py) read back as bulk_create's, stored documents read as rows are the documents
of the stored objects, and the health sources and findings made after an import are complete."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.utils import timezone

from catalog.models import ChangeRecord, GoLive, Integration, Mapping, Person, PlatformAccount, StoredFinding, System
from catalog.rows import CHUNK, insert_rows
from catalog.rules.store import refresh_findings
from catalog.spec import documents
from catalog.spec.importer import import_sources
from catalog.spec.schema import KINDS
from catalog.spec.writer import stored_documents
from monitoring.health.sources import is_monitored, spec_values
from monitoring.health.specs import sync_sources
from monitoring.models import HealthSource
from tests.conftest import EXAMPLE_ESTATE
from tests.monitoring.conftest import make_integration

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def estate(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_specs", str(EXAMPLE_ESTATE))


def stored_fields(obj, leave_out: tuple[str, ...]) -> dict:
    return {name: value for name, value in model_to_dict(obj).items() if name not in leave_out}


def test_a_row_inserted_plainly_reads_back_as_bulk_create_stores_it():
    plain, modelled = make_integration("plain"), make_integration("modelled")
    HealthSource.objects.filter(integration__in=[plain, modelled]).delete()
    values = {"kind": "boomi", "interval_minutes": 15, "grace_minutes": 30, "min_records_per_run": None}
    insert_rows(HealthSource, ["integration_id", *values, "next_poll_at"], [(plain.pk, *values.values(), NOW)])
    HealthSource.objects.bulk_create([HealthSource(integration=modelled, next_poll_at=NOW, **values)])
    first, second = (HealthSource.objects.get(integration=i) for i in (plain, modelled))
    leave_out = ("id", "integration")
    assert stored_fields(first, leave_out) == stored_fields(second, leave_out)
    assert first.next_poll_at == NOW
    assert first.created_at is not None and first.updated_at is not None


def test_plainly_inserted_history_stores_documents_with_dates_as_the_model_does():
    after = {"key": "x", "reviewed_at": dt.date(2026, 3, 1), "hours": 6.5}
    insert_rows(
        ChangeRecord,
        ("at", "actor_id", "via", "kind", "key", "action", "before", "after", "note"),
        [(NOW, None, "import", "Integration", "x", "create", None, after, "from a.yaml")],
    )
    ChangeRecord.objects.create(at=NOW, via="import", kind="Integration", key="y", action="create", after=after)
    plain, modelled = ChangeRecord.objects.order_by("key")
    assert plain.after == modelled.after == {"key": "x", "reviewed_at": "2026-03-01", "hours": 6.5}
    assert plain.before is None and plain.at == NOW and plain.note == "from a.yaml"


def test_a_row_inserted_ignoring_conflicts_leaves_the_first_one():
    row = ("STALE_SPEC", "integration", "x", "warning", "old", "review it", None, NOW, NOW)
    columns = ("code", "subject_type", "subject_key", "severity", "message", "remedy", "owner_id")
    columns += ("first_seen_at", "last_seen_at")
    insert_rows(StoredFinding, columns, [row], ignore_conflicts=True)
    later = NOW + dt.timedelta(days=1)
    insert_rows(StoredFinding, columns, [(*row[:4], "new", row[5], None, later, later)], ignore_conflicts=True)
    finding = StoredFinding.objects.get()
    assert (finding.message, finding.first_seen_at) == ("old", NOW)


def test_stored_documents_read_as_rows_are_the_documents_of_the_stored_objects(estate):
    keys = documents.ref_keys("Person", "System", "PlatformAccount", "Integration")
    expected: dict[str, dict] = {
        "Person": {p.email: documents.to_document(p, KINDS["Person"], keys) for p in Person.objects.all()},
        "System": {s.key: documents.to_document(s, KINDS["System"], keys) for s in System.objects.all()},
        "PlatformAccount": {
            a.key: documents.to_document(a, KINDS["PlatformAccount"], keys) for a in PlatformAccount.objects.all()
        },
        "Integration": {
            i.key: documents.to_document(i, KINDS["Integration"], keys, mappings=list(i.mappings.all()))
            for i in Integration.objects.prefetch_related("mappings")
        },
        "GoLive": {
            g.key: documents.to_document(
                g, KINDS["GoLive"], keys, integration_keys=[row.integration.key for row in g.scope.all()]
            )
            for g in GoLive.objects.prefetch_related("scope__integration")
        },
    }
    for kind_name, by_key in expected.items():
        assert by_key, kind_name
        assert stored_documents(KINDS[kind_name], list(by_key), keys) == by_key
    assert any(doc.get("mappings") for doc in expected["Integration"].values())
    assert any(doc.get("integrations") for doc in expected["GoLive"].values())


INTEGRATION = """
apiVersion: plumbline/v1
kind: Integration
key: {key}
name: {name}
health: {{kind: heartbeat, grace_minutes: 10}}
sync: {{trigger: schedule, interval_minutes: 60}}
mappings:
- {{source: a.id, target: b.id, required: true}}
- {{source: a.name, target: b.name, transform: {transform}}}
"""


def spec(name: str = "First", transform: str = "uppercase") -> list[tuple[str, str]]:
    first = INTEGRATION.format(key="i1", name=name, transform=transform)
    return [("estate.yaml", first + "---" + INTEGRATION.format(key="i2", name="Same", transform="uppercase"))]


def test_a_reimport_writes_only_the_document_it_changes():
    import_sources(spec())
    untouched = Integration.objects.get(key="i2").updated_at
    report = import_sources(spec(name="Renamed", transform="lowercase"))
    assert (report.updated, len(report.unchanged)) == ([("Integration", "i1")], 1)
    assert Integration.objects.get(key="i1").name == "Renamed"
    assert list(Integration.objects.get(key="i1").mappings.values_list("source", "transform", "required")) == [
        ("a.id", "", True),
        ("a.name", "lowercase", False),
    ]
    assert Integration.objects.get(key="i2").updated_at == untouched
    assert ChangeRecord.objects.filter(key="i1", action="update").get().before["name"] == "First"


def test_sources_synced_after_an_import_match_the_specs_and_a_second_sync_changes_nothing(estate):
    integrations = list(Integration.objects.all())
    monitored = [i for i in integrations if is_monitored(i)]
    assert monitored and len(monitored) < len(integrations)
    sources = {s.integration_id: s for s in HealthSource.objects.all()}
    assert set(sources) == {i.pk for i in monitored}
    for integration in monitored:
        source = sources[integration.pk]
        assert {name: getattr(source, name) for name in spec_values(integration)} == spec_values(integration)
        assert (source.state, source.paused, source.open_failed_records) == ("unknown", False, 0)
    again = sync_sources()
    assert (again.created, again.updated, again.deleted) == ([], [], 0)


def test_findings_created_in_one_refresh_were_first_and_last_seen_then(estate):
    StoredFinding.objects.all().delete()
    now = timezone.now()
    report = refresh_findings(now=now)
    assert report.created == StoredFinding.objects.count() > 0
    assert set(StoredFinding.objects.values_list("first_seen_at", "last_seen_at")) == {(now, now)}
    later = now + dt.timedelta(hours=1)
    refresh_findings(now=later)
    assert set(StoredFinding.objects.values_list("first_seen_at", "last_seen_at")) == {(now, later)}


def test_more_rows_than_a_chunk_all_go_in_in_order():
    integration = make_integration("many")
    count = CHUNK + 7
    names = ("integration_id", "position", "source", "target", "required", "transform", "note")
    insert_rows(Mapping, names, [(integration.pk, n, f"a.f{n}", f"b.f{n}", n % 2 == 0, "", "") for n in range(count)])
    rows = list(integration.mappings.order_by("position").values_list("position", "source", "required"))
    assert len(rows) == count
    assert rows == [(n, f"a.f{n}", n % 2 == 0) for n in range(count)]
