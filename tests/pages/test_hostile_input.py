"""Pages refuse input no database can store with a 400 naming it, and write nothing: a NUL
character in the address, the query or a form field (PostgreSQL can neither store nor compare
it), and page sizes that are not numbers. Lone surrogates cannot reach a page: Django decodes
query strings and forms with replacement characters."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.forms import IntegrationForm, MappingForm
from catalog.models import ChangeRecord, Integration, StoredFinding, Waiver
from catalog.rules.store import refresh_findings
from catalog.spec.edits import document_of
from tests.pages.test_integration_edit import form_data

pytestmark = pytest.mark.django_db

OWNED = "chargebee-invoices-to-netsuite"
NUL = "contains a NUL character (\\u0000), which cannot be stored"


def stored() -> tuple[dict[str, Any] | None, int]:
    return document_of(Integration.objects.get(key=OWNED)), ChangeRecord.objects.count()


def shown_errors(response: Any) -> str:
    return response.content.decode()


def test_nul_in_a_list_filter_is_a_400_page_naming_it(estate, client_for):
    response = client_for("viewer").get("/integrations/", {"owner": "ana\x00@example.com"})
    assert response.status_code == 400
    assert "<code>owner</code>: contains a NUL character" in shown_errors(response)


def test_nul_in_the_address_is_a_400_page_naming_the_parameter(estate, client_for):
    response = client_for("viewer").get("/people/ana%00lopez@example.com/")
    assert response.status_code == 400
    assert "<code>email</code>: contains a NUL character" in shown_errors(response)


@pytest.mark.parametrize("size", ["²", "9" * 5000, "0"])
def test_a_page_size_that_is_not_a_number_is_a_400_page(estate, client_for, size):
    response = client_for("viewer").get("/integrations/", {"page_size": size})
    assert response.status_code == 400
    assert "<code>page_size</code>: must be a number from 1 to 200" in shown_errors(response)


def test_nul_in_an_edit_form_field_is_400_and_saves_nothing(estate, client_for):
    before = stored()
    data = form_data(Integration.objects.get(key=OWNED), description="first line\x00")
    response = client_for("owner").post(f"/integrations/{OWNED}/edit/", data)
    assert response.status_code == 400
    assert "<code>description</code>: contains a NUL character" in shown_errors(response)
    assert stored() == before


def test_nul_in_a_person_choice_is_400_before_it_is_looked_up(estate, client_for):
    # A ModelChoiceField queries with what was posted: PostgreSQL would fail on the NUL.
    before = stored()
    data = form_data(Integration.objects.get(key=OWNED), owner="ana.lopez@example.com\x00")
    response = client_for("owner").post(f"/integrations/{OWNED}/edit/", data)
    assert response.status_code == 400
    assert "<code>owner</code>: contains a NUL character" in shown_errors(response)
    assert stored() == before


def test_nul_in_a_waiver_reason_is_400_and_waives_nothing(estate, client_for):
    refresh_findings()
    finding = StoredFinding.objects.first()
    assert finding is not None
    response = client_for("admin").post(
        f"/findings/{finding.pk}/waive/", {"reason": "known\x00", "expires_on": "2099-01-01"}
    )
    assert response.status_code == 400
    assert "<code>reason</code>: contains a NUL character" in shown_errors(response)
    assert not Waiver.objects.exists()


# The forms themselves, without the middleware in front: Django's CharField refuses NUL, and
# the spec checks behind SpecForm refuse it where a field is not a plain CharField.


def test_the_edit_form_refuses_nul_in_a_text_field(estate):
    integration = Integration.objects.get(key=OWNED)
    form = IntegrationForm(form_data(integration, description="first line\x00"), instance=integration)
    assert not form.is_valid()
    assert form.errors["description"] == ["Null characters are not allowed."]


def test_the_edit_form_refuses_nul_in_a_list_of_text(estate):
    # TextListField cleans to a list, which Django's NUL validator does not look inside.
    integration = Integration.objects.get(key=OWNED)
    form = IntegrationForm(form_data(integration, data_objects="invoice, credit\x00note"), instance=integration)
    assert not form.is_valid()
    assert form.errors["data_objects"] == [f"item 2 {NUL}"]


def test_a_mapping_row_refuses_nul(estate):
    form = MappingForm({"source": "invoice.id", "target": "invoice\x00.externalId"})
    assert not form.is_valid()
    assert form.errors["target"] == ["Null characters are not allowed."]
