"""The spec's `reconciliation` block: import, errors naming the field, export round trip, the
integration page and the edit form (the API: tests/api/test_reconciliation.py)."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from django.core.management import call_command

from catalog.models import Integration
from catalog.spec.importer import ImportFailed, import_paths
from plumbline.accounts.roles import assign_role

pytestmark = pytest.mark.django_db

KEY = "chargebee-invoices-to-netsuite"

ESTATE = """
apiVersion: plumbline/v1
kind: Person
key: ana.lopez@example.com
name: Ana Lopez
---
apiVersion: plumbline/v1
kind: System
key: chargebee
---
apiVersion: plumbline/v1
kind: System
key: netsuite
---
apiVersion: plumbline/v1
kind: Integration
key: chargebee-invoices-to-netsuite
source: chargebee
target: netsuite
sync:
  trigger: schedule
  interval_minutes: 15
reconciliation:
  tolerance_percent: 0.5
  tolerance_records: 3
owner: ana.lopez@example.com
"""


def write(tmp_path, text: str):
    path = tmp_path / "estate" / "billing.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_the_block_is_read_into_the_integration(tmp_path):
    import_paths([write(tmp_path, ESTATE)])
    stored = Integration.objects.get(key=KEY)
    assert (stored.reconciliation_tolerance_percent, stored.reconciliation_tolerance_records) == (0.5, 3)


@pytest.mark.parametrize(
    ("block", "line", "field", "message"),
    [
        ("  tolerance_percent: 101", 23, "reconciliation.tolerance_percent", "must be a percentage from 0 to 100"),
        ("  tolerance_percent: -0.5", 23, "reconciliation.tolerance_percent", "must be a percentage from 0 to 100"),
        ("  tolerance_percent: half", 23, "reconciliation.tolerance_percent", "must be a percentage from 0 to 100"),
        ("  tolerance_records: 2.5", 23, "reconciliation.tolerance_records", "must be a whole number of 0 or more"),
        ("  tolerance_records: -1", 23, "reconciliation.tolerance_records", "must be a whole number of 0 or more"),
        ("  tolerance: 1", 23, "reconciliation.tolerance", "unknown field"),
    ],
)
def test_a_bad_tolerance_is_an_import_error_naming_file_line_key_and_field(tmp_path, block, line, field, message):
    text = ESTATE.replace("  tolerance_percent: 0.5\n  tolerance_records: 3", block)
    path = write(tmp_path, text)
    with pytest.raises(ImportFailed) as caught:
        import_paths([path])
    errors = [str(error) for error in caught.value.errors]
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:{line}: integration {KEY}: {field}: {message}"), errors
    assert not Integration.objects.exists()


def test_export_writes_the_block_and_reimport_changes_nothing(tmp_path):
    import_paths([write(tmp_path, ESTATE)])
    call_command("export_specs", str(tmp_path / "first"))
    exported = yaml.safe_load((tmp_path / "first" / "integrations" / f"{KEY}.yaml").read_text())
    assert exported["reconciliation"] == {"tolerance_percent": 0.5, "tolerance_records": 3}
    assert list(exported).index("reconciliation") == list(exported).index("sync") + 1
    report = import_paths([tmp_path / "first"])
    assert report.created == [] and report.updated == []
    call_command("export_specs", str(tmp_path / "second"))
    first = (tmp_path / "first" / "integrations" / f"{KEY}.yaml").read_text()
    assert (tmp_path / "second" / "integrations" / f"{KEY}.yaml").read_text() == first


def test_an_integration_without_the_block_exports_none(tmp_path):
    import_paths(
        [write(tmp_path, ESTATE.replace("reconciliation:\n  tolerance_percent: 0.5\n  tolerance_records: 3\n", ""))]
    )
    call_command("export_specs", str(tmp_path / "out"))
    exported = yaml.safe_load((tmp_path / "out" / "integrations" / f"{KEY}.yaml").read_text())
    assert "reconciliation" not in exported


# --- the edit form -----------------------------------------------------------------------------


@pytest.fixture
def admin(client, django_user_model):
    user = django_user_model.objects.create(username="admin@example.com", email="admin@example.com")
    assign_role(user, "admin")
    client.force_login(user)
    return client


def test_the_edit_form_shows_the_block_under_its_spec_paths(tmp_path, admin):
    import_paths([write(tmp_path, ESTATE)])
    body = admin.get(f"/integrations/{KEY}/edit/").content.decode()
    assert "Reconciliation" in body
    assert "reconciliation.tolerance_percent" in body and "reconciliation.tolerance_records" in body
    assert 'name="reconciliation_tolerance_percent"' in body and 'value="0.5"' in body
    assert 'name="reconciliation_tolerance_records"' in body and 'value="3"' in body


def test_the_integration_page_says_what_shortfall_is_tolerated(tmp_path, admin):
    import_paths([write(tmp_path, ESTATE)])
    body = admin.get(f"/integrations/{KEY}/").content.decode()
    assert "Tolerated record shortfall</dt><dd>3 records or 0.5%</dd>" in body


def test_the_edit_form_refuses_a_bad_percentage_naming_the_field(tmp_path, admin):
    import_paths([write(tmp_path, ESTATE)])
    form = admin.get(f"/integrations/{KEY}/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(
        {
            "reconciliation_tolerance_percent": "120",
            "reconciliation_tolerance_records": "3",
            "source": "chargebee",
            "target": "netsuite",
            "owner": "ana.lopez@example.com",
        }
    )
    response = admin.post(f"/integrations/{KEY}/edit/", data)
    assert response.status_code == 200  # the form again, with the error
    assert (
        "must be a percentage from 0 to 100" in response.context["form"].errors["reconciliation_tolerance_percent"][0]
    )
    assert Integration.objects.get(key=KEY).reconciliation_tolerance_percent == 0.5
