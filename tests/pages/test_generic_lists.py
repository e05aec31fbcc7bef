"""Generic list pages: each column is declared once and serves the page and the CSV; systems
and people export CSV like integrations, quoted against formulas and strict about filters."""

from __future__ import annotations

import csv
import dataclasses
import inspect
import io
import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from catalog.filters import PersonFilterSet, SystemFilterSet
from catalog.models import Person, System
from catalog.views import integrations, people, systems
from catalog.views.generic import Column

pytestmark = pytest.mark.django_db

SYSTEMS_HEADER = ["key", "name", "category", "vendor", "version", "owner", "integrations_out", "integrations_in"]
PEOPLE_HEADER = ["email", "name", "team", "manager", "owns", "backs_up", "active"]


@pytest.fixture
def viewer(estate, client_for):
    return client_for("viewer")


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def _table(response) -> list[list[str]]:
    """The list table as text: the header row, then one row per object (markup stripped)."""
    table = re.search(r'<table class="list">(.*?)</table>', response.content.decode(), re.S)
    assert table is not None
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells])
    return rows


def test_a_column_added_in_one_line_appears_on_the_page_and_in_the_csv(estate, users):
    view = dataclasses.replace(
        inspect.unwrap(systems.system_list),
        columns=(*systems.COLUMNS, Column("owner_team", "owner.team", label="Team")),
    )
    request = RequestFactory().get("/systems/", {"format": "csv"})
    request.user = users["viewer"]
    header, *rows = _csv(view(request))
    assert header == [*SYSTEMS_HEADER, "owner_team"]
    assert [(row[0], row[-1]) for row in rows] == [
        ("chargebee", "Accounts Receivable"),
        ("netsuite", "Finance Systems"),
        ("shopify", ""),
    ]

    request = RequestFactory().get("/systems/")
    request.user = users["viewer"]
    header, *rows = _table(view(request))
    assert header[-1] == "Team"
    assert [(row[0], row[-1]) for row in rows] == [
        ("Chargebee chargebee", "Accounts Receivable"),
        ("NetSuite netsuite", "Finance Systems"),
        ("Shopify shopify", "—"),
    ]


def test_integrations_csv_keeps_its_header_names_and_order(viewer):
    response = viewer.get("/integrations/?format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="integrations.csv"'
    assert _csv(response)[0] == [
        "key", "name", "source", "target", "direction", "lifecycle", "phase", "connector_type", "platform",
        "trigger", "interval_minutes", "owner", "backup_owner", "reviewed_at", "completeness", "missing",
        "health", "open_findings",
    ]  # fmt: skip


def test_the_page_shows_the_labelled_columns_in_declared_order(viewer):
    header, *rows = _table(viewer.get("/integrations/?ordering=key"))
    assert header == [
        "Integration", "Source", "Target", "Lifecycle", "Connector", "Owner", "Health", "Observed interval",
        "Reviewed", "Spec completeness",
    ]  # fmt: skip
    assert rows[0][:6] == [
        "Chargebee invoices to NetSuite chargebee-invoices-to-netsuite",
        "Chargebee",
        "NetSuite",
        "Live",
        "iPaaS",
        "Ana Lopez",
    ]
    assert rows[0][6:9] == ["no data", "not observed (declared 15 min)", "2026-09-01"]
    assert rows[1][3] == "Building phase two"


def test_systems_page_shows_its_labelled_columns_with_their_links(viewer):
    response = viewer.get("/systems/")
    body = response.content.decode()
    assert '<th scope="row"><a href="/systems/netsuite/">NetSuite</a><div class="key">netsuite</div></th>' in body
    assert '<td><a href="/people/ana.lopez@example.com/">Ana Lopez</a></td>' in body
    assert '<td><a href="/integrations/?source=chargebee">1</a></td>' in body
    header, *rows = _table(response)
    assert header == ["System", "Category", "Vendor", "Version", "Owner", "Integrations out", "Integrations in"]
    assert rows[1] == ["NetSuite netsuite", "ERP", "—", "2026.2", "Ana Lopez", "0", "2"]


def test_people_page_shows_its_labelled_columns(viewer):
    header, *rows = _table(viewer.get("/people/"))
    assert header == ["Person", "Team", "Manager", "Owns", "Backs up", "Status"]
    assert rows[1] == ["Sam Ortiz sam.ortiz@example.com", "Accounts Receivable", "Ana Lopez", "1", "1", "active"]


def test_systems_csv_has_the_declared_header_and_one_row_per_system(viewer):
    response = viewer.get("/systems/?format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="systems.csv"'
    assert _csv(response) == [
        SYSTEMS_HEADER,
        ["chargebee", "Chargebee", "billing", "", "", "sam.ortiz@example.com", "1", "0"],
        ["netsuite", "NetSuite", "erp", "", "2026.2", "ana.lopez@example.com", "0", "2"],
        ["shopify", "Shopify", "ecommerce", "", "", "", "1", "0"],
    ]


def test_people_csv_has_the_declared_header_and_one_row_per_person(viewer):
    Person.objects.filter(email="sam.ortiz@example.com").update(active=False)
    response = viewer.get("/people/?format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="people.csv"'
    assert _csv(response) == [
        PEOPLE_HEADER,
        ["ana.lopez@example.com", "Ana Lopez", "Finance Systems", "", "1", "0", "true"],
        ["sam.ortiz@example.com", "Sam Ortiz", "Accounts Receivable", "ana.lopez@example.com", "1", "1", "false"],
    ]


def test_a_template_column_shows_markup_on_the_page_and_its_value_in_the_csv(viewer):
    Person.objects.filter(email="sam.ortiz@example.com").update(active=False)
    response = viewer.get("/people/")
    assert '<td><span class="badge critical">left</span>' in response.content.decode()
    assert [row[-1] for row in _table(response)[1:]] == ["active", "left"]
    assert [row[-1] for row in _csv(viewer.get("/people/?format=csv"))[1:]] == ["true", "false"]


def test_the_csv_has_only_the_filtered_rows(viewer):
    rows = _csv(viewer.get("/people/?team=finance systems&format=csv"))
    assert [row[0] for row in rows] == ["email", "ana.lopez@example.com"]
    rows = _csv(viewer.get("/systems/?category=billing&format=csv"))
    assert [row[0] for row in rows] == ["key", "chargebee"]


def test_systems_csv_quotes_a_cell_that_would_run_as_a_formula(viewer):
    System.objects.filter(key="shopify").update(vendor='=HYPERLINK("http://x")')
    rows = _csv(viewer.get("/systems/?format=csv"))
    assert rows[3][:4] == ["shopify", "Shopify", "ecommerce", '\'=HYPERLINK("http://x")']


def test_people_csv_quotes_a_cell_that_would_run_as_a_formula(viewer):
    Person.objects.filter(email="ana.lopez@example.com").update(team="=1+1")
    rows = _csv(viewer.get("/people/?format=csv"))
    assert rows[1][:3] == ["ana.lopez@example.com", "Ana Lopez", "'=1+1"]


@pytest.mark.parametrize("url", ["/integrations/", "/systems/", "/people/"])
def test_an_unknown_filter_on_the_csv_is_a_400_naming_it(viewer, url):
    response = viewer.get(f"{url}?colour=blue&format=csv")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<code>colour</code>: unknown filter (known: " in response.content.decode()


@pytest.mark.parametrize("url", ["/systems/", "/people/"])
def test_a_format_other_than_html_or_csv_is_a_400(viewer, url):
    response = viewer.get(f"{url}?format=xlsx")
    assert response.status_code == 400
    assert "<code>format</code>: must be one of html, csv" in response.content.decode()


def test_the_export_link_keeps_the_filters_and_leaves_the_page(viewer):
    body = viewer.get("/systems/?category=billing&page=1").content.decode()
    assert '<a class="button secondary" href="?category=billing&amp;format=csv" download>Export CSV</a>' in body


def test_each_page_counts_with_its_own_noun(viewer):
    assert "3 systems." in viewer.get("/systems/").content.decode()
    assert "2 people." in viewer.get("/people/").content.decode()
    assert "1 person match these filters." in viewer.get("/people/?team=finance systems").content.decode()
    assert "1 system match these filters." in viewer.get("/systems/?category=billing").content.decode()


@pytest.mark.parametrize(
    ("columns", "filterset"),
    [
        (integrations.COLUMNS, integrations.IntegrationListFilterSet),
        (systems.COLUMNS, SystemFilterSet),
        (people.COLUMNS, PersonFilterSet),
    ],
)
def test_every_sortable_column_sorts_by_an_ordering_its_filterset_knows(columns, filterset):
    known = set(filterset.base_filters["ordering"].param_map)
    sorts = {column.sort for column in columns if column.sort}
    assert sorts
    assert sorts <= known


@pytest.mark.parametrize("url", ["/systems/?format=csv", "/people/?format=csv"])
def test_csv_queries_do_not_grow_with_rows(estate, client_for, url):
    client = client_for("viewer")
    with CaptureQueriesContext(connection) as few:
        _csv(client.get(url))
    for n in range(30):
        owner = Person.objects.create(email=f"bulk{n}@example.com", manager_id=None)
        System.objects.create(key=f"bulk-{n}", owner=owner)
    with CaptureQueriesContext(connection) as many:
        _csv(client.get(url))
    assert len(few.captured_queries) == len(many.captured_queries)
