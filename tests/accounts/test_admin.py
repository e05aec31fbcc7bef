"""Users, roles and tokens in the Django admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from plumbline.accounts.models import Token
from plumbline.accounts.roles import assign_role, role_of
from plumbline.accounts.tokens import digest_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_user("admin@example.com", "admin@example.com", password=None)
    assign_role(admin, "admin")
    client.force_login(admin)
    return client


def test_adding_a_token_in_the_admin_shows_it_once_and_stores_its_digest(admin_client):
    response = admin_client.post(
        "/admin/accounts/token/add/",
        {"user": get_user_model().objects.get().pk, "name": "ci", "read_only": "on"},
        follow=True,
    )
    assert response.status_code == 200
    token = Token.objects.get()
    message = next(str(m) for m in response.context["messages"] if "not shown again" in str(m))
    raw = message.rsplit(" ", 1)[1]
    assert token.digest == digest_of(raw)
    assert (token.name, token.read_only) == ("ci", True)


def test_changing_a_role_in_the_admin_changes_staff_access(admin_client):
    viewer = get_user_model().objects.create_user("viewer@example.com", "viewer@example.com", password=None)
    assign_role(viewer, "viewer")
    data = {
        "username": viewer.username,
        "email": viewer.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-0-id": viewer.profile.pk,
        "profile-0-user": viewer.pk,
        "profile-0-role": "admin",
    }
    response = admin_client.post(f"/admin/auth/user/{viewer.pk}/change/", data)
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert (role_of(viewer), viewer.is_staff, viewer.is_superuser) == ("admin", True, True)
