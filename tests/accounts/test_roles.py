"""Roles decide the same thing for pages, the API and the admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from catalog.models import Integration, Person, System
from catalog.ownership import can_edit, owns_document, person_of
from plumbline.accounts.roles import admin_required, assign_role, can_view, is_admin, role_of, role_required

pytestmark = pytest.mark.django_db


def user(email: str, role: str | None = None):
    created = get_user_model().objects.create_user(email, email, password=None)
    if role:
        assign_role(created, role)
    return created


@pytest.fixture
def objects():
    ana = Person.objects.create(email="ana@example.com")
    raj = Person.objects.create(email="raj@example.com")
    return {
        "owned": Integration.objects.create(key="owned", owner=ana, backup_owner=raj),
        "backed_up": Integration.objects.create(key="backed-up", owner=raj, backup_owner=ana),
        "other": Integration.objects.create(key="other", owner=raj),
        "unowned": Integration.objects.create(key="unowned"),
        "own_system": System.objects.create(key="own", owner=ana),
        "other_system": System.objects.create(key="theirs", owner=raj),
        "person": ana,
    }


def test_anonymous_and_users_without_a_profile_have_no_role():
    assert role_of(AnonymousUser()) is None
    assert role_of(user("norole@example.com")) is None
    assert not can_view(user("norole2@example.com"))


def test_superusers_are_admins_without_a_profile():
    root = get_user_model().objects.create_superuser("root@example.com", "root@example.com", None)
    assert role_of(root) == "admin"
    assert is_admin(root)


def test_an_inactive_user_has_no_role():
    viewer = user("gone@example.com", "viewer")
    viewer.is_active = False
    assert role_of(viewer) is None


def test_assign_role_makes_only_admins_staff():
    someone = user("someone@example.com", "admin")
    assert (someone.is_staff, someone.is_superuser, role_of(someone)) == (True, True, "admin")
    assign_role(someone, "owner")
    someone.refresh_from_db()
    assert (someone.is_staff, someone.is_superuser, role_of(someone)) == (False, False, "owner")


def test_viewer_edits_nothing(objects):
    viewer = user("ana@example.com", "viewer")
    assert not any(can_edit(viewer, obj) for obj in objects.values())
    assert not can_edit(viewer)


def test_owner_edits_integrations_they_own_or_back_up_and_their_systems(objects):
    owner = user("ana@example.com", "owner")
    editable = {name for name, obj in objects.items() if can_edit(owner, obj)}
    assert editable == {"owned", "backed_up", "own_system"}
    assert can_edit(owner)


def test_owner_email_match_ignores_case(objects):
    owner = user("Ana@Example.com", "owner")
    assert can_edit(owner, objects["owned"])


def test_admin_edits_everything(objects):
    admin = user("admin@example.com", "admin")
    assert all(can_edit(admin, obj) for obj in objects.values())


def test_owns_document_checks_the_owner_references_of_a_new_document():
    owner = user("ana@example.com", "owner")
    assert owns_document(owner, "Integration", {"backup_owner": "ana@example.com"})
    assert owns_document(owner, "System", {"owner": "ana@example.com"})
    assert not owns_document(owner, "Integration", {"owner": "raj@example.com"})
    assert not owns_document(owner, "Person", {})
    assert owns_document(user("admin@example.com", "admin"), "Person", {})


def test_person_of_finds_the_person_by_email(objects):
    assert person_of(user("ana@example.com", "owner")) == objects["person"]
    assert person_of(user("stranger@example.com", "owner")) is None
    assert person_of(AnonymousUser()) is None


def ok(request):
    return HttpResponse("ok")


def call(view, who):
    request = RequestFactory().get("/somewhere/?x=1")
    request.user = who
    return view(request)


def test_role_required_sends_anonymous_users_to_login():
    response = call(role_required(ok), AnonymousUser())
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/somewhere/%3Fx%3D1"


def test_role_required_refuses_a_user_without_a_role():
    with pytest.raises(PermissionDenied):
        call(role_required(ok), user("norole@example.com"))


def test_role_required_admits_any_role():
    for role in ("viewer", "owner", "admin"):
        assert call(role_required(ok), user(f"{role}@example.com", role)).status_code == 200


def test_admin_required_refuses_owners_and_admits_admins():
    with pytest.raises(PermissionDenied):
        call(admin_required(ok), user("owner@example.com", "owner"))
    assert call(admin_required(ok), user("admin@example.com", "admin")).status_code == 200
