"""The estate dashboard shows the figures an auditor looks at first."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.rules.store import refresh_findings
from plumbline.accounts.roles import assign_role
from tests.conftest import EXAMPLE_ESTATE

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(client):
    user = get_user_model().objects.create_user("viewer@example.com", "viewer@example.com", "pw-0123456789")
    assign_role(user, "viewer")
    client.force_login(user)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_dashboard_shows_counts_findings_and_phase_two_cost(viewer_client):
    call_command("import_specs", str(EXAMPLE_ESTATE), verbosity=0)
    refresh_findings()
    text = text_of(viewer_client.get("/"))
    assert "2 integrations (1 live)" in text
    assert "3 systems" in text
    assert "1 with a complete written spec" in text
    assert "1 phase-two item" in text
    # Chargebee's workaround: 8 hours a month since 2026-02-01.
    assert re.search(r"Chargebee invoices to NetSuite \d+ 60", text)
    assert "Planned 1" in text and "Live 1" in text
    assert "mappings 1" in text and "frequency 1" in text


def test_dashboard_query_count_does_not_grow_with_the_estate(viewer_client, write_spec):
    call_command("import_specs", str(EXAMPLE_ESTATE), verbosity=0)
    with CaptureQueriesContext(connection) as small:
        viewer_client.get("/")
    docs = "".join(
        f"---\napiVersion: plumbline/v1\nkind: Integration\nkey: extra-{n}\nsource: chargebee\ntarget: netsuite\n"
        f"phase: phase-two\ndeferred_since: 2026-01-01\nworkaround: {{hours_per_month: 2}}\n"
        for n in range(30)
    )
    call_command("import_specs", str(write_spec("more.yaml", docs)), verbosity=0)
    refresh_findings()
    with CaptureQueriesContext(connection) as large:
        response = viewer_client.get("/")
    assert "32 integrations" in text_of(response)
    assert len(large) == len(small)


def test_empty_estate_explains_how_to_start(viewer_client):
    assert "No integrations yet. Import your specs" in text_of(viewer_client.get("/"))


def test_dashboard_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
