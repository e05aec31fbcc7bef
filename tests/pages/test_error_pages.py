"""404, 403 and 400 pages say what went wrong and where to go next."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import ChangeRecord, Integration, Mapping

pytestmark = pytest.mark.django_db


def test_an_unknown_address_is_a_404_that_points_to_the_lists(estate, client_for):
    response = client_for("viewer").get("/integrationz/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "There is nothing at <code>/integrationz/</code>." in body
    assert 'href="/systems/"' in body


def test_a_403_explains_the_roles(estate, client_for):
    response = client_for("viewer").get("/upload/")
    body = response.content.decode()
    assert response.status_code == 403
    assert "admins can edit everything and upload specs" in body
    assert "You are signed in as <strong>viewer@example.com</strong>" in body


def test_a_malformed_request_gets_the_400_page(db):
    response = Client(HTTP_HOST="evil.example.com").get("/integrations/")
    assert response.status_code == 400
    assert "The request was malformed." in response.content.decode()


def _detail_queries(client: Client, key: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(f"/integrations/{key}/").status_code == 200
    return len(context.captured_queries)


def test_detail_queries_do_not_grow_with_mappings_or_history(estate, client_for):
    client = client_for("viewer")
    key = "chargebee-invoices-to-netsuite"
    few = _detail_queries(client, key)
    integration = Integration.objects.get(key=key)
    Mapping.objects.bulk_create(
        Mapping(integration=integration, position=9 + n, source=f"s{n}", target="t") for n in range(40)
    )
    ChangeRecord.objects.bulk_create(
        ChangeRecord(
            at="2026-01-01T00:00Z", via="api", kind="Integration", key=key, action="update", after={"name": str(n)}
        )
        for n in range(30)
    )
    assert _detail_queries(client, key) == few
