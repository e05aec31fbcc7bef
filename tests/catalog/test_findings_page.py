"""The findings page in plain words: every code has a title shown before it, subjects by name,
remedies without spec field names, most severe first, a system filter, filters kept as chips,
waiving in a dialog; and the API's added title."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import StoredFinding
from catalog.models.findings import FINDING_TITLES, FindingCode, finding_title
from catalog.rules.finding import SPEC_FIELDS
from catalog.rules.store import refresh_findings
from catalog.spec.schema import DATA_OBJECT, INTEGRATION
from plumbline.accounts.roles import assign_role
from tests.catalog.test_rules_support import make_estate, silence_monitoring
from tests.conftest import EXAMPLE_ESTATE

pytestmark = pytest.mark.django_db

CHARGEBEE = "chargebee-invoices-to-netsuite"


@pytest.fixture(autouse=True)
def _no_monitoring(monkeypatch):
    silence_monitoring(monkeypatch)


def login(client, django_user_model, email: str, role: str):
    user = django_user_model.objects.create(username=email, email=email)
    assign_role(user, role)
    client.force_login(user)
    return client


@pytest.fixture
def viewer(client, django_user_model):
    return login(client, django_user_model, "viewer@example.com", "viewer")


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)
    refresh_findings()


@pytest.fixture
def estate():
    call_command("import_specs", str(EXAMPLE_ESTATE), verbosity=0)
    refresh_findings()


def test_every_finding_code_has_a_title_in_plain_words():
    assert set(FINDING_TITLES) == set(FindingCode.values)
    for code, title in FINDING_TITLES.items():
        assert title and title != code and not re.search(r"[A-Z]{2,}_|_[a-z]", title), code


def test_an_unknown_code_is_its_own_title():
    assert finding_title("NOT_YET_KNOWN") == "NOT_YET_KNOWN"


def test_spec_fields_name_real_spec_paths():
    paths = {field.path for field in INTEGRATION.fields} | {"source", "target", "owner", "backup_owner", "mappings"}
    paths |= {"error_handling", "health.kind"} | {field.path for field in DATA_OBJECT.fields}
    for code, fields in SPEC_FIELDS.items():
        assert code in FindingCode.values
        assert set(fields) <= paths, code


def test_no_remedy_names_a_spec_field(demo):
    """A finance lead reads the remedies: they say what to do in words, never a YAML path."""
    paths = {f.path for f in INTEGRATION.fields if "_" in f.path or "." in f.path}
    paths |= {path.rpartition(".")[2] for path in paths if "_" in path.rpartition(".")[2]}
    remedies = set(StoredFinding.objects.values_list("remedy", flat=True))
    assert len(remedies) > 5
    assert [(r, p) for r in remedies for p in paths if re.search(rf"\b{re.escape(p)}\b", r)] == []
    assert not [r for r in remedies if "replay-in-order" in r or "re-import" in r]


def test_the_title_comes_before_the_code_and_the_subject_is_its_name(viewer, estate):
    body = viewer.get("/findings/?code=SILENT_FAILURES").content.decode()
    title = body.index("Errors go only to a log file, or nowhere")
    assert title < body.index('<span class="code">SILENT_FAILURES</span>', title)
    assert f'href="/integrations/{CHARGEBEE}/">Chargebee invoices to NetSuite</a>' in body


def test_critical_findings_are_listed_first(viewer, estate):
    rows = [row.finding.severity for g in viewer.get("/findings/").context["groups"] for row in g["rows"]]
    assert rows == sorted(rows, key=["critical", "warning", "info"].index)
    assert rows[0] == "critical"


def test_the_system_filter_shows_findings_on_integrations_into_or_out_of_it(viewer, estate):
    response = viewer.get("/findings/?system=salesforce")
    subjects = {row.finding.subject_key for g in response.context["groups"] for row in g["rows"]}
    assert subjects == {"salesforce-customers-to-netsuite"}


def test_an_unknown_system_is_a_400_naming_it(viewer, estate):
    response = viewer.get("/findings/?system=atlantis")
    assert response.status_code == 400 and "system=" in response.content.decode()


def test_each_active_filter_is_a_chip_that_removes_only_itself(viewer, estate):
    response = viewer.get("/findings/?severity=warning&system=netsuite&group=code")
    chips = {chip.label: chip for chip in response.context["chips"]}
    assert set(chips) == {"Severity", "System"}
    assert chips["Severity"].remove_query == "system=netsuite&group=code"
    assert chips["System"].value == "NetSuite"


def test_waiving_is_a_dialog_with_a_required_reason_posting_with_csrf(client, django_user_model, estate):
    admin = login(client, django_user_model, "admin@example.com", "admin")
    body = admin.get("/findings/?code=SILENT_FAILURES").content.decode()
    finding = StoredFinding.objects.get(code="SILENT_FAILURES", subject_key=CHARGEBEE)
    dialog = body[body.index(f'<dialog id="waive-{finding.pk}"') : body.index("</dialog>")]
    assert f'action="/findings/{finding.pk}/waive/"' in dialog
    assert 'name="csrfmiddlewaretoken"' in dialog
    assert re.search(r'<textarea[^>]*name="reason"[^>]*required', dialog)


def test_a_viewer_gets_no_waive_dialog(viewer, estate):
    assert "<dialog" not in viewer.get("/findings/").content.decode()


def test_the_api_adds_a_title_and_keeps_every_contract_key(viewer, estate):
    first = viewer.get("/api/v1/findings/?code=SILENT_FAILURES").json()["results"][0]
    assert {"code", "severity", "subject_type", "subject_key", "message", "remedy"} <= set(first)
    assert first["code"] == "SILENT_FAILURES"
    assert first["title"] == "Errors go only to a log file, or nowhere"


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/findings/", "/findings/?group=code&system=a-s1", "/findings/?group=owner"])
def test_the_page_queries_do_not_grow_with_the_findings(viewer, path):
    make_estate(5, prefix="a")
    refresh_findings()
    small = queries(viewer, path)
    make_estate(45, prefix="b")
    refresh_findings()
    assert StoredFinding.objects.count() > 100
    # A page naming only one kind of subject (integrations, systems) reads names in one query fewer.
    assert queries(viewer, path) <= small
