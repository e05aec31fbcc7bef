"""List queries do not grow with the number of rows (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.spec.importer import import_sources

pytestmark = pytest.mark.django_db


def build_estate(n: int) -> None:
    docs = ["apiVersion: plumbline/v1\nkind: Person\nkey: boss@example.com"]
    for i in range(n):
        docs += [
            f"apiVersion: plumbline/v1\nkind: PlatformAccount\nkey: a{i}\nplatform: celigo\nbase_url: https://a.example.com",
            f"apiVersion: plumbline/v1\nkind: Person\nkey: p{i}@example.com\nmanager: boss@example.com",
            f"apiVersion: plumbline/v1\nkind: System\nkey: s{i}\nowner: p{i}@example.com",
            f"""apiVersion: plumbline/v1
kind: Integration
key: i{i}
source: s{i}
target: s{(i + 1) % n}
owner: p{i}@example.com
backup_owner: boss@example.com
workaround: {{performed_by: p{i}@example.com}}
health: {{kind: celigo, account: a{i}, ref: r{i}}}
mappings: [{{source: a, target: b}}, {{source: c, target: d}}]""",
        ]
    docs.append(
        f"apiVersion: plumbline/v1\nkind: GoLive\nkey: g\napprover: boss@example.com\nintegrations: [i0, i{n - 1}]"
    )
    docs += [f"apiVersion: plumbline/v1\nkind: GoLive\nkey: g{i}\nintegrations: [i{i}]" for i in range(n)]
    import_sources([("estate.yaml", "\n---\n".join(docs))])


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("endpoint", ["integrations", "systems", "people", "platform-accounts", "golives"])
def test_list_query_count_does_not_grow_with_rows(api, endpoint):
    client = api("viewer")
    build_estate(5)
    small = count_queries(client, f"/api/v1/{endpoint}/?page_size=500")
    build_estate(50)
    large = count_queries(client, f"/api/v1/{endpoint}/?page_size=500")
    assert large == small
    assert len(client.get(f"/api/v1/{endpoint}/?page_size=500").json()["results"]) >= 50


def test_token_requests_cost_a_constant_number_of_queries_too(api):
    client = api("read_only_token")
    build_estate(5)
    client.get("/api/v1/integrations/")  # stamps last use; the next minute's requests do not write
    small = count_queries(client, "/api/v1/integrations/")
    build_estate(50)
    assert count_queries(client, "/api/v1/integrations/") == small
