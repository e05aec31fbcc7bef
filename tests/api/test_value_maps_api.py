"""/api/v1/value-maps/: rows in the detail only (the list gives row_count), strict filters (owner,
stale), csv refused (it is for spec files), writes checked like an import, the history action, and
a list whose queries do not grow with the number of value maps."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import ChangeRecord, Person, ValueMap
from tests.api.conftest import estate_state

pytestmark = pytest.mark.django_db

COA = "coa-chargebee-to-netsuite"


def test_the_detail_has_the_rows_as_text(estate, api):
    body = api("viewer").get(f"/api/v1/value-maps/{COA}/").json()
    assert body["rows"] == [{"source": "4000", "target": "40100"}, {"source": "4010", "target": "40110"}]
    assert body["owner"] == "ana.lopez@example.com"
    assert body["row_count"] == 2
    assert body["kind"] == "ValueMap"


def test_the_list_leaves_rows_out_and_gives_their_count(estate, api):
    results = api("viewer").get("/api/v1/value-maps/").json()["results"]
    assert [(r["key"], r["row_count"], "rows" in r) for r in results] == [(COA, 2, False), ("tax-codes", 1, False)]


def test_the_stale_filter_follows_the_review_policy(estate, api, settings):
    settings.PLUMBLINE_REVIEW_DAYS = 100_000  # 2026-10-01 is fresh; tax-codes was never reviewed
    client = api("viewer")
    assert [r["key"] for r in client.get("/api/v1/value-maps/?stale=true").json()["results"]] == ["tax-codes"]
    assert [r["key"] for r in client.get("/api/v1/value-maps/?stale=false").json()["results"]] == [COA]


def test_the_owner_filter_and_unknown_filters(estate, api):
    client = api("viewer")
    owned = client.get("/api/v1/value-maps/?owner=raj.patel@example.com").json()["results"]
    assert [r["key"] for r in owned] == ["tax-codes"]
    assert client.get("/api/v1/value-maps/?colour=red").status_code == 400
    assert client.get("/api/v1/value-maps/?stale=maybe").status_code == 400


def test_a_put_back_of_a_get_changes_nothing(estate, api):
    document = api("admin").get(f"/api/v1/value-maps/{COA}/").json()
    before = estate_state()
    assert api("admin").put(f"/api/v1/value-maps/{COA}/", document, format="json").status_code == 200
    assert estate_state() == before


def test_csv_is_refused_saying_to_give_rows(estate, api):
    before = estate_state()
    response = api("admin").post("/api/v1/value-maps/", {"key": "vat", "csv": "vat.csv"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "csv": ["is only for spec files imported from a folder (import_specs); give the rows as rows"]
    }
    assert estate_state() == before


def test_a_duplicate_source_is_a_400_naming_the_row(estate, api):
    rows = [{"source": "1", "target": "a"}, {"source": 1, "target": "b"}]
    response = api("admin").post("/api/v1/value-maps/", {"key": "dup", "rows": rows}, format="json")
    assert response.status_code == 400
    assert response.json() == {"rows[1].source": ["source '1' is given twice: rows[0] and rows[1]"]}
    assert not ValueMap.objects.filter(key="dup").exists()


def test_a_mapping_naming_an_unknown_value_map_is_a_400(estate, api):
    url = "/api/v1/integrations/chargebee-invoices-to-netsuite/"
    mappings = [{"source": "a", "target": "b", "transform": "lookup", "value_map": "nope"}]
    response = api("admin").patch(url, {"mappings": mappings}, format="json")
    assert response.status_code == 400
    assert response.json() == {"mappings[0].value_map": ["unknown valuemap 'nope'"]}


def test_a_lookup_without_a_value_map_leaves_the_mappings_part_missing(estate, api):
    url = "/api/v1/integrations/chargebee-invoices-to-netsuite/"
    lookup = {"source": "acct", "target": "gl", "transform": "lookup"}
    body = api("admin").patch(url, {"mappings": [{"source": "a", "target": "b"}, lookup]}, format="json").json()
    assert "mappings" in body["completeness"]["missing"]
    body = (
        api("admin")
        .patch(url, {"mappings": [{"source": "a", "target": "b"}, {**lookup, "value_map": COA}]}, format="json")
        .json()
    )
    assert "mappings" not in body["completeness"]["missing"]
    assert body["mappings"][1]["value_map"] == COA


def test_the_history_lists_the_review(estate, api):
    api("owner").post(f"/api/v1/value-maps/{COA}/reviewed/")
    history = api("viewer").get(f"/api/v1/value-maps/{COA}/history/").json()["results"]
    assert history[0]["note"] == "rows confirmed still accurate"
    assert [c["field"] for c in history[0]["changes"]] == ["reviewed_at"]
    assert ChangeRecord.objects.filter(kind="ValueMap", key=COA, via="api").count() == 1


def list_queries(api, count: int) -> int:
    owner = Person.objects.get(email="ana.lopez@example.com")
    ValueMap.objects.bulk_create(
        ValueMap(key=f"m{count}-{n}", owner=owner, rows=[{"source": "a", "target": "b"}], row_count=1)
        for n in range(count)
    )
    client = api("viewer")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/value-maps/?page_size=100")
    assert response.status_code == 200
    return len(captured)


def test_the_list_makes_the_same_queries_for_5_and_80_value_maps(estate, api):
    small = list_queries(api, 5)
    ValueMap.objects.all().delete()
    assert list_queries(api, 80) == small
