"""Fixtures for catalog tests: the example estate stored, and what an import must leave unchanged."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from catalog.models import ChangeRecord
from catalog.spec.exporter import iter_documents
from plumbline.accounts.roles import assign_role
from tests.conftest import EXAMPLE_ESTATE


def snapshot() -> tuple[list, int]:
    """Every stored document and the count of change records: what a refused import leaves as it was."""
    return list(iter_documents()), ChangeRecord.objects.count()


@pytest.fixture
def stored_estate() -> tuple[list, int]:
    call_command("import_specs", str(EXAMPLE_ESTATE), verbosity=0)
    return snapshot()


@pytest.fixture
def viewer(db: None, client: Client) -> Client:
    """The test client, logged in as a user with the viewer role (a test file may define its own)."""
    user = get_user_model().objects.create_user("viewer@example.com", "viewer@example.com", "pw-0123456789")
    assign_role(user, "viewer")
    client.force_login(user)
    return client
