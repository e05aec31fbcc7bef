"""workaround.every and cost.* in spec files and the edit page: bad values name file, line, key and
field and write nothing; the integration page's workaround card shows what each role may do."""

from __future__ import annotations

import pytest
from django.core import mail

from catalog.models import Integration
from catalog.spec.importer import ImportFailed, import_paths
from tests.catalog.conftest import snapshot
from tests.catalog.workaround_support import ADMIN, OWNER, PERFORMER, VIEWER, client_as, deferred_integration

pytestmark = pytest.mark.django_db


def errors_of(path) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        import_paths([str(path)])
    return [str(error) for error in caught.value.errors]


def test_a_bad_every_names_file_line_key_and_field(write_spec, stored_estate):
    bad = write_spec(
        "estate/billing.yaml",
        """
        apiVersion: plumbline/v1
        kind: Integration
        key: chargebee-invoices-to-netsuite
        phase: phase-two
        workaround:
          description: Tuesday CSV export
          every: fortnightly
        """,
    )
    assert errors_of(bad) == [
        f"{bad}:7: integration chargebee-invoices-to-netsuite: workaround.every: "
        "must be weekly, monthly or a cron expression of 5 fields, not 'fortnightly'"
    ]
    assert snapshot() == stored_estate


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("licence_per_month: -5", "cost.licence_per_month: must be an amount of money, 0 or more"),
        ("licence_per_month: 2000000000", "cost.licence_per_month: is too large"),
        ("licence_per_month: .inf", "cost.licence_per_month: must be an amount of money"),
        ("maintenance_hours_per_month: lots", "cost.maintenance_hours_per_month: must be a number of hours"),
        ("per_month: 5", "cost.per_month: unknown field"),
    ],
)
def test_bad_costs_name_their_field(write_spec, stored_estate, line, message):
    bad = write_spec(
        "estate/cost.yaml",
        f"""
        apiVersion: plumbline/v1
        kind: Integration
        key: chargebee-invoices-to-netsuite
        cost:
          {line}
        """,
    )
    [error] = errors_of(bad)
    assert error.startswith(f"{bad}:5: integration chargebee-invoices-to-netsuite: {message}")
    assert snapshot() == stored_estate


def test_the_edit_page_offers_every_and_cost():
    deferred_integration()
    body = client_as(ADMIN, "admin").get("/integrations/chargebee-invoices-to-netsuite/edit/").content.decode()
    for name in ("workaround_every", "cost_licence_per_month", "cost_maintenance_hours_per_month"):
        assert f'name="{name}"' in body


def card(email: str, role: str) -> str:
    return client_as(email, role).get("/integrations/chargebee-invoices-to-netsuite/").content.decode()


def test_owners_and_admins_see_the_ping_url_and_the_done_button():
    integration = deferred_integration()
    for email, role in ((OWNER, "owner"), (ADMIN, "admin")):
        body = card(email, role)
        assert f"/workaround/{integration.workaround_uuid}/done" in body
        assert 'action="/integrations/chargebee-invoices-to-netsuite/workaround/done/"' in body


def test_the_performer_sees_the_done_button_but_not_the_ping_url():
    integration = deferred_integration()
    body = card(PERFORMER, "viewer")
    assert "workaround/done/" in body and str(integration.workaround_uuid) not in body


def test_a_viewer_sees_the_runs_but_neither_button_nor_url():
    integration = deferred_integration()
    body = card(VIEWER, "viewer")
    assert "Workaround runs" in body and "The last 6 due runs" in body
    assert "workaround/done/" not in body and str(integration.workaround_uuid) not in body
    assert str(integration.ping_uuid) not in body


def test_the_card_marks_missed_and_confirmed_runs():
    deferred_integration()
    client = client_as(ADMIN, "admin")
    client.post("/integrations/chargebee-invoices-to-netsuite/workaround/done/", {"hours": "1.25"})
    body = card(OWNER, "owner")
    assert "done</span> confirmed" in body and "1.25 h" in body
    assert body.count('badge critical">missed') == 5  # the five runs due before today
    assert mail.outbox == []


def test_a_go_live_integration_has_no_workaround_card():
    Integration.objects.create(key="plain", name="Plain")
    assert "Workaround runs" not in client_as(ADMIN, "admin").get("/integrations/plain/").content.decode()
