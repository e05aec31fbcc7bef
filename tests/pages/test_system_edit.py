"""A system's owner or an admin edits it on a page, validated like import and recorded."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from catalog.models import ChangeRecord, Person, System
from plumbline.accounts.roles import assign_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def netsuite():
    owner = Person.objects.create(email="ana@example.com", name="Ana")
    Person.objects.create(email="raj@example.com", name="Raj")
    return System.objects.create(key="netsuite", name="NetSuite", category="erp", version="2026.2", owner=owner)


def login(client, email: str, role: str) -> None:
    user = get_user_model().objects.create_user(email, email, "pw-0123456789")
    assign_role(user, role)
    client.force_login(user)


def form(**overrides):
    return {
        "name": "NetSuite",
        "category": "erp",
        "vendor": "Oracle",
        "version": "2026.2",
        "owner": "ana@example.com",
    } | overrides


def test_owner_edits_and_a_major_version_change_is_dated(client, netsuite):
    login(client, "ana@example.com", "owner")
    assert "Edit" in client.get("/systems/netsuite/").content.decode()
    response = client.post("/systems/netsuite/edit/", form(version="2027.1"))
    assert response.status_code == 302
    netsuite.refresh_from_db()
    assert netsuite.version == "2027.1" and netsuite.major_version_changed_at is not None
    assert list(netsuite.versions.values_list("previous_version", "version", "major_change")) == [
        ("2026.2", "2027.1", True)
    ]
    record = ChangeRecord.objects.get(kind="System", key="netsuite")
    assert (record.via, record.before["version"], record.after["version"]) == ("page", "2026.2", "2027.1")


def test_invalid_value_is_shown_at_its_field_and_nothing_changes(client, netsuite):
    login(client, "admin@example.com", "admin")
    response = client.post("/systems/netsuite/edit/", form(version="x" * 60))
    assert response.status_code == 200
    assert "at most 50 characters" in response.content.decode()
    netsuite.refresh_from_db()
    assert netsuite.version == "2026.2" and ChangeRecord.objects.count() == 0


def test_another_owner_may_not_edit(client, netsuite):
    login(client, "raj@example.com", "owner")
    assert "/systems/netsuite/edit/" not in client.get("/systems/netsuite/").content.decode()
    assert client.post("/systems/netsuite/edit/", form(name="Hijacked")).status_code == 403
    netsuite.refresh_from_db()
    assert netsuite.name == "NetSuite"


def test_viewer_may_not_edit(client, netsuite):
    login(client, "viewer@example.com", "viewer")
    assert client.get("/systems/netsuite/edit/").status_code == 403
