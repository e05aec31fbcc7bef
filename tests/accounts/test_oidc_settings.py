"""Single sign-on's settings: the group-to-role mapping (pure), and configuration read at start-up,
where a mistake stops Plumbline with the variable's name instead of surfacing at the first sign-in."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from plumbline.accounts.oidc.config import groups_in, role_for_groups, role_map
from tests.celery_worker import ROOT, worker_env

MAPPING = {"plumbline-admins": "admin", "erp-owners": "owner", "finance": "viewer"}


def test_a_mapping_reads_group_equals_role_pairs():
    raw = "plumbline-admins=admin, erp-owners = Owner ,finance=viewer,"
    assert role_map(raw) == MAPPING


def test_a_group_name_may_itself_hold_an_equals_sign_or_a_slash():
    assert role_map("cn=erp-owners=owner,/acme/finance=viewer") == {"cn=erp-owners": "owner", "/acme/finance": "viewer"}


def test_an_unknown_role_names_the_variable():
    with pytest.raises(
        ValueError, match=r"^PLUMBLINE_OIDC_ROLES: unknown role 'boss' \(known: viewer, owner, admin\)$"
    ):
        role_map("finance=boss")


def test_a_pair_without_a_role_names_the_variable():
    with pytest.raises(ValueError, match="PLUMBLINE_OIDC_ROLES: 'finance' is not group=role"):
        role_map("finance")


def test_the_highest_mapped_role_wins():
    assert role_for_groups(["finance", "erp-owners"], MAPPING, None) == "owner"
    assert role_for_groups(["plumbline-admins", "finance"], MAPPING, None) == "admin"


def test_no_mapped_group_gets_the_default_or_nothing():
    assert role_for_groups(["marketing"], MAPPING, None) is None
    assert role_for_groups([], MAPPING, "viewer") == "viewer"


def test_groups_come_as_a_list_or_a_single_name():
    assert groups_in({"groups": ["a", "b"]}, "groups") == ["a", "b"]
    assert groups_in({"roles": "a"}, "roles") == ["a"]
    assert groups_in({"groups": {"a": 1}}, "groups") == []
    assert groups_in({}, "groups") == []


def start(**env: str) -> subprocess.CompletedProcess[str]:
    """manage.py printing the settings single sign-on reads, with `env` set, as start-up would."""
    code = (
        "from django.conf import settings as s; import json; print(json.dumps([s.PLUMBLINE_OIDC_ROLES, "
        "s.PLUMBLINE_OIDC_DEFAULT_ROLE, s.AUTHENTICATION_BACKENDS, s.CONTENT_SECURITY_POLICY]))"
    )
    environment = worker_env(**env)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = [sys.executable, "manage.py", "shell", "-c", code]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


SSO = {"OIDC_ISSUER": "https://id.example.com/realms/acme/", "OIDC_CLIENT_ID": "plumbline"}


@pytest.mark.django_db
def test_sso_settings_are_read_from_the_environment():
    result = start(**SSO, PLUMBLINE_OIDC_ROLES="erp-owners=owner", PLUMBLINE_OIDC_DEFAULT_ROLE="viewer")
    assert result.returncode == 0, result.stderr
    roles, default, backends, policy = json.loads(result.stdout.strip().splitlines()[-1])
    assert (roles, default) == ({"erp-owners": "owner"}, "viewer")
    assert backends == ["django.contrib.auth.backends.ModelBackend", "plumbline.accounts.oidc.backend.OIDCBackend"]
    # Logging out is a form post ending at the provider: its origin may receive it.
    assert "form-action 'self' https://id.example.com;" in policy


@pytest.mark.django_db
def test_with_local_passwords_off_no_password_backend_is_left():
    result = start(**SSO, PLUMBLINE_LOCAL_PASSWORDS="false")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])[2] == ["plumbline.accounts.oidc.backend.OIDCBackend"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({**SSO, "PLUMBLINE_OIDC_ROLES": "finance=boss"}, "PLUMBLINE_OIDC_ROLES: unknown role 'boss'"),
        ({**SSO, "PLUMBLINE_OIDC_DEFAULT_ROLE": "guest"}, "PLUMBLINE_OIDC_DEFAULT_ROLE: unknown role 'guest'"),
        ({"OIDC_ISSUER": "https://id.example.com"}, "OIDC_CLIENT_ID must be set when OIDC_ISSUER is"),
        ({"PLUMBLINE_LOCAL_PASSWORDS": "false"}, "PLUMBLINE_LOCAL_PASSWORDS=false needs OIDC_ISSUER"),
    ],
)
def test_bad_sso_configuration_stops_start_up_naming_the_variable(env, message):
    result = start(**env)
    assert result.returncode != 0
    assert message in result.stderr
