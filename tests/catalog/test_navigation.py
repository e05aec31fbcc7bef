"""The header of every page: the sections a role may open, the current one marked, the search
box; the Django admin for admins only; /me/ for someone with no Person in the catalog."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.choices import HealthKind, HealthState
from catalog.models import Integration, System
from monitoring.models import HealthSource
from tests.pages.estate import load_estate, make_user

pytestmark = pytest.mark.django_db


def client_as(role: str | None, email: str = "") -> Client:
    client = Client()
    user: Any = make_user(email or f"{role or 'norole'}@example.com", role)
    client.force_login(user)
    return client


def nav_labels(page: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav".*?</nav>', page, re.S)
    assert nav is not None
    return re.findall(r">([^<>]+)</a>", nav.group(0))


def current_section(page: str) -> list[str]:
    return re.findall(r'aria-current="page">([^<]+)</a>', page)


def test_the_nav_leads_to_health_reminders_and_api_docs_for_every_role():
    page = client_as("viewer").get("/").content.decode()
    labels = nav_labels(page)
    for label in ("Health", "Reminders", "API docs", "Me"):
        assert label in labels
    assert 'href="/health/"' in page and 'href="/reminders/"' in page and 'href="/api/v1/docs/"' in page


def test_admin_and_upload_are_in_the_nav_for_admins_only():
    assert {"Admin", "Upload"} <= set(nav_labels(client_as("admin").get("/").content.decode()))
    for role in ("viewer", "owner"):
        labels = nav_labels(client_as(role).get("/").content.decode())
        assert "Admin" not in labels and "Upload" not in labels


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/", "Dashboard"),
        ("/integrations/", "Integrations"),
        ("/integrations/chargebee-invoices-to-netsuite/", "Integrations"),
        ("/systems/netsuite/", "Systems"),
        ("/people/ana.lopez@example.com/", "People"),
        ("/graph/", "Graph"),
        ("/findings/", "Findings"),
        ("/reminders/", "Reminders"),
        ("/api/v1/docs/", "API docs"),
        ("/me/", "Me"),
        ("/search/?q=netsuite", None),
    ],
)
def test_the_nav_marks_the_current_section_only(path, section):
    load_estate()
    page = client_as("admin").get(path).content.decode()
    assert current_section(page) == ([section] if section else [])


def test_every_page_has_a_search_box_in_its_header():
    page = client_as("viewer").get("/systems/").content.decode()
    header = page.split("</header>")[0]
    assert re.search(r'<input type="search" id="site-search-q" name="q"', header)
    assert 'action="/search/"' in header
    assert "js/search.js" in page and "<script>" not in page  # a file, never inline (CSP)


def test_the_search_box_keeps_the_query_on_the_results_page():
    page = client_as("viewer").get("/search/", {"q": "Ångström"}).content.decode()
    assert 'name="q" value="Ångström"' in page.split("</header>")[0]


def test_anonymous_admin_visit_goes_to_our_login_page():
    response = Client().get("/admin/")
    assert response.status_code == 302
    assert response.url == "/login/?next=/admin/"


def test_anonymous_visit_to_the_admin_login_goes_to_our_login_page():
    response = Client().get("/admin/login/", {"next": "/admin/catalog/system/"})
    assert response.url == "/login/?next=/admin/catalog/system/"


@pytest.mark.parametrize("role", ["viewer", "owner", None])
def test_non_admins_get_our_403_page_from_any_admin_address(role):
    client = client_as(role)
    for path in ("/admin/", "/admin/login/", "/admin/catalog/integration/", "/admin/auth/user/1/change/"):
        response = client.get(path)
        assert response.status_code == 403, path
        page = response.content.decode()
        assert "The Django admin is for admins" in page
        assert 'href="/"' in page  # a way back
        assert "Django administration" not in page


def test_admins_still_reach_the_admin():
    response = client_as("admin").get("/admin/")
    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


def test_me_for_an_admin_with_no_person_says_who_they_are_and_what_they_may_do():
    page = client_as("admin", "boss@example.com").get("/me/").content.decode()
    assert "Me: boss@example.com" in page
    assert "with the <strong>admin</strong> role" in page
    assert "manage users, roles and API tokens in the admin" in page
    assert 'href="/admin/"' in page and 'href="/upload/"' in page


def test_me_for_a_viewer_with_no_person_names_the_viewer_role():
    page = client_as("viewer").get("/me/").content.decode()
    assert "with the <strong>viewer</strong> role" in page
    assert "read every integration" in page
    assert 'href="/admin/"' not in page


def test_me_for_an_owner_with_a_person_names_the_role_beside_their_specs():
    load_estate()
    page = client_as("owner", "ana.lopez@example.com").get("/me/").content.decode()
    assert "My specs: Ana Lopez" in page
    assert "Signed in with the <strong>owner</strong> role" in page


def test_the_favicon_is_a_served_valid_svg():
    path = finders.find("favicon.svg")
    assert path is not None
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in text and text.rstrip().endswith("</svg>")
    page = client_as("viewer").get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in page


def test_a_system_page_shows_its_integrations_health_and_links_to_its_blast_radius():
    load_estate()
    integration = Integration.objects.get(key="chargebee-invoices-to-netsuite")
    HealthSource.objects.create(
        integration=integration,
        kind=HealthKind.HEARTBEAT,
        state=HealthState.FAILING,
        last_success_at=timezone.now(),
        interval_minutes=15,
    )
    page = client_as("viewer").get("/systems/netsuite/").content.decode()
    assert f'<span class="badge {HealthState.FAILING}">{HealthState.FAILING}</span>' in page
    assert "1 not monitored" in page and f"1 {HealthState.FAILING}" in page
    assert 'href="/graph/?blast=netsuite"' in page


def test_a_system_page_reads_health_in_one_query_however_many_integrations():
    load_estate()
    viewer = client_as("viewer")
    netsuite = System.objects.get(key="netsuite")
    with CaptureQueriesContext(connection) as few:
        viewer.get("/systems/netsuite/")
    Integration.objects.bulk_create(Integration(key=f"more-{n}", source=netsuite) for n in range(30))
    with CaptureQueriesContext(connection) as many:
        viewer.get("/systems/netsuite/")
    assert len(many) == len(few)


def test_the_blast_radius_is_chosen_from_system_names():
    load_estate()
    page = client_as("viewer").get("/graph/", {"blast": "chargebee"}).content.decode()
    chooser = re.search(r'<select id="graph-blast" name="blast".*?</select>', page, re.S)
    assert chooser is not None
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', chooser.group(0))
    assert [label for _, _, label in options] == ["none", "Chargebee", "NetSuite", "Shopify"]
    assert [value for value, selected, _ in options if selected] == ["chargebee"]


def test_a_system_whose_name_does_not_say_its_key_is_offered_with_both():
    System.objects.create(key="sf-prod", name="Salesforce")
    page = client_as("viewer").get("/graph/").content.decode()
    assert '<option value="sf-prod">Salesforce (sf-prod)</option>' in page
