"""The edit form: the import's rules, errors next to their field, nothing written on error,
mappings added/removed/reordered, and every saved edit in the change history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from catalog.forms import IntegrationForm
from catalog.models import ChangeRecord, Integration
from catalog.spec.edits import document_of

pytestmark = pytest.mark.django_db

KEY = "chargebee-invoices-to-netsuite"


def _post_value(field: Any, value: Any) -> str:
    value = field.prepare_value(value)
    if value is None:
        return "unknown" if field.widget.__class__.__name__ == "NullBooleanSelect" else ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def form_data(
    integration: Integration | None, mappings: list[dict[str, Any]] | None = None, **overrides: Any
) -> dict[str, str]:
    """What a browser posts for the form as shown, with some fields changed."""
    form = IntegrationForm(instance=integration or Integration())
    data = {name: _post_value(field, form[name].value()) for name, field in form.fields.items()}
    data = {k: v for k, v in data.items() if v != ""}
    stored = list(integration.mappings.all()) if integration and integration.pk else []
    if mappings is None:
        mappings = [
            {"source": m.source, "target": m.target, "required": m.required, "transform": m.transform, "note": m.note}
            for m in stored
        ]
    data |= {
        "mappings-TOTAL_FORMS": str(len(mappings)),
        "mappings-INITIAL_FORMS": str(min(len(stored), len(mappings))),
        "mappings-MIN_NUM_FORMS": "0",
        "mappings-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(mappings):
        for name, value in row.items():
            if value not in ("", False, None):
                data[f"mappings-{index}-{name}"] = "on" if value is True else str(value)
    data.update({k: str(v) for k, v in overrides.items()})
    return data


@pytest.fixture
def owner(estate: None, client_for: Any) -> Client:
    return client_for("owner")


def integration() -> Integration:
    return Integration.objects.get(key=KEY)


def test_a_good_edit_is_saved_and_recorded_as_a_page_change(owner):
    response = owner.post(f"/integrations/{KEY}/edit/", form_data(integration(), interval_minutes=30))
    assert response.status_code == 302
    assert response["Location"] == f"/integrations/{KEY}/"
    assert integration().interval_minutes == 30
    record = ChangeRecord.objects.filter(key=KEY, via="page").get()
    assert record.actor.username == "ana.lopez@example.com"
    assert record.before["sync"]["interval_minutes"] == 15
    assert record.after["sync"]["interval_minutes"] == 30


def test_a_bad_value_shows_its_error_next_to_the_field_and_changes_nothing(owner):
    before = document_of(integration())
    records = ChangeRecord.objects.count()
    response = owner.post(
        f"/integrations/{KEY}/edit/", form_data(integration(), documentation="ftp://wiki.example.com/x")
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The spec was not saved" in body
    # The message sits in the documentation field's block, before its input.
    block = body[body.index('for="id_documentation"') : body.index('id="id_documentation"')]
    assert "must be an http(s) URL" in block
    assert document_of(integration()) == before
    assert ChangeRecord.objects.count() == records


def test_the_form_rejects_what_import_rejects(owner):
    data = form_data(integration(), health_kind="http")  # http health needs a status URL
    body = owner.post(f"/integrations/{KEY}/edit/", data).content.decode()
    block = body[body.index('for="id_health_url"') : body.index('id="id_health_url"')]
    assert "is required when health.kind is http" in block
    assert integration().health_kind == "none"


def test_a_description_over_the_free_text_limit_is_refused_at_its_field(owner):
    data = form_data(integration(), description="x" * 65_537)
    body = owner.post(f"/integrations/{KEY}/edit/", data).content.decode()
    block = body[body.index('for="id_description"') : body.index('id="id_description"')]
    assert "must be at most 65,536 characters" in block
    assert integration().description != "x" * 65_537


def test_a_mapping_row_without_a_target_is_refused_at_that_field(owner):
    rows = [{"source": "invoice.id", "target": "invoice.externalId"}, {"source": "invoice.tax", "target": ""}]
    body = owner.post(f"/integrations/{KEY}/edit/", form_data(integration(), mappings=rows)).content.decode()
    block = body[body.index('for="id_mappings-1-target"') : body.index('id="id_mappings-1-target"')]
    assert "a mapping needs a target field" in block
    assert integration().mappings.count() == 2


def test_an_edited_mapping_shows_in_the_history_diff(owner):
    rows = [
        {"source": "invoice.id", "target": "invoice.externalId", "required": True},
        {"source": "invoice.total", "target": "invoice.netAmount", "transform": "cents-to-decimal"},
    ]
    assert owner.post(f"/integrations/{KEY}/edit/", form_data(integration(), mappings=rows)).status_code == 302
    body = owner.get(f"/integrations/{KEY}/").content.decode()
    history = body[body.index('id="history-heading"') :]
    assert "<code>mappings[1].target</code>" in history
    assert '<td class="before">invoice.amount</td>' in history
    assert "invoice.netAmount</td>" in history
    assert "by ana.lopez@example.com via page" in " ".join(history.split())


def test_mappings_are_added_removed_and_reordered(owner):
    rows = [
        {"source": "invoice.id", "target": "invoice.externalId", "ORDER": 2},
        {"source": "invoice.total", "target": "invoice.amount", "DELETE": True},
        {"source": "invoice.currency", "target": "invoice.currency", "ORDER": 1},
    ]
    assert owner.post(f"/integrations/{KEY}/edit/", form_data(integration(), mappings=rows)).status_code == 302
    stored = [(m.position, m.source) for m in integration().mappings.all()]
    assert stored == [(0, "invoice.currency"), (1, "invoice.id")]


def test_clearing_every_mapping_makes_the_spec_incomplete(owner):
    rows = [{"source": "", "target": ""}]
    assert owner.post(f"/integrations/{KEY}/edit/", form_data(integration(), mappings=rows)).status_code == 302
    assert integration().mappings.count() == 0
    assert "mappings" in integration().missing_parts


def test_an_unchanged_save_records_nothing(owner):
    records = ChangeRecord.objects.count()
    response = owner.post(f"/integrations/{KEY}/edit/", form_data(integration()), follow=True)
    assert "Nothing changed" in response.content.decode()
    assert ChangeRecord.objects.count() == records


def test_the_edit_form_shows_the_stored_values(owner):
    body = owner.get(f"/integrations/{KEY}/edit/").content.decode()
    assert '<option value="chargebee" selected>' in body
    assert '<option value="ana.lopez@example.com" selected>' in body
    assert 'value="invoice.externalId"' in body


def test_an_admin_adds_an_integration_recorded_as_created(estate, client_for):
    data = form_data(None, key="stripe-payouts-to-netsuite", name="Stripe payouts", source="chargebee")
    data |= {"mappings-TOTAL_FORMS": "1", "mappings-0-source": "payout.id", "mappings-0-target": "deposit.externalId"}
    response = client_for("admin").post("/integrations/new/", data)
    assert response.status_code == 302
    created = Integration.objects.get(key="stripe-payouts-to-netsuite")
    assert created.source.key == "chargebee"
    assert [m.target for m in created.mappings.all()] == ["deposit.externalId"]
    record = ChangeRecord.objects.get(key="stripe-payouts-to-netsuite")
    assert (record.action, record.via, record.before) == ("create", "page", None)


def test_a_new_integration_key_is_checked_like_import(estate, client_for):
    response = client_for("admin").post("/integrations/new/", form_data(None, key="Stripe_Payouts"))
    assert "must be a lowercase slug" in response.content.decode()
    assert not Integration.objects.filter(key__iexact="stripe_payouts").exists()


def test_an_owner_adding_an_integration_must_name_themselves(estate, client_for):
    owner = client_for("other_owner")
    response = owner.post("/integrations/new/", form_data(None, key="mine", owner="ana.lopez@example.com"))
    assert "Name yourself as owner or backup owner" in response.content.decode()
    assert not Integration.objects.filter(key="mine").exists()


def test_posting_without_a_csrf_token_is_refused(estate, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["owner"])
    response = client.post(f"/integrations/{KEY}/edit/", form_data(integration(), name="Forged"))
    assert response.status_code == 403
    assert integration().name == "Chargebee invoices to NetSuite"


def test_choosing_another_health_kind_on_the_form_drops_the_json_settings(owner):
    """health.kind json is described in a spec file or the API; the form can still move the integration to
    another kind, and then the json settings go, as a spec without them would."""
    json_settings = {"items": "data", "fields": {"id": "id", "status": "state"}, "status_map": {"ok": "success"}}
    Integration.objects.filter(key=KEY).update(
        health_kind="json", health_url="https://runs.example.com/api/runs", health_json=json_settings
    )
    assert document_of(integration())["health"]["items"] == "data"
    response = owner.post(
        f"/integrations/{KEY}/edit/", form_data(integration(), health_kind="heartbeat", health_url="")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert (integration().health_kind, integration().health_json) == ("heartbeat", {})
    assert "items" not in document_of(integration())["health"]


def test_a_notify_entry_with_an_unknown_transport_shows_its_error_on_the_notify_field(owner):
    before = document_of(integration())
    response = owner.post(f"/integrations/{KEY}/edit/", form_data(integration(), error_notify="slack:#ok, sms:oncall"))
    assert response.status_code == 200
    assert "unknown transport" in " ".join(response.context["form"].errors["error_notify"])
    assert document_of(integration()) == before
