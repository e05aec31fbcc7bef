"""Every page × every role: anonymous users go to the login page, users without a role and
users whose role does not allow the page get 403, and a refused write changes nothing."""

from __future__ import annotations

import pytest

from catalog.models import ChangeRecord, Integration
from catalog.spec.edits import document_of

pytestmark = pytest.mark.django_db

OWNED = "chargebee-invoices-to-netsuite"  # owner: ana (role owner), backup: sam (role owner)

READ_PAGES = [
    "/integrations/",
    "/integrations/?format=csv",
    f"/integrations/{OWNED}/",
    f"/integrations/{OWNED}/spec.yaml",
    "/systems/",
    "/systems/netsuite/",
    "/people/",
    "/people/ana.lopez@example.com/",
    "/me/",
]


@pytest.mark.parametrize("url", READ_PAGES)
def test_anonymous_reader_is_sent_to_the_login_page(estate, client_for, url):
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("url", READ_PAGES)
def test_user_without_a_role_may_not_read(estate, client_for, url):
    response = client_for("no_role").get(url)
    assert response.status_code == 403
    assert "You may not do that" in response.content.decode()


@pytest.mark.parametrize("who", ["viewer", "owner", "other_owner", "admin"])
@pytest.mark.parametrize("url", READ_PAGES)
def test_every_role_reads_every_page(estate, client_for, who, url):
    assert client_for(who).get(url).status_code == 200


# (who, may edit the Chargebee integration owned by ana and backed up by sam)
EDITORS = [
    (None, None),
    ("no_role", False),
    ("viewer", False),
    ("other_owner", False),
    ("owner", True),
    ("backup", True),
    ("admin", True),
]


def _expected(may: bool | None, allowed: int) -> int:
    return 302 if may is None else allowed if may else 403


@pytest.mark.parametrize(("who", "may"), EDITORS)
def test_edit_form_is_shown_only_to_its_owners_and_admins(estate, client_for, who, may):
    response = client_for(who).get(f"/integrations/{OWNED}/edit/")
    assert response.status_code == _expected(may, 200)


@pytest.mark.parametrize(("who", "may"), EDITORS)
def test_edit_is_saved_only_for_its_owners_and_admins(estate, client_for, who, may):
    from tests.pages.test_integration_edit import form_data

    integration = Integration.objects.get(key=OWNED)
    before, records = document_of(integration), ChangeRecord.objects.count()
    response = client_for(who).post(f"/integrations/{OWNED}/edit/", form_data(integration, name="Renamed"))
    assert response.status_code == _expected(may, 302)
    after = document_of(Integration.objects.get(key=OWNED))
    if may:
        assert after is not None and after["name"] == "Renamed"
        assert ChangeRecord.objects.count() == records + 1
    else:
        assert after == before
        assert ChangeRecord.objects.count() == records


@pytest.mark.parametrize(
    ("who", "may"),
    [(None, None), ("no_role", False), ("viewer", False), ("other_owner", True), ("admin", True)],
)
def test_new_integration_needs_the_owner_or_admin_role(estate, client_for, who, may):
    assert client_for(who).get("/integrations/new/").status_code == _expected(may, 200)


@pytest.mark.parametrize("who", ["viewer", "no_role"])
def test_refused_new_integration_writes_nothing(estate, client_for, who):
    count, records = Integration.objects.count(), ChangeRecord.objects.count()
    response = client_for(who).post("/integrations/new/", {"key": "sneaky", "direction": "one-way"})
    assert response.status_code == 403
    assert (Integration.objects.count(), ChangeRecord.objects.count()) == (count, records)


@pytest.mark.parametrize(
    ("who", "may"),
    [(None, None), ("no_role", False), ("viewer", False), ("owner", False), ("admin", True)],
)
def test_upload_is_for_admins_only(estate, client_for, who, may):
    assert client_for(who).get("/upload/").status_code == _expected(may, 200)


@pytest.mark.parametrize("who", ["viewer", "owner"])
def test_refused_upload_writes_nothing(estate, client_for, who):
    from tests.pages.test_upload import SYSTEM_YAML, upload_file

    response = client_for(who).post("/upload/", {"spec_files": upload_file("s.yaml", SYSTEM_YAML)})
    assert response.status_code == 403
    assert not ChangeRecord.objects.filter(key="stripe").exists()


@pytest.mark.parametrize(
    ("who", "shown"), [("viewer", False), ("other_owner", False), ("owner", True), ("admin", True)]
)
def test_edit_button_is_shown_only_to_those_who_may_edit(estate, client_for, who, shown):
    body = client_for(who).get(f"/integrations/{OWNED}/").content.decode()
    assert (f'href="/integrations/{OWNED}/edit/"' in body) is shown
