"""Read-only pages answer GET and HEAD; any other method is a 405 naming the allowed ones,
before CSRF (so not a 403), before login, and without writing anything. Pages that take a
form still take their POST."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import ChangeRecord, Integration, StoredFinding, Waiver
from catalog.rules.store import refresh_findings
from catalog.spec.importer import import_sources
from monitoring.models import HealthSource
from tests.pages.test_integration_edit import form_data

pytestmark = pytest.mark.django_db

OWNED = "chargebee-invoices-to-netsuite"
GOLIVE = """
apiVersion: plumbline/v1
kind: GoLive
key: netsuite-go-live
date: 2027-01-04
integrations: [chargebee-invoices-to-netsuite]
"""

READ_ONLY_PAGES = [
    "/",
    "/integrations/",
    f"/integrations/{OWNED}/",
    f"/integrations/{OWNED}/spec.yaml",
    f"/integrations/{OWNED}/health/",
    "/systems/",
    "/systems/netsuite/",
    "/people/",
    "/people/ana.lopez@example.com/",
    "/me/",
    "/findings/",
    "/phase-two/",
    "/golives/",
    "/golives/netsuite-go-live/",
    "/reminders/",
    "/graph/",
    "/graph/estate.svg",
    "/connections/observed/",
    "/api/v1/docs/",
]
UNSAFE_METHODS = ["post", "put", "patch", "delete"]


@pytest.fixture
def pages(estate: None) -> None:
    import_sources([("golive.yaml", textwrap.dedent(GOLIVE))])
    refresh_findings()


@pytest.fixture
def admin_with_csrf(users: dict[str, Any]) -> Client:
    """A browser that does what real ones do: CSRF is checked."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    return client


def written() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (ChangeRecord, Waiver, StoredFinding, HealthSource))


@pytest.mark.parametrize("method", UNSAFE_METHODS)
@pytest.mark.parametrize("url", READ_ONLY_PAGES)
def test_an_unsafe_method_on_a_read_only_page_is_405_not_a_csrf_403(pages, admin_with_csrf, url, method):
    before = written()
    response = getattr(admin_with_csrf, method)(url, {"reason": "x"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert written() == before


def test_post_to_the_findings_page_is_405_and_waives_nothing(pages, admin_with_csrf):
    finding = StoredFinding.objects.first()
    assert finding is not None
    waiver = {"finding": finding.pk, "reason": "later", "expires_on": "2030-01-01"}
    response = admin_with_csrf.post("/findings/", waiver)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert not Waiver.objects.exists()


def test_post_to_the_graph_page_is_405(pages, admin_with_csrf):
    before = written()
    response = admin_with_csrf.post("/graph/", {"system": "netsuite"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert written() == before


@pytest.mark.parametrize("url", ["/findings/", "/graph/", f"/integrations/{OWNED}/"])
def test_the_method_is_refused_before_the_login_page(pages, url):
    response = Client(enforce_csrf_checks=True).post(url)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("url", ["/", "/integrations/", f"/integrations/{OWNED}/", "/findings/", "/golives/"])
def test_head_still_answers_like_get_without_a_body(pages, client_for, url):
    response = client_for("viewer").head(url)
    assert response.status_code == 200
    assert response.content == b""


def test_a_page_with_a_form_still_takes_its_post(pages, client_for):
    integration = Integration.objects.get(key=OWNED)
    data = form_data(integration, name="Renamed on the page")
    response = client_for("owner").post(f"/integrations/{OWNED}/edit/", data)
    assert response.status_code == 302
    assert Integration.objects.get(key=OWNED).name == "Renamed on the page"


def test_a_form_post_without_a_csrf_token_is_still_refused(pages, admin_with_csrf):
    before = written()
    response = admin_with_csrf.post(f"/integrations/{OWNED}/edit/", {"name": "x"})
    assert response.status_code == 403
    assert written() == before


def test_a_read_only_page_still_hands_out_the_csrf_token_its_forms_post_with(pages, admin_with_csrf):
    # Exempting the findings page from CSRF must not stop it setting the token its waive forms send.
    page = admin_with_csrf.get("/findings/")
    token = page.cookies["csrftoken"].value
    finding = StoredFinding.objects.first()
    assert finding is not None
    expires_on = timezone.localdate() + dt.timedelta(days=30)
    response = admin_with_csrf.post(
        f"/findings/{finding.pk}/waive/",
        {"reason": "accepted until the upgrade", "expires_on": str(expires_on), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Waiver.objects.get().reason == "accepted until the upgrade"
