"""/integrations/: strict filters (400 naming a bad parameter), sorting, pagination that
keeps filters, completeness per row, CSV of exactly the filtered rows, constant queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.completeness import refresh_completeness
from tests.pages.estate import bulk_integrations

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(estate, client_for):
    return client_for("viewer")


def _csv(response) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_each_row_shows_its_completeness_and_missing_parts_in_words(viewer):
    body = viewer.get("/integrations/").content.decode()
    assert "2 integrations." in body
    assert "Missing: field mappings, frequency, error handling, maintenance" in body
    assert '<span class="complete">Complete</span>' in body


def test_a_filter_narrows_the_list(viewer):
    body = viewer.get("/integrations/?phase=phase-two").content.decode()
    assert "1 integration match these filters." in body
    assert "Shopify orders to NetSuite" in body
    assert "Chargebee invoices to NetSuite" not in body


def test_an_unknown_filter_is_a_400_page_naming_it(viewer):
    response = viewer.get("/integrations/?colour=blue")
    body = response.content.decode()
    assert response.status_code == 400
    assert "<code>colour</code>: unknown filter (known: " in body
    assert "Chargebee invoices" not in body


def test_a_bad_filter_value_is_a_400_page_naming_the_parameter(viewer):
    response = viewer.get("/integrations/?lifecycle=alive&owner=nobody@example.com")
    body = response.content.decode()
    assert response.status_code == 400
    assert "<code>lifecycle</code>: Select a valid choice." in body
    assert "<code>owner</code>: " in body


def test_a_bad_page_size_or_format_is_a_400(viewer):
    assert viewer.get("/integrations/?page_size=0").status_code == 400
    response = viewer.get("/integrations/?format=xml")
    assert response.status_code == 400
    assert "<code>format</code>: must be one of html, csv" in response.content.decode()


def test_empty_parameters_of_the_filter_panel_are_dropped_by_redirect(viewer):
    response = viewer.get("/integrations/?q=&phase=phase-two&complete=unknown&owner=")
    assert response.status_code == 302
    assert response["Location"] == "/integrations/?phase=phase-two"


def test_column_headers_sort_and_flip_direction(viewer):
    body = viewer.get("/integrations/?ordering=-completeness").content.decode()
    assert body.index("Chargebee invoices to NetSuite") < body.index("Shopify orders to NetSuite")
    assert 'aria-sort="descending"><a class="sort" href="?ordering=completeness">' in body
    body = viewer.get("/integrations/?ordering=completeness").content.decode()
    assert body.index("Shopify orders to NetSuite") < body.index("Chargebee invoices to NetSuite")


def test_pagination_keeps_the_filters(viewer):
    bulk_integrations(60)
    body = viewer.get("/integrations/?source=bulk-source&ordering=-name").content.decode()
    assert "60 integrations match these filters." in body
    assert "Page 1 of 2" in body
    assert 'href="?source=bulk-source&amp;ordering=-name&amp;page=2"' in body
    second = viewer.get("/integrations/?source=bulk-source&ordering=-name&page=2").content.decode()
    assert "Page 2 of 2" in second
    assert second.count('<th scope="row">') == 10


def test_csv_has_exactly_the_filtered_rows_of_all_pages(viewer):
    bulk_integrations(120)
    rows = _csv(viewer.get("/integrations/?source=bulk-source&format=csv&page=2"))
    assert len(rows) == 120
    assert {row["source"] for row in rows} == {"bulk-source"}
    assert rows[0]["key"] == "bulk-00000"


def test_csv_carries_completeness_and_missing_parts(viewer):
    rows = _csv(viewer.get("/integrations/?missing=mappings&format=csv"))
    assert [(r["key"], r["completeness"], r["missing"]) for r in rows] == [
        ("shopify-orders-to-netsuite", "0.33", "mappings frequency error_handling maintenance")
    ]


def test_csv_neutralises_spreadsheet_formulas(viewer):
    from catalog.models import Integration

    Integration.objects.filter(key="shopify-orders-to-netsuite").update(name='=HYPERLINK("http://x")')
    rows = _csv(viewer.get("/integrations/?phase=phase-two&format=csv"))
    assert rows[0]["name"] == '\'=HYPERLINK("http://x")'


def test_an_empty_estate_explains_how_to_import(db, client_for):
    body = client_for("viewer").get("/integrations/").content.decode()
    assert "No integrations yet — import your specs with <code>manage.py import_specs PATH</code>" in body


def test_no_match_offers_to_clear_the_filters(viewer):
    body = viewer.get("/integrations/?q=zzzz").content.decode()
    assert "No integration matches these filters." in body


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "url",
    ["/integrations/", "/integrations/?source=bulk-source&ordering=owner", "/systems/", "/people/"],
)
def test_list_queries_do_not_grow_with_rows(estate, client_for, url):
    client = client_for("viewer")
    bulk_integrations(5, prefix="small")
    refresh_completeness()
    few = _queries(client, url.replace("bulk-source", "small-source"))
    bulk_integrations(45, prefix="bulk")
    many = _queries(client, url)
    assert few == many
    assert many <= 12


def test_csv_queries_do_not_grow_with_rows(estate, client_for):
    client = client_for("viewer")
    bulk_integrations(5, prefix="small")
    with CaptureQueriesContext(connection) as few:
        _csv(client.get("/integrations/?format=csv"))
    bulk_integrations(45, prefix="bulk")
    with CaptureQueriesContext(connection) as many:
        _csv(client.get("/integrations/?format=csv"))
    assert len(few.captured_queries) == len(many.captured_queries)
