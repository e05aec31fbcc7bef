"""/search/: every kind found by key, name, owner, data object and mapping field, whatever the
case and the alphabet, in a bounded number of queries."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.models import GoLive, Integration, Mapping, Person, PlatformAccount, System
from catalog.views.search import CAP, folded, match, rank_of, terms_of
from tests.pages.estate import bulk_integrations, load_estate, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client: Client) -> Client:
    load_estate()
    user: Any = make_user("viewer@example.com", "viewer")
    client.force_login(user)
    return client


def results(client: Client, query: str, **extra: str) -> Any:
    response = client.get("/search/", {"q": query, **extra})
    assert response.status_code == 200
    return response


def found(response: Any, kind: str) -> list[str]:
    return [hit.key for group in response.context["groups"] if group["kind"].slug == kind for hit in group["hits"]]


def test_casefolded_words_match_non_ascii_names_in_any_case():
    assert match(terms_of("ÅNGSTRÖM"), [("name", "Ångström Labs")]) is not None
    assert match(terms_of("straße"), [("name", "STRASSE 5")]) is not None
    assert match(terms_of("angstrom"), [("name", "Ångström Labs")]) is None


def test_a_decomposed_letter_matches_its_composed_form():
    decomposed = unicodedata.normalize("NFD", "Ångström")
    assert folded(decomposed) == folded("ångström")


def test_every_word_must_match_some_field():
    fields = [("key", "chargebee-invoices"), ("owner", "Ana Lopez")]
    assert match(terms_of("chargebee ana"), fields) is not None
    assert match(terms_of("chargebee sam"), fields) is None


def test_an_exact_key_ranks_before_a_prefix_and_a_prefix_before_the_rest():
    assert match(["netsuite"], [("key", "netsuite"), ("name", "NetSuite")]).rank == 0
    assert match(["net"], [("key", "netsuite"), ("name", "")]).rank == 1
    assert match(["suite"], [("key", "netsuite"), ("name", "")]).rank == 2


def test_non_ascii_system_name_is_found_in_upper_case_on_the_database(viewer):
    System.objects.create(key="angstrom", name="Ångström Lab Systems")
    response = results(viewer, "ÅNGSTRÖM")
    assert found(response, "systems") == ["angstrom"]
    assert "Ångström Lab Systems" in response.content.decode()


def test_non_ascii_person_is_found_by_lowercase_name(viewer):
    Person.objects.create(email="zoe@example.com", name="ZOË ÉCLAIR")
    assert found(results(viewer, "zoë éclair"), "people") == ["zoe@example.com"]


def test_integration_is_found_by_data_object_and_says_so(viewer):
    Integration.objects.create(key="bank-transfers", name="Bank transfers", data_objects=["Überweisung"])
    response = results(viewer, "ÜBERWEISUNG")
    assert found(response, "integrations") == ["bank-transfers"]
    assert "data object: Überweisung" in response.content.decode()


def test_integration_is_found_by_mapping_field(viewer):
    response = results(viewer, "externalid")
    assert found(response, "integrations") == ["chargebee-invoices-to-netsuite"]
    assert "mapping: invoice.externalId" in response.content.decode()


def test_integrations_and_systems_are_found_by_their_owner(viewer):
    response = results(viewer, "sam ortiz")
    assert found(response, "integrations") == ["shopify-orders-to-netsuite"]
    assert found(response, "systems") == ["chargebee"]
    assert found(response, "people") == ["sam.ortiz@example.com"]


def test_platform_accounts_and_golives_are_found(viewer):
    PlatformAccount.objects.create(key="celigo-prod", platform="celigo", base_url="https://api.integrator.io")
    GoLive.objects.create(key="wave-2", name="Wave Två cutover")
    response = results(viewer, "celigo")
    assert found(response, "platform-accounts") == ["celigo-prod"]
    assert found(results(viewer, "TVÅ"), "golives") == ["wave-2"]


def test_results_are_grouped_with_counts_and_capped_with_a_see_all_link(viewer):
    bulk_integrations(CAP + 5, prefix="bulk")
    response = results(viewer, "bulk")
    group = next(g for g in response.context["groups"] if g["kind"].slug == "integrations")
    assert (len(group["hits"]), group["total"]) == (CAP, CAP + 5)
    page = response.content.decode()
    assert f"See all {CAP + 5} integrations" in page
    assert "/search/?q=bulk&amp;kind=integrations" in page
    assert len(found(results(viewer, "bulk", kind="integrations"), "integrations")) == CAP + 5


def test_the_query_count_does_not_grow_with_the_matches(viewer):
    bulk_integrations(3, prefix="few")
    with CaptureQueriesContext(connection) as few:
        results(viewer, "few")
    bulk_integrations(60, prefix="many")
    for integration in Integration.objects.filter(key__startswith="many"):
        Mapping.objects.create(integration=integration, source="many.id", target="x.id")
    with CaptureQueriesContext(connection) as many:
        results(viewer, "many")
    assert len(many) == len(few)


def test_an_empty_query_shows_how_to_search(viewer):
    response = results(viewer, "")
    assert response.context["groups"] == []
    assert "press <kbd>/</kbd>" in response.content.decode()


def test_nothing_found_says_so(viewer):
    assert "Nothing matches “zzzz”." in results(viewer, "zzzz").content.decode()


def test_unknown_parameters_and_kinds_are_a_400(viewer):
    assert viewer.get("/search/", {"q": "x", "kind": "widgets"}).status_code == 400
    assert viewer.get("/search/", {"q": "x", "owner": "ana"}).status_code == 400
    assert viewer.get("/search/", {"q": "x" * 201}).status_code == 400


def test_search_requires_login(client):
    response = client.get("/search/", {"q": "netsuite"})
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_markup_in_a_name_is_shown_as_text(viewer):
    System.objects.create(key="evil", name="<script>alert(1)</script>")
    page = results(viewer, "script").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# rank_of() is match() with one fold of every field joined: it must agree with match() on any text.
_pieces = ["a", "B", "ß", "ss", "Å", "A\u030a", "\u030a", "ﬁ", "-", " ", "\x00", "\u212a", "ǅ"]
_texts = st.lists(st.sampled_from(_pieces), max_size=6).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(_texts, min_size=2, max_size=6), st.one_of(_texts, st.text(max_size=12)))
def test_rank_of_agrees_with_match_on_any_text(texts, query):
    fields = [("key", texts[0]), ("name", texts[1]), *(("other", text) for text in texts[2:])]
    found = match(terms_of(query), fields)
    assert rank_of(terms_of(query), texts) == (found.rank if found and "\x00" not in query else None)


def test_a_search_matching_thousands_makes_hits_only_for_the_rows_shown(viewer):
    person = Person.objects.create(email="ana@example.com", name="Ana")
    Integration.objects.bulk_create(Integration(key=f"bulk-{n:04d}", owner=person) for n in range(CAP * 30))
    response = results(viewer, "bulk")
    (group,) = response.context["groups"]
    assert group["total"] == CAP * 30 and len(group["hits"]) == CAP
    assert [hit.key for hit in group["hits"]] == [f"bulk-{n:04d}" for n in range(CAP)]
    assert group["hits"][0].why == ["key: bulk-0000"]


def test_what_is_kept_folded_follows_every_change_a_search_reads(viewer):
    """Integrations are kept folded between searches: a rename, a new owner name, replaced mappings,
    a new or deleted integration must each show in the very next search."""
    assert found(results(viewer, "zebrafish"), "integrations") == []
    integration = Integration.objects.order_by("key").first()
    integration.name = "Zebrafish feed"
    integration.save()
    assert found(results(viewer, "zebrafish"), "integrations") == [integration.key]

    owner = Person.objects.create(email="quill@example.com", name="Quill")
    integration.owner = owner
    integration.save()
    owner.name = "Quillon Marsh"
    owner.save()
    assert found(results(viewer, "marsh"), "integrations") == [integration.key]

    # Mappings are replaced, as the edit page and import replace them.
    integration.mappings.all().delete()
    Mapping.objects.create(integration=integration, position=0, source="a.okapi_id", target="b.okapi_ref")
    assert found(results(viewer, "okapi"), "integrations") == [integration.key]
    integration.mappings.all().delete()
    assert found(results(viewer, "okapi"), "integrations") == []

    Integration.objects.create(key="okapi-new", name="Okapi")
    assert found(results(viewer, "okapi"), "integrations") == ["okapi-new"]
    Integration.objects.filter(key="okapi-new").delete()
    assert found(results(viewer, "okapi"), "integrations") == []


def test_a_repeated_search_reads_no_integration_rows(viewer):
    results(viewer, "invoice")
    with CaptureQueriesContext(connection) as captured:
        again = results(viewer, "invoice")
    assert found(again, "integrations")
    assert not [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "catalog_mapping"')]
    assert not [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "catalog_integration"')]
