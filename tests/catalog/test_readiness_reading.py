"""Readiness that reads in a minute: blockers first and one per cause, grouped by integration and
linked to the item; a blockers-only view; overdue go-lives flagged; attestation on the item's row;
query counts flat in the number of integrations."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Attestation, GoLive, Integration, SignOff
from catalog.readiness.overdue import months_between, overdue_by
from catalog.rules.store import refresh_findings
from monitoring.models import HealthSource
from tests.catalog.test_readiness_support import ready_golive, users

pytestmark = pytest.mark.django_db

KEY = "netsuite-go-live"
URL = f"/golives/{KEY}/"
TODAY = dt.date(2027, 3, 10)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_for():
    crew = users()

    def login(who: str) -> Client:
        client = Client()
        client.force_login(crew[who])
        return client

    return login


def first_integration(golive: GoLive) -> Integration:
    return golive.scope.select_related("integration").first().integration  # type: ignore[union-attr]


# Overdue, as a decision


def test_a_go_live_fourteen_months_past_its_date_unsigned_is_fourteen_months_overdue():
    assert overdue_by(dt.date(2026, 1, 10), False, TODAY) == "14 months"


def test_a_go_live_a_few_days_past_its_date_is_overdue_in_days():
    assert overdue_by(dt.date(2027, 3, 7), False, TODAY) == "3 days"


@pytest.mark.parametrize(
    ("date", "signed"),
    [(None, False), (TODAY, False), (TODAY + dt.timedelta(days=1), False), (dt.date(2026, 1, 10), True)],
)
def test_a_go_live_without_a_date_not_yet_due_or_signed_off_is_not_overdue(date, signed):
    assert overdue_by(date, signed, TODAY) is None


def test_whole_months_count_only_once_the_day_is_reached():
    assert months_between(dt.date(2027, 1, 31), dt.date(2027, 2, 28)) == 0
    assert months_between(dt.date(2027, 1, 31), dt.date(2027, 3, 1)) == 1


# Overdue, on the pages


def fourteen_months_ago() -> dt.date:
    today = timezone.localdate()
    months = today.year * 12 + today.month - 1 - 14
    return dt.date(months // 12, months % 12 + 1, min(today.day, 28))


def test_the_list_and_the_page_flag_a_go_live_fourteen_months_past_its_date(client_for):
    golive = ready_golive()
    GoLive.objects.filter(pk=golive.pk).update(date=fourteen_months_ago())
    viewer = client_for("viewer")
    listing = viewer.get("/golives/")
    assert listing.context["rows"][0]["overdue"] == "14 months"
    assert "overdue 14 months" in listing.content.decode()
    page = viewer.get(URL)
    assert page.context["overdue"] == "14 months"
    assert "passed 14 months ago and it is not signed off" in page.content.decode()


def test_a_signed_off_go_live_past_its_date_is_not_overdue(client_for):
    golive = ready_golive()
    GoLive.objects.filter(pk=golive.pk).update(date=timezone.localdate() - dt.timedelta(days=400))
    client_for("approver").post(f"{URL}sign-off/", {})
    assert SignOff.objects.exists()
    viewer = client_for("viewer")
    assert viewer.get("/golives/").context["rows"][0]["overdue"] is None
    assert "overdue" not in viewer.get(URL).content.decode()


def test_a_go_live_still_ahead_is_not_flagged(client_for):
    ready_golive()
    GoLive.objects.filter(key=KEY).update(date=timezone.localdate() + dt.timedelta(days=30))
    assert client_for("viewer").get("/golives/").context["rows"][0]["overdue"] is None


# One blocker per cause


def test_health_down_and_its_critical_finding_are_listed_once(client_for):
    golive = ready_golive()
    integration = first_integration(golive)
    HealthSource.objects.filter(integration=integration).update(state="down")
    refresh_findings()  # raises HEALTH_DOWN, critical
    readiness = client_for("viewer").get(URL).context["readiness"]
    assert readiness.blockers == ("Integration 000: health is down",)


def test_blockers_are_grouped_by_integration_and_link_to_it_and_to_the_item(client_for):
    golive = ready_golive(2, attested=False)
    Integration.objects.filter(pk=first_integration(golive).pk).update(error_surface="log-file")
    body = client_for("viewer").get(URL).content.decode()
    blockers = body[body.index('id="blockers-heading"') : body.index('id="checklist-heading"')]
    groups = re.findall(r'<details class="blocker-group" open>\s*<summary><a href="([^"]+)">([^<]+)</a>', blockers)
    assert groups == [
        (f"/integrations/{KEY}-int-000/", "Integration 000"),
        (f"/integrations/{KEY}-int-001/", "Integration 001"),
    ]
    assert blockers.count("<li>") == 5  # 3 on the first (log file, two rehearsals), 2 on the second
    assert f'href="{URL}#item-{KEY}-int-000-failures-reach-person"' in blockers
    assert f'id="item-{KEY}-int-000-failures-reach-person"' in body  # the row it links to


def test_integrations_that_are_ready_are_collapsed_and_blocked_ones_open(client_for):
    golive = ready_golive(2)
    Integration.objects.filter(pk=first_integration(golive).pk).update(backup_owner=None)
    body = client_for("viewer").get(URL).content.decode()
    assert f'<details class="readiness-integration" open id="checklist-{KEY}-int-000">' in body
    assert f'<details class="readiness-integration" id="checklist-{KEY}-int-001">' in body


# Blockers only


def test_the_blockers_only_view_leaves_out_the_checklist(client_for):
    ready_golive(2, attested=False)
    response = client_for("viewer").get(URL + "?show=blockers")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="blockers-heading"' in body and "no failure simulation is attested yet" in body
    assert 'id="checklist-heading"' not in body and "Spec complete" not in body
    assert "Show the full checklist" in body


def test_an_unknown_view_is_a_400_naming_it(client_for):
    ready_golive()
    response = client_for("viewer").get(URL + "?show=everything")
    assert response.status_code == 400
    assert response.context["errors"] == ["show='everything': must be one of all, blockers."]


# Attestation on the item's row


def test_an_owner_gets_the_attestation_form_on_each_attested_items_row(client_for):
    golive = ready_golive(attested=False)
    key = first_integration(golive).key
    body = client_for("owner").get(URL).content.decode()
    for item in ("failure-simulation", "resync-rehearsal"):
        row = body[body.index(f'id="item-{key}-{item}"') :]
        row = row[: row.index("</tr>")]
        assert f'action="{URL}attest/"' in row
        assert f'<input type="hidden" name="item" value="{item}">' in row
        assert f'<input type="hidden" name="integration" value="{key}">' in row
        assert 'name="csrfmiddlewaretoken"' in row


def test_a_viewer_gets_no_attestation_form(client_for):
    ready_golive(attested=False)
    assert 'class="attest-inline' not in client_for("viewer").get(URL).content.decode()


def test_a_refused_attestation_shows_its_errors_on_its_own_row(client_for):
    golive = ready_golive(attested=False)
    key = first_integration(golive).key
    form = {
        "integration": key,
        "item": "resync-rehearsal",
        "performed_by": "Raj Patel",
        "performed_on": timezone.localdate().isoformat(),
        "evidence_url": "not a link",
    }
    response = client_for("owner").post(f"{URL}attest/", form)
    assert response.status_code == 400
    body = response.content.decode()
    row = body[body.index(f'id="item-{key}-resync-rehearsal"') :]
    row = row[: row.index("</tr>")]
    assert '<details class="attest-inline no-print" open>' in row and "Enter a valid URL." in row
    assert 'value="not a link"' in row
    assert not Attestation.objects.exists()


# Query counts


def queries_for(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("view", ["", "?show=blockers"])
@pytest.mark.parametrize("who", ["owner", "admin"])
def test_the_page_query_count_is_flat_in_the_number_of_integrations(client_for, view, who):
    for key, count in (("small", 3), ("large", 40)):
        golive = ready_golive(count, key=key, attested=False)
        Integration.objects.filter(golive_scope__golive=golive).update(error_surface="log-file")
    refresh_findings()
    client = client_for(who)
    assert queries_for(client, f"/golives/small/{view}") == queries_for(client, f"/golives/large/{view}")


def test_the_scope_s_integrations_are_as_loaded_from_the_database_with_the_listed_fields():
    # scope_facts makes its Integrations from plain rows (catalog/readiness/load.py _integration):
    # they must be what .only(*INTEGRATION_FIELDS) would give, deferred fields and all.
    from catalog.readiness.load import LOADED, scope_facts

    golive = ready_golive(2)
    (facts, *_) = scope_facts([golive.pk], TODAY)[golive.pk]
    integration = facts.integration
    stored = Integration.objects.get(pk=integration.pk)
    assert integration == stored
    assert {name: getattr(integration, name) for name in LOADED} == {name: getattr(stored, name) for name in LOADED}
    assert (integration._state.adding, integration._state.db) == (False, "default")
    concrete = {field.attname for field in Integration._meta.concrete_fields}
    assert integration.get_deferred_fields() == concrete - set(LOADED)
    deferred = sorted(concrete - set(LOADED))[0]
    with CaptureQueriesContext(connection) as read:
        assert getattr(integration, deferred) == getattr(stored, deferred)
    assert len(read.captured_queries) == 1  # loaded on first read, as a deferred field is
