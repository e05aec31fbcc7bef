"""/golives/<key>/review/: each section with its data, the review link on the go-live page, who may
sign (the approver or an admin; others read), CSRF, and a query count that does not grow with scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import ReviewSignOff, StoredFinding
from catalog.rules.store import refresh_findings
from tests.catalog.test_golive_review_support import (
    KEY,
    at_noon,
    change_spec,
    deferred_integration,
    fail,
    signed_golive,
    start_of,
    workaround_integration,
)
from tests.catalog.test_readiness_support import users

pytestmark = pytest.mark.django_db

URL = f"/golives/{KEY}/review/"
SIGN = f"/golives/{KEY}/review/sign-off/"


@pytest.fixture
def crew():
    return users()


@pytest.fixture
def client_for(crew):
    def login(who: str) -> Client:
        client = Client()
        client.force_login(crew[who])
        return client

    return login


@pytest.fixture
def full_review():
    """A go-live 100 days ago with one deferred, one workaround, failures and a spec change."""
    golive = signed_golive(100)
    deferred_integration(golive)
    workaround = workaround_integration(golive)
    fail(workaround, start_of(golive))
    change_spec(workaround, at_noon(golive.date) + dt.timedelta(days=3))
    change_spec(workaround, at_noon(golive.date) - dt.timedelta(days=3))  # before sign-off: not listed
    return golive


def section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def test_review_page_needs_a_login(client):
    signed_golive(100)
    assert client.get(URL).status_code == 302


def test_review_page_lists_what_is_still_deferred(client_for, full_review):
    html = client_for("viewer").get(URL).content.decode()
    deferred = section(html, "deferred-heading")
    assert "Deferred refunds" in deferred
    assert "deferred to phase two, promised for 2027-06-30; not live yet (building)" in deferred
    assert "Integration 000" not in deferred


def test_review_page_lists_the_workarounds_still_running(client_for, full_review):
    html = client_for("viewer").get(URL).content.decode()
    workarounds = section(html, "workarounds-heading")
    assert "Manual vendor upload" in workarounds and "Casey Clerk" in workarounds
    assert "Weekly CSV upload of vendor bills" in workarounds and "6.5" in workarounds


def test_review_page_counts_failures_since_the_golive_date_only(client_for, full_review):
    response = client_for("viewer").get(URL)
    [item] = response.context["review"].failures
    assert (item.failures.failed_runs, item.failures.flips_down, item.failures.open_failed_records) == (2, 1, 3)
    failures = section(response.content.decode(), "failures-heading")
    assert "Manual vendor upload" in failures and "Deferred refunds" not in failures


def test_review_page_lists_spec_changes_after_the_sign_off_with_history_links(client_for, full_review):
    html = client_for("viewer").get(URL).content.decode()
    changes = section(html, "changes-heading")
    assert f'href="/integrations/{KEY}-workaround/#history-heading"' in changes
    assert changes.count("<tr>") == 2  # the header and the one change after the sign-off


def test_review_page_says_it_is_due_and_how_long_ago(client_for, full_review):
    html = client_for("viewer").get(URL).content.decode()
    due_on = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    assert f"Due since {due_on} (10 days ago) and not signed." in html


def test_review_of_a_golive_not_signed_off_has_nothing_to_review(client_for):
    signed_golive(100, signed=False)
    response = client_for("admin").get(URL)
    assert "The go-live is not signed off yet: there is nothing to review." in response.content.decode()
    assert response.context["form"] is None


def test_golive_page_links_the_review_with_its_due_date(client_for, full_review):
    html = client_for("viewer").get(f"/golives/{KEY}/").content.decode()
    due_on = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    assert f'href="{URL}"' in html
    assert f"due</span> since {due_on}" in html


def test_golive_page_shows_the_review_due_date_ahead(client_for):
    signed_golive(20)
    html = client_for("viewer").get(f"/golives/{KEY}/").content.decode()
    assert f"due on {(timezone.localdate() + dt.timedelta(days=70)).isoformat()}" in html


# Signing


@pytest.mark.parametrize("who", ["approver", "admin"])
def test_approver_or_admin_signs_the_review_with_its_figures(client_for, crew, full_review, who):
    refresh_findings()
    assert StoredFinding.objects.filter(code="GOLIVE_REVIEW_DUE").exists()
    response = client_for(who).post(SIGN, {"notes": "Refunds move to Q3; Casey keeps the upload."})
    assert response.status_code == 302 and response["Location"] == URL
    signature = ReviewSignOff.objects.get()
    assert signature.signed_by_email == crew[who].email
    assert signature.notes == "Refunds move to Q3; Casey keeps the upload."
    assert signature.figures == {
        "deferred": 1,
        "workarounds": 1,
        "failed_runs": 2,
        "flips_down": 1,
        "open_failed_records": 3,
        "spec_changes": 1,
    }
    assert not StoredFinding.objects.filter(code="GOLIVE_REVIEW_DUE").exists()
    html = client_for("viewer").get(URL).content.decode()
    assert f"Signed by <strong>{crew[who].email}</strong>" in html


@pytest.mark.parametrize("who", ["viewer", "owner", "backup"])
def test_others_may_not_sign_the_review(client_for, full_review, who):
    response = client_for(who).post(SIGN, {"notes": "x"})
    assert response.status_code == 403
    assert not ReviewSignOff.objects.exists()


@pytest.mark.parametrize("who", ["viewer", "owner"])
def test_others_read_the_review_without_a_form(client_for, full_review, who):
    response = client_for(who).get(URL)
    assert response.status_code == 200 and response.context["form"] is None
    assert SIGN not in response.content.decode()


def test_approver_sees_the_form_with_a_csrf_token(client_for, full_review):
    html = client_for("approver").get(URL).content.decode()
    assert f'action="{SIGN}"' in html and "csrfmiddlewaretoken" in html


def test_signing_without_the_csrf_token_is_refused(crew, full_review):
    client = Client(enforce_csrf_checks=True)
    client.force_login(crew["approver"])
    assert client.post(SIGN, {"notes": "x"}).status_code == 403
    assert not ReviewSignOff.objects.exists()


def test_signing_the_review_of_an_unsigned_golive_is_refused_with_the_reason(client_for):
    signed_golive(100, signed=False)
    response = client_for("admin").post(SIGN, {"notes": "x"})
    assert response.status_code == 400
    assert "nothing to review" in response.content.decode()
    assert not ReviewSignOff.objects.exists()


def test_notes_too_long_are_refused(client_for, full_review):
    response = client_for("approver").post(SIGN, {"notes": "x" * 4001})
    assert response.status_code == 400
    assert not ReviewSignOff.objects.exists()


def test_review_page_refuses_an_unknown_parameter(client_for, full_review):
    response = client_for("viewer").get(f"{URL}?show=all")
    assert response.status_code == 400
    assert "Unknown parameter &#x27;show&#x27;: this page takes none." in response.content.decode()


def test_review_page_takes_no_post(client_for, full_review):
    assert client_for("admin").post(URL).status_code == 405


# Query counts


def queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_review_page_queries_do_not_grow_with_the_scope(client_for):
    small = signed_golive(100, count=2, key="small")
    large = signed_golive(100, count=30, key="large")
    for golive in (small, large):
        for integration in [row.integration for row in golive.scope.select_related("integration")]:
            fail(integration, at_noon(golive.date), runs=1, flips=1, records=1)
            change_spec(integration, at_noon(golive.date) + dt.timedelta(days=1))
    client = client_for("viewer")
    assert queries(client, "/golives/small/review/") == queries(client, "/golives/large/review/") <= 15
