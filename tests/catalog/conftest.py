"""Fixtures for catalog tests: the example estate stored, and what an import must leave unchanged."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from catalog.models import ChangeRecord
from catalog.spec.exporter import iter_documents
from tests.conftest import EXAMPLE_ESTATE


def snapshot() -> tuple[list, int]:
    """Every stored document and the count of change records: what a refused import leaves as it was."""
    return list(iter_documents()), ChangeRecord.objects.count()


@pytest.fixture
def stored_estate() -> tuple[list, int]:
    call_command("import_specs", str(EXAMPLE_ESTATE), verbosity=0)
    return snapshot()
