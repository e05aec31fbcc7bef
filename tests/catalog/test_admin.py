"""The Django admin applies the spec rules of import and records history like import."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from catalog.models import ChangeRecord, GoLive, Integration, PlatformAccount, ReviewSignOff, System

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "pw-123456789")
    client.force_login(user)
    return client


def integration_form(**overrides):
    data = {
        "key": "shopify-orders-to-netsuite",
        "name": "Shopify orders",
        "direction": "one-way",
        "data_objects": "[]",
        "lifecycle": "live",
        "phase": "go-live",
        "error_notify": "[]",
        "health_kind": "none",
        "sync_timezone": "UTC",  # what the add form shows, as a browser posts it
        "mappings-TOTAL_FORMS": "1",
        "mappings-INITIAL_FORMS": "0",
        "mappings-0-position": "0",
        "mappings-0-source": "order.id",
        "mappings-0-target": "salesOrder.externalId",
    }
    data.update(overrides)
    return data


def test_admin_rejects_a_key_import_would_reject(admin_client):
    response = admin_client.post("/admin/catalog/integration/add/", integration_form(key="Shopify_Orders"))
    assert response.status_code == 200
    assert "must be a lowercase slug" in response.content.decode()
    assert Integration.objects.count() == 0
    assert ChangeRecord.objects.count() == 0


def test_admin_rejects_http_health_without_a_url(admin_client):
    response = admin_client.post("/admin/catalog/integration/add/", integration_form(health_kind="http"))
    assert "is required when health.kind is http" in response.content.decode()
    assert Integration.objects.count() == 0


def test_admin_rejects_a_description_over_the_free_text_limit(admin_client):
    response = admin_client.post("/admin/catalog/integration/add/", integration_form(description="x" * 65_537))
    assert "must be at most 65,536 characters" in response.content.decode()
    assert Integration.objects.count() == 0


def test_admin_save_is_recorded_with_mappings_and_completeness(admin_client):
    response = admin_client.post("/admin/catalog/integration/add/", integration_form())
    assert response.status_code == 302
    integration = Integration.objects.get()
    record = ChangeRecord.objects.get()
    assert (record.via, record.action, record.key) == ("admin", "create", "shopify-orders-to-netsuite")
    assert record.after["mappings"] == [{"source": "order.id", "target": "salesOrder.externalId"}]
    assert record.actor.username == "root@example.com"
    assert "mappings" not in integration.missing_parts
    assert "systems" in integration.missing_parts


def test_change_history_cannot_be_edited_in_admin(admin_client):
    System.objects.create(key="netsuite")
    record = ChangeRecord.objects.create(
        at="2026-01-01T00:00Z", via="import", kind="System", key="netsuite", action="create"
    )
    assert admin_client.get(f"/admin/catalog/changerecord/{record.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/catalog/changerecord/add/").status_code == 403


def test_admin_refuses_a_platform_account_naming_a_variable_plumbline_reads(admin_client):
    form = {"key": "celigo-prod", "platform": "celigo", "base_url": "https://api.integrator.io"}
    response = admin_client.post("/admin/catalog/platformaccount/add/", {**form, "secret_env": "EMAIL_HOST_PASSWORD"})
    assert response.status_code == 200
    assert (
        "EMAIL_HOST_PASSWORD is a variable Plumbline itself reads, never a credential: "
        "keep the credential in PLUMBLINE_CRED_&lt;NAME&gt;"
    ) in response.content.decode()
    assert PlatformAccount.objects.count() == 0
    response = admin_client.post("/admin/catalog/platformaccount/add/", {**form, "secret_env": "PLUMBLINE_CRED_CELIGO"})
    assert response.status_code == 302
    assert PlatformAccount.objects.get().secret_env == "PLUMBLINE_CRED_CELIGO"


def test_review_signatures_are_evidence_the_admin_lists_but_cannot_edit(admin_client):
    golive = GoLive.objects.create(key="erp-go-live")
    signature = ReviewSignOff.objects.create(
        golive=golive, signed_by_email="cfo@example.com", signed_at="2026-04-01T09:00Z", notes="All agreed"
    )
    listing = admin_client.get("/admin/catalog/reviewsignoff/")
    assert listing.status_code == 200 and "cfo@example.com" in listing.content.decode()
    assert admin_client.get(f"/admin/catalog/reviewsignoff/{signature.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/catalog/reviewsignoff/add/").status_code == 403
