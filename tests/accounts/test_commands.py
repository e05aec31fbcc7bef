"""create_user and create_token, and the Django admin following the roles they give."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from plumbline.accounts.models import Token
from plumbline.accounts.roles import role_of
from plumbline.accounts.tokens import digest_of

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_user_prints_a_generated_password_that_logs_in(client):
    output = run("create_user", "Ana.Lopez@example.com", "--role", "owner")
    password = output.split("Password: ")[1].strip()
    user = get_user_model().objects.get()
    assert (user.username, user.email, role_of(user)) == ("ana.lopez@example.com", "ana.lopez@example.com", "owner")
    assert client.login(username="ana.lopez@example.com", password=password)


def test_create_user_with_a_password_prints_none():
    output = run("create_user", "ana@example.com", "--role", "viewer", "--password", "correct-horse-battery")
    assert "Password" not in output
    assert get_user_model().objects.get().check_password("correct-horse-battery")


def test_create_user_refuses_a_weak_password():
    with pytest.raises(CommandError, match="too short"):
        run("create_user", "ana@example.com", "--role", "viewer", "--password", "abc")
    assert not get_user_model().objects.exists()


def test_create_user_refuses_an_unknown_role():
    with pytest.raises(CommandError):
        run("create_user", "ana@example.com", "--role", "superhero")


def test_rerunning_create_user_changes_the_role_and_keeps_the_password():
    run("create_user", "ana@example.com", "--role", "admin", "--password", "correct-horse-battery")
    user = get_user_model().objects.get()
    assert (user.is_staff, user.is_superuser) == (True, True)
    output = run("create_user", "ana@example.com", "--role", "viewer")
    assert "Updated ana@example.com with role viewer" in output
    assert "Password" not in output
    user = get_user_model().objects.get()
    assert (role_of(user), user.is_staff, user.is_superuser) == ("viewer", False, False)
    assert user.check_password("correct-horse-battery")


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("owner", 403), ("admin", 200)])
def test_only_admins_reach_the_django_admin(client, role, status):
    run("create_user", f"{role}@example.com", "--role", role, "--password", "correct-horse-battery")
    client.login(username=f"{role}@example.com", password="correct-horse-battery")
    response = client.get("/admin/catalog/integration/")
    assert response.status_code == status
    if status == 403:  # our page saying the admin is for admins, never Django admin's login
        assert "The Django admin is for admins" in response.content.decode()


def test_create_token_prints_a_token_stored_only_as_its_digest():
    run("create_user", "ana@example.com", "--role", "owner", "--password", "correct-horse-battery")
    raw = run("create_token", "ana@example.com", "--read-only", "--expires-days", "30").strip()
    token = Token.objects.get()
    assert token.digest == digest_of(raw)
    assert token.read_only
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    assert raw.startswith(token.prefix)


def test_create_token_for_an_unknown_user_fails():
    with pytest.raises(CommandError, match="no user"):
        run("create_token", "ghost@example.com")
