"""POST /api/v1/integrations/<key>/reviewed/: the owner, backup owner or an admin confirms the spec
is still accurate, as on the page and through the reminder's link; others get 403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from catalog.models import ChangeRecord, Integration
from tests.api.conftest import BACKED_UP_INTEGRATION, OTHER_INTEGRATION, OWN_INTEGRATION, OWNER_EMAIL

pytestmark = pytest.mark.django_db


def url(key: str) -> str:
    return f"/api/v1/integrations/{key}/reviewed/"


def confirmations(key: str) -> int:
    return ChangeRecord.objects.filter(key=key, note="confirmed still accurate").count()


def test_the_owner_confirms_and_gets_the_document_with_today_s_date(estate, api):
    response = api("owner").post(url(OWN_INTEGRATION))
    assert response.status_code == 200, response.content
    today = timezone.localdate()
    assert response.json()["reviewed_at"] == today.isoformat()
    assert response.json()["key"] == OWN_INTEGRATION
    assert Integration.objects.get(key=OWN_INTEGRATION).reviewed_at == today


def test_the_confirmation_is_recorded_in_the_history_via_the_api_with_the_user(estate, api):
    api("owner").post(url(OWN_INTEGRATION))
    record = ChangeRecord.objects.filter(key=OWN_INTEGRATION).latest("at")
    assert (record.actor.email, record.via, record.note) == (OWNER_EMAIL, "api", "confirmed still accurate")
    assert (record.before["reviewed_at"], record.after["reviewed_at"]) == (
        "2026-09-01",
        timezone.localdate().isoformat(),
    )
    history = api("viewer").get(f"/api/v1/integrations/{OWN_INTEGRATION}/history/").json()["results"]
    assert history[0]["via"] == "api"


def test_the_backup_owner_may_confirm(estate, api):
    assert api("owner").post(url(BACKED_UP_INTEGRATION)).status_code == 200
    assert Integration.objects.get(key=BACKED_UP_INTEGRATION).reviewed_at == timezone.localdate()


def test_an_admin_may_confirm_any(estate, api):
    assert api("admin").post(url(OTHER_INTEGRATION)).status_code == 200


@pytest.mark.parametrize("actor", ["viewer", "read_only_token"])
def test_a_viewer_or_a_read_only_token_gets_403_and_nothing_changes(estate, api, actor):
    response = api(actor).post(url(OWN_INTEGRATION))
    assert response.status_code == 403
    assert Integration.objects.get(key=OWN_INTEGRATION).reviewed_at == dt.date(2026, 9, 1)
    assert confirmations(OWN_INTEGRATION) == 0


def test_an_owner_of_something_else_gets_403(estate, api):
    assert api("owner").post(url(OTHER_INTEGRATION)).status_code == 403
    assert confirmations(OTHER_INTEGRATION) == 0


def test_anonymous_is_refused(estate, api):
    assert api("anonymous").post(url(OWN_INTEGRATION)).status_code in (401, 403)


def test_an_owner_s_token_may_confirm(estate, api):
    assert api("owner_token").post(url(OWN_INTEGRATION)).status_code == 200


def test_an_unknown_integration_is_404(estate, api):
    assert api("admin").post(url("no-such-integration")).status_code == 404


def test_confirming_twice_a_day_records_it_once(estate, api):
    client = api("owner")
    assert client.post(url(OWN_INTEGRATION)).status_code == 200
    assert client.post(url(OWN_INTEGRATION)).status_code == 200
    assert confirmations(OWN_INTEGRATION) == 1


def test_get_is_not_allowed(estate, api):
    assert api("owner").get(url(OWN_INTEGRATION)).status_code == 405


def test_the_action_is_in_the_openapi_schema(estate, api):
    schema = api("viewer").get("/api/v1/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/integrations/{key}/reviewed/"]["post"]
    assert "still accurate" in operation["description"]
