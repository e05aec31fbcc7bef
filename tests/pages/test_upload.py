"""Uploading specs: a dry run that shows what would change (or every error, file:line),
then Apply imports exactly the checked content with the admin as actor."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import ChangeRecord, System

pytestmark = pytest.mark.django_db

SYSTEM_YAML = """\
apiVersion: plumbline/v1
kind: System
key: stripe
name: Stripe
category: banking
---
apiVersion: plumbline/v1
kind: System
key: netsuite
name: NetSuite ERP
category: erp
version: "2026.2"
owner: ana.lopez@example.com
"""

BROKEN_YAML = """\
apiVersion: plumbline/v1
kind: Integration
key: stripe-payouts
source: stripe
sync:
  trigger: schedule
  interval_minutes: -5
---
apiVersion: plumbline/v1
kind: Integration
key: stripe-fees
owner: nobody@example.com
"""


def upload_file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="application/yaml")


@pytest.fixture
def admin(estate, client_for):
    return client_for("admin")


def _token(body: str) -> str:
    match = re.search(r'name="apply" value="([^"]+)"', body)
    assert match, "no Apply button"
    return match.group(1)


def test_dry_run_lists_what_would_change_and_writes_nothing(admin):
    records = ChangeRecord.objects.count()
    body = admin.post("/upload/", {"spec_files": upload_file("systems.yaml", SYSTEM_YAML)}).content.decode()
    assert "Dry run: 1 would be created, 1 would be updated, 0 unchanged" in body
    assert "System <code>stripe</code>" in body
    assert "Apply: import these files" in body
    assert not System.objects.filter(key="stripe").exists()
    assert System.objects.get(key="netsuite").name == "NetSuite"
    assert ChangeRecord.objects.count() == records


def test_every_error_is_shown_with_file_line_key_and_field(admin):
    files = [upload_file("systems.yaml", SYSTEM_YAML), upload_file("billing.yaml", BROKEN_YAML)]
    body = admin.post("/upload/", {"spec_files": files}).content.decode()
    assert "billing.yaml:7: integration stripe-payouts: sync.interval_minutes: must be a positive integer" in body
    assert "billing.yaml:12: integration stripe-fees: owner: unknown person &#x27;nobody@example.com&#x27;" in body
    assert "nothing can be imported" in body
    assert 'name="apply"' not in body
    assert not System.objects.filter(key="stripe").exists()


def test_apply_imports_the_checked_content_with_the_admin_as_actor(admin, users):
    body = admin.post("/upload/", {"spec_files": upload_file("systems.yaml", SYSTEM_YAML)}).content.decode()
    response = admin.post("/upload/", {"apply": _token(body)}, follow=True)
    assert "Imported systems.yaml: 1 created, 1 updated, 0 unchanged." in response.content.decode()
    assert System.objects.get(key="stripe").name == "Stripe"
    record = ChangeRecord.objects.get(kind="System", key="stripe")
    assert (record.via, record.action, record.actor) == ("import", "create", users["admin"])


def test_a_tampered_apply_is_refused_and_writes_nothing(admin):
    body = admin.post("/upload/", {"spec_files": upload_file("systems.yaml", SYSTEM_YAML)}).content.decode()
    token = _token(body)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = admin.post("/upload/", {"apply": forged}, follow=True)
    assert "expired or was altered" in response.content.decode()
    assert not System.objects.filter(key="stripe").exists()


def test_files_already_in_the_catalog_offer_nothing_to_apply(admin):
    first = admin.post("/upload/", {"spec_files": upload_file("s.yaml", SYSTEM_YAML)}).content.decode()
    admin.post("/upload/", {"apply": _token(first)})
    body = admin.post("/upload/", {"spec_files": upload_file("s.yaml", SYSTEM_YAML)}).content.decode()
    assert "0 would be created, 0 would be updated, 2 unchanged" in body
    assert "there is nothing to apply" in body


def test_a_file_that_is_not_utf8_is_refused_with_its_line(admin):
    response = admin.post("/upload/", {"spec_files": SimpleUploadedFile("latin.yaml", b"name: Caf\xe9")})
    assert response.status_code == 400
    assert "latin.yaml:1: invalid YAML: not UTF-8 text (byte 0xe9); save the file as UTF-8" in response.content.decode()
