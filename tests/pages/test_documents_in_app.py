"""Systems, people, platform accounts and go-lives created and edited on pages: the import's rules, the
change history, the roles."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import ChangeRecord, GoLive, GoLiveIntegration, Person, PlatformAccount, System
from catalog.spec.importer import import_sources
from tests.pages.estate import ESTATE

pytestmark = pytest.mark.django_db


def test_an_admin_adds_a_person_checked_like_an_import_and_recorded(estate, client_for):
    admin = client_for("admin")
    bad = admin.post("/people/new/", {"email": "not-an-email", "name": "X", "active": "on"})
    assert bad.status_code == 400
    assert "Enter a valid email address." in bad.content.decode()
    assert not Person.objects.filter(name="X").exists()
    good = admin.post(
        "/people/new/",
        {
            "email": "lee.park@example.com",
            "name": "Lee Park",
            "team": "Payroll",
            "manager": "ana.lopez@example.com",
            "active": "on",
        },
    )
    assert good.status_code == 302 and good["Location"] == "/people/lee.park@example.com/"
    lee = Person.objects.get(email="lee.park@example.com")
    assert (lee.name, lee.manager.email) == ("Lee Park", "ana.lopez@example.com")
    record = ChangeRecord.objects.get(kind="Person", key="lee.park@example.com")
    assert (record.via, record.action, record.actor.username) == ("page", "create", "admin@example.com")


def test_only_admins_add_people_and_accounts(estate, client_for):
    for who in ("viewer", "owner"):
        assert client_for(who).get("/people/new/").status_code == 403
        assert client_for(who).post("/platform-accounts/new/", {"key": "x"}).status_code == 403
    assert not PlatformAccount.objects.exists()


def test_a_platform_account_takes_a_variable_name_never_a_credential(estate, client_for):
    admin = client_for("admin")
    data = {"key": "boomi-prod", "platform": "boomi", "base_url": "https://api.boomi.com", "account_id": "acme-1"}
    refused = admin.post("/platform-accounts/new/", {**data, "secret_env": "SECRET_KEY"})
    assert refused.status_code == 400
    assert "SECRET_KEY is a variable Plumbline itself reads" in refused.content.decode()
    assert admin.post("/platform-accounts/new/", {**data, "secret_env": "PLUMBLINE_CRED_BOOMI"}).status_code == 302
    page = admin.get("/platform-accounts/").content.decode()
    assert "boomi-prod" in page and "PLUMBLINE_CRED_BOOMI" in page and "Add a platform account" in page
    assert "Add a platform account" not in client_for("viewer").get("/platform-accounts/").content.decode()


def test_an_owner_adds_a_system_only_as_its_owner(estate, client_for):
    owner = client_for("owner")
    data = {"key": "workday", "name": "Workday", "category": "hr"}
    refused = owner.post("/systems/new/", data)
    assert refused.status_code == 400 and "Name yourself as the owner" in refused.content.decode()
    assert owner.post("/systems/new/", {**data, "owner": "ana.lopez@example.com"}).status_code == 302
    assert System.objects.get(key="workday").owner.email == "ana.lopez@example.com"
    assert client_for("viewer").get("/systems/new/").status_code == 403
    assert "Add a system" in owner.get("/systems/").content.decode()


def test_a_go_live_is_created_and_its_scope_edited_keeping_what_stays(estate, client_for):
    admin = client_for("admin")
    keys = ["chargebee-invoices-to-netsuite", "shopify-orders-to-netsuite"]
    created = admin.post(
        "/golives/new/", {"key": "q3-billing", "name": "Q3 billing", "date": "2027-03-01", "integrations": keys}
    )
    assert created.status_code == 302 and created["Location"] == "/golives/q3-billing/"
    golive = GoLive.objects.get(key="q3-billing")
    assert [row.integration.key for row in golive.scope.order_by("position")] == keys
    kept = GoLiveIntegration.objects.get(golive=golive, integration__key=keys[0]).pk
    assert (
        admin.post(
            "/golives/q3-billing/edit/", {"name": "Q3 billing", "date": "2027-03-08", "integrations": keys[:1]}
        ).status_code
        == 302
    )
    assert list(golive.scope.values_list("pk", flat=True)) == [kept]  # the row (and what hangs on it) stays
    records = ChangeRecord.objects.filter(kind="GoLive", key="q3-billing").order_by("id")
    assert [r.action for r in records] == ["create", "update"]
    assert records[1].after["integrations"] == keys[:1] and records[1].after["date"] == "2027-03-08"


def test_a_person_edit_keeps_the_key_and_the_form_shows_in_a_bounded_number_of_queries(estate, client_for):
    admin = client_for("admin")
    with CaptureQueriesContext(connection) as few:
        assert admin.get("/people/sam.ortiz@example.com/edit/").status_code == 200
    import_sources(
        [
            (
                "more.yaml",
                "".join(f"---\napiVersion: plumbline/v1\nkind: Person\nkey: p{n}@example.com\n" for n in range(30)),
            )
        ]
    )
    with CaptureQueriesContext(connection) as many:
        admin.get("/people/sam.ortiz@example.com/edit/")
    assert len(many) == len(few)
    response = admin.post(
        "/people/sam.ortiz@example.com/edit/", {"email": "renamed@example.com", "name": "Sam O.", "active": "on"}
    )
    assert response.status_code == 302
    assert Person.objects.get(email="sam.ortiz@example.com").name == "Sam O."  # the email is the key: not renamed
    assert not Person.objects.filter(email="renamed@example.com").exists()


def test_nothing_saved_is_said_when_nothing_changed(estate, client_for):
    import_sources([("estate.yaml", ESTATE)])
    admin = client_for("admin")
    sam = Person.objects.get(email="sam.ortiz@example.com")
    data = {"name": sam.name, "team": sam.team, "manager": sam.manager.email, "active": "on"}
    response = admin.post("/people/sam.ortiz@example.com/edit/", data, follow=True)
    assert "Nothing changed in sam.ortiz@example.com." in response.content.decode()


def test_the_upload_page_explains_the_format_and_its_sample_imports_as_it_is(db, client_for):
    from pathlib import Path

    page = client_for("admin").get("/upload/").content.decode()
    assert "What goes in a spec file" in page and "samples/estate-sample.yaml" in page
    sample = Path(__file__).resolve().parents[2] / "static" / "samples" / "estate-sample.yaml"
    report = import_sources([("estate-sample.yaml", sample.read_text(encoding="utf-8"))])
    assert ("Integration", "salesforce-customers-to-netsuite") in report.created


def test_go_live_pages_offer_adding_and_editing_to_admins_only(estate, client_for):
    client_for("admin").post("/golives/new/", {"key": "q3-billing", "name": "Q3 billing", "date": "2027-03-01"})
    admin_list = client_for("admin").get("/golives/").content.decode()
    assert 'href="/golives/new/"' in admin_list
    assert 'href="/golives/q3-billing/edit/"' in client_for("admin").get("/golives/q3-billing/").content.decode()
    assert 'href="/golives/new/"' not in client_for("viewer").get("/golives/").content.decode()
    assert "/edit/" not in client_for("owner").get("/golives/q3-billing/").content.decode()
