"""DataObject documents in spec files: import checks them naming file, line, key and field, export
writes data-objects.yaml, and a re-import changes nothing."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

from catalog.models import ChangeRecord, DataObject
from catalog.spec.importer import ImportFailed, import_paths

pytestmark = pytest.mark.django_db

ESTATE = """
apiVersion: plumbline/v1
kind: Person
key: ana.lopez@example.com
name: Ana Lopez
---
apiVersion: plumbline/v1
kind: System
key: salesforce
name: Salesforce
---
apiVersion: plumbline/v1
kind: DataObject
key: customer
name: Customer
description: Accounts we bill.
master: salesforce
owner: ana.lopez@example.com
sequence_sensitive: false
---
apiVersion: plumbline/v1
kind: DataObject
key: journal-entry
name: Journal entry
sequence_sensitive: true
"""


def test_data_objects_are_stored_with_master_and_owner(write_spec):
    import_paths([write_spec("estate.yaml", ESTATE)])
    customer = DataObject.objects.get(key="customer")
    assert (customer.name, customer.master.key, customer.owner.email) == (
        "Customer",
        "salesforce",
        "ana.lopez@example.com",
    )
    assert customer.description == "Accounts we bill." and not customer.sequence_sensitive
    journal = DataObject.objects.get(key="journal-entry")
    assert journal.sequence_sensitive and journal.master is None
    assert ChangeRecord.objects.filter(kind="DataObject", key="customer", action="create").exists()


def test_export_writes_data_objects_yaml_and_re_import_changes_nothing(write_spec, tmp_path):
    import_paths([write_spec("estate.yaml", ESTATE)])
    call_command("export_specs", str(tmp_path / "out"))
    exported = list(yaml.safe_load_all((tmp_path / "out" / "data-objects.yaml").read_text()))
    assert exported[0] == {
        "apiVersion": "plumbline/v1",
        "kind": "DataObject",
        "key": "customer",
        "name": "Customer",
        "description": "Accounts we bill.",
        "master": "salesforce",
        "owner": "ana.lopez@example.com",
        "sequence_sensitive": False,
    }
    assert exported[1]["sequence_sensitive"] is True and "master" not in exported[1]
    report = import_paths([tmp_path / "out"])
    assert report.created == [] and report.updated == []


def test_an_unknown_master_is_refused_naming_file_line_key_and_field(write_spec):
    path = write_spec("objects.yaml", ESTATE.replace("master: salesforce", "master: salesforc"))
    with pytest.raises(ImportFailed) as caught:
        import_paths([path])
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:16: dataobject customer: master: unknown system 'salesforc'"
    ]
    assert not DataObject.objects.exists()


def test_an_unknown_owner_and_a_bad_flag_are_refused(write_spec):
    text = ESTATE.replace("owner: ana.lopez@example.com\nsequence", "owner: nobody@example.com\nsequence")
    text = text.replace("sequence_sensitive: true", "sequence_sensitive: sometimes")
    path = write_spec("objects.yaml", text)
    with pytest.raises(ImportFailed) as caught:
        import_paths([path])
    errors = "\n".join(str(e) for e in caught.value.errors)
    assert "dataobject customer: owner: unknown person 'nobody@example.com'" in errors
    assert "dataobject journal-entry: sequence_sensitive:" in errors
    assert not DataObject.objects.exists()
