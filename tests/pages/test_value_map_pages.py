"""Value map pages: the list (review state, rows, use), one value map (owner, review, the mappings
that use it, its rows page by page, history), marking it reviewed, CSV download and upload (owner or
admin, CSRF, nothing written on an error), the admin form, and the integration page's mapping table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import ChangeRecord, Integration, Mapping, ValueMap
from catalog.spec.importer import import_sources

pytestmark = pytest.mark.django_db

COA = "coa-chargebee-to-netsuite"
TAX = "tax-codes"


def value_map_docs(today: dt.date) -> str:
    fresh, old = (today - dt.timedelta(days=d) for d in (10, 400))
    return f"""
apiVersion: plumbline/v1
kind: ValueMap
key: {COA}
name: Chart of accounts
owner: ana.lopez@example.com
reviewed_at: {fresh.isoformat()}
rows: [{{source: 4000, target: "40100"}}, {{source: "4010", target: "40110"}}, {{source: "=1+1", target: "a, b"}}]
---
apiVersion: plumbline/v1
kind: ValueMap
key: {TAX}
owner: sam.ortiz@example.com
reviewed_at: {old.isoformat()}
rows: [{{source: CA, target: TX-CA}}]
"""


@pytest.fixture
def maps(estate: None) -> None:
    import_sources([("maps.yaml", value_map_docs(timezone.localdate()))])
    integration = Integration.objects.get(key="chargebee-invoices-to-netsuite")
    Mapping.objects.create(
        integration=integration, position=2, source="line.account", target="line.gl", transform="lookup", value_map=COA
    )
    Mapping.objects.create(
        integration=integration, position=3, source="line.tax", target="line.taxCode", transform="lookup", value_map=TAX
    )


def text_of(response: Any) -> str:
    return response.content.decode()


# The list


def test_the_list_shows_owner_review_state_rows_and_use(maps, client_for):
    page = text_of(client_for("viewer").get("/value-maps/"))
    assert "Chart of accounts" in page and f"/value-maps/{COA}/" in page
    assert "Ana Lopez" in page and "Sam Ortiz" in page
    tax_row = page[page.index(f"/value-maps/{TAX}/") :].split("</tr>")[0]
    assert "stale" in tax_row
    coa_row = page[page.index(f"/value-maps/{COA}/") :].split("</tr>")[0]
    assert "stale" not in coa_row
    assert ">3<" in coa_row and ">1<" in coa_row  # 3 rows, used by 1 integration


def test_the_list_filters_stale_ones_and_refuses_an_unknown_filter(maps, client_for):
    client = client_for("viewer")
    page = text_of(client.get("/value-maps/?stale=true"))
    assert f"/value-maps/{TAX}/" in page and f"/value-maps/{COA}/" not in page
    assert client.get("/value-maps/?colour=red").status_code == 400


def test_the_navigation_links_the_value_maps(maps, client_for):
    assert '<a href="/value-maps/"' in text_of(client_for("viewer").get("/"))


# One value map


def test_the_page_shows_owner_review_state_use_and_rows(maps, client_for):
    page = text_of(client_for("viewer").get(f"/value-maps/{TAX}/"))
    assert "Sam Ortiz" in page
    assert "stale" in page and "last reviewed 400 days ago" in page
    assert "Chargebee invoices to NetSuite" in page and "mappings[3]" in page and "line.taxCode" in page
    assert "<code>CA</code>" in page and "<code>TX-CA</code>" in page
    assert "mark reviewed today" not in page  # a viewer may not
    assert "Replace rows" not in page


def test_rows_are_shown_100_a_page(maps, client_for):
    ValueMap.objects.filter(key=COA).update(rows=[{"source": f"S{n:04d}", "target": f"T{n}"} for n in range(250)])
    client = client_for("viewer")
    first = text_of(client.get(f"/value-maps/{COA}/"))
    assert "S0099" in first and "S0100" not in first and "Page 1 of 3" in first
    third = text_of(client.get(f"/value-maps/{COA}/?page=3"))
    assert "S0249" in third and "S0199" not in third


def test_the_owner_sees_the_review_button_and_the_upload(maps, client_for):
    page = text_of(client_for("owner").get(f"/value-maps/{COA}/"))
    assert "mark reviewed today" in page and "Replace rows" in page
    assert "csrfmiddlewaretoken" in page


# Mark reviewed


@pytest.mark.parametrize(("who", "allowed"), [("owner", False), ("backup", True), ("admin", True), ("viewer", False)])
def test_marking_reviewed_is_for_its_owner_or_an_admin(maps, client_for, who, allowed):
    # sam.ortiz (the "backup" user) owns the tax codes.
    response = client_for(who).post(f"/value-maps/{TAX}/reviewed/")
    value_map = ValueMap.objects.get(key=TAX)
    if allowed:
        assert response.status_code == 302
        assert value_map.reviewed_at == timezone.localdate()
        record = ChangeRecord.objects.get(kind="ValueMap", key=TAX, via="page")
        assert record.note == "rows confirmed still accurate"
    else:
        assert response.status_code == 403
        assert value_map.reviewed_at != timezone.localdate()
        assert not ChangeRecord.objects.filter(via="page").exists()


def test_marking_reviewed_without_a_csrf_token_is_refused(maps, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    assert client.post(f"/value-maps/{TAX}/reviewed/").status_code == 403
    assert ValueMap.objects.get(key=TAX).reviewed_at != timezone.localdate()


def test_a_reviewed_value_map_clears_the_stale_spec_it_caused(maps, client_for):
    from catalog.rules import evaluate_estate

    stale = [
        f for f in evaluate_estate() if f.code == "STALE_SPEC" and f.subject_key == "chargebee-invoices-to-netsuite"
    ]
    assert len(stale) == 1 and f"Value map {TAX}" in stale[0].message
    client_for("admin").post(f"/value-maps/{TAX}/reviewed/")
    assert not [
        f for f in evaluate_estate() if f.code == "STALE_SPEC" and f.subject_key == "chargebee-invoices-to-netsuite"
    ]


# CSV download and upload


def test_the_csv_download_quotes_commas_and_would_be_formulas(maps, client_for):
    response = client_for("viewer").get(f"/value-maps/{COA}/rows.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{COA}.csv"'
    assert response.content.decode() == 'source,target\r\n4000,40100\r\n4010,40110\r\n\'=1+1,"a, b"\r\n'


def upload(client: Client, key: str, content: bytes, name: str = "rows.csv") -> Any:
    return client.post(f"/value-maps/{key}/rows/", {"rows_file": SimpleUploadedFile(name, content, "text/csv")})


def test_the_owner_replaces_the_rows_from_a_csv_and_the_history_says_so(maps, client_for):
    response = upload(client_for("owner"), COA, b"source,target\n5000,50100\n5010,50110\n")
    assert response.status_code == 302
    value_map = ValueMap.objects.get(key=COA)
    assert value_map.rows == [{"source": "5000", "target": "50100"}, {"source": "5010", "target": "50110"}]
    assert value_map.row_count == 2
    record = ChangeRecord.objects.get(kind="ValueMap", key=COA, via="page")
    assert record.note == "rows replaced from rows.csv"
    page = text_of(client_for("viewer").get(f"/value-maps/{COA}/"))
    assert "3 rows" in page and "2 rows (changed)" in page  # the history says it in one line


def test_a_downloaded_csv_uploads_back_unchanged(maps, client_for):
    downloaded = client_for("owner").get(f"/value-maps/{COA}/rows.csv").content
    before = ValueMap.objects.get(key=COA).rows
    response = upload(client_for("owner"), COA, downloaded)
    assert response.status_code == 302
    assert ValueMap.objects.get(key=COA).rows == before
    assert not ChangeRecord.objects.filter(via="page").exists()


def test_an_upload_with_errors_names_the_lines_and_writes_nothing(maps, client_for):
    before = ValueMap.objects.get(key=COA).rows
    response = upload(client_for("owner"), COA, b"source,target\n5000,50100\n5001\n5000,50200\n", "chart.csv")
    assert response.status_code == 400
    page = text_of(response)
    assert "chart.csv:3: must hold 2 cells, source and target (holds 1)" in page
    assert "chart.csv:4: source &#x27;5000&#x27; is given twice: lines 2 and 4" in page
    assert ValueMap.objects.get(key=COA).rows == before
    assert not ChangeRecord.objects.filter(via="page").exists()


def test_an_upload_of_another_encoding_or_header_is_refused(maps, client_for):
    client = client_for("owner")
    assert "is not UTF-8 text" in text_of(upload(client, COA, b"source,target\nM\xfcnchen,DE\n"))
    assert "the header must be source,target" in text_of(upload(client, COA, b"a,b\n1,2\n"))
    assert ValueMap.objects.get(key=COA).row_count == 3


@pytest.mark.parametrize(("who", "status"), [("other_owner", 403), ("viewer", 403), ("backup", 403)])
def test_only_the_owner_or_an_admin_uploads(maps, client_for, who, status):
    assert upload(client_for(who), COA, b"source,target\n1,2\n").status_code == status
    assert ValueMap.objects.get(key=COA).row_count == 3


def test_an_upload_without_a_csrf_token_is_refused(maps, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    assert upload(client, COA, b"source,target\n1,2\n").status_code == 403
    assert ValueMap.objects.get(key=COA).row_count == 3


# The admin form


def test_an_admin_edits_a_value_map_and_an_owner_may_not(maps, client_for):
    assert client_for("owner").get(f"/value-maps/{COA}/edit/").status_code == 403
    response = client_for("admin").post(
        f"/value-maps/{COA}/edit/",
        {"name": "Chart of accounts 2027", "owner": "ana.lopez@example.com", "reviewed_at": "2026-11-01"},
    )
    assert response.status_code == 302
    value_map = ValueMap.objects.get(key=COA)
    assert value_map.name == "Chart of accounts 2027" and value_map.row_count == 3  # rows kept
    assert ChangeRecord.objects.get(kind="ValueMap", key=COA, via="page").after["name"] == "Chart of accounts 2027"


def test_an_admin_adds_a_value_map_and_a_bad_key_is_refused(maps, client_for):
    admin = client_for("admin")
    assert admin.post("/value-maps/new/", {"key": "Bad Key"}).status_code == 400
    assert admin.post("/value-maps/new/", {"key": "payment-terms", "owner": "ana.lopez@example.com"}).status_code == 302
    assert ValueMap.objects.get(key="payment-terms").rows == []
    assert client_for("owner").get("/value-maps/new/").status_code == 403


# The integration page and form


def test_the_integration_page_shows_each_mappings_value_map_review_date_and_stale_badge(maps, client_for):
    page = text_of(client_for("viewer").get("/integrations/chargebee-invoices-to-netsuite/"))
    table = page[page.index('id="mappings-heading"') :].split("</table>")[0]
    assert f'<a href="/value-maps/{COA}/">Chart of accounts</a>' in table
    assert f'<a href="/value-maps/{TAX}/">{TAX}</a> <span class="badge warning">stale</span>' in table
    old = (timezone.localdate() - dt.timedelta(days=400)).isoformat()
    assert f'reviewed <time datetime="{old}">{old}</time>' in table


def test_the_integration_form_refuses_an_unknown_value_map(maps, client_for):
    form = {
        "mappings-TOTAL_FORMS": "1",
        "mappings-INITIAL_FORMS": "0",
        "mappings-0-source": "a",
        "mappings-0-target": "b",
        "mappings-0-transform": "lookup",
        "mappings-0-value_map": "no-such-map",
        "mappings-0-ORDER": "1",
        "name": "Chargebee invoices to NetSuite",
        "source": "chargebee",
        "target": "netsuite",
        "owner": "ana.lopez@example.com",
        "lifecycle": "live",
        "phase": "go-live",
        "direction": "one-way",
        "health_kind": "none",
        "sync_timezone": "UTC",
    }
    response = client_for("admin").post("/integrations/chargebee-invoices-to-netsuite/edit/", form)
    assert response.status_code == 200
    assert "unknown value map &#x27;no-such-map&#x27;" in text_of(response)
    assert Mapping.objects.filter(value_map=COA).exists()  # nothing replaced


# Queries: flat whatever the number of value maps, rows and mappings


def queries(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def grow(count: int) -> None:
    integration = Integration.objects.get(key="chargebee-invoices-to-netsuite")
    ValueMap.objects.bulk_create(
        ValueMap(key=f"map-{n}", rows=[{"source": str(r), "target": "x"} for r in range(count)], row_count=count)
        for n in range(count)
    )
    Mapping.objects.bulk_create(
        Mapping(integration=integration, position=10 + n, source="s", target="t", transform="lookup", value_map=COA)
        for n in range(count)
    )
    ValueMap.objects.filter(key=COA).update(rows=[{"source": str(r), "target": "x"} for r in range(count * 20)])


def test_value_map_pages_make_the_same_queries_at_two_sizes(maps, client_for):
    client = client_for("owner")
    urls = (
        "/value-maps/",
        f"/value-maps/{COA}/",
        f"/value-maps/{COA}/rows.csv",
        "/integrations/chargebee-invoices-to-netsuite/",
    )
    grow(5)
    small = {url: queries(client, url) for url in urls}
    ValueMap.objects.exclude(key__in=[COA, TAX]).delete()
    Mapping.objects.filter(position__gte=10).delete()
    grow(60)
    large = {url: queries(client, url) for url in urls}
    assert large == small
    assert max(small.values()) <= 15


def test_the_integration_pages_review_line_names_a_stale_value_map(maps, client_for):
    page = text_of(client_for("viewer").get("/integrations/chargebee-invoices-to-netsuite/"))
    review = page[page.index('id="review-answer"') :].split("</dd>")[0]
    assert '<span class="badge warning">stale</span>' in review
    assert f"Value map {TAX}, which its mappings translate by, was last reviewed" in review
