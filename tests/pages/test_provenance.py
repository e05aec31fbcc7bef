"""Which copy wins: an import says when it replaces a change made in Plumbline; the spec YAML says which copy
is newer; with PLUMBLINE_SPECS_FROM_GIT the files own what they imported (pages and API refuse to change it)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from catalog.models import ChangeRecord, Integration
from catalog.spec.importer import import_paths
from tests.pages.estate import ESTATE
from tests.pages.test_integration_edit import KEY, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(tmp_path: Path, users: dict[str, Any]) -> Path:
    """The page estate, imported from a file (so its documents name that file)."""
    path = tmp_path / "specs" / "estate.yaml"
    path.parent.mkdir()
    path.write_text(ESTATE, encoding="utf-8")
    import_paths([path])
    return path


def run_import(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_specs", str(path), *args, stdout=out)
    return out.getvalue()


def edited_in_the_browser(client_for: Any) -> None:
    owner = client_for("owner")
    integration = Integration.objects.get(key=KEY)
    assert owner.post(f"/integrations/{KEY}/edit/", form_data(integration, interval_minutes=30)).status_code == 302


def test_an_import_records_the_file_each_document_came_from(imported):
    record = ChangeRecord.objects.filter(kind="Integration", key=KEY).get()
    assert (record.via, record.note) == ("import", f"from {imported}")


def test_an_import_that_replaces_a_browser_change_says_so_in_the_dry_run_and_the_real_run(imported, client_for):
    edited_in_the_browser(client_for)
    dry = run_import(imported, "--dry-run")
    warning = [line for line in dry.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1
    assert warning[0].startswith(
        f"warning: integration {KEY} was last changed in the browser by ana.lopez@example.com on "
    )
    assert warning[0].endswith("; this import would replace that change")
    assert Integration.objects.get(key=KEY).interval_minutes == 30  # the dry run wrote nothing

    real = run_import(imported)
    assert "this import replaced that change" in real
    assert Integration.objects.get(key=KEY).interval_minutes == 15
    # Now the file's copy is the last change: importing again warns of nothing.
    assert "warning:" not in run_import(imported, "--dry-run")


def test_an_import_over_an_import_warns_of_nothing(imported):
    assert "warning:" not in run_import(imported, "--dry-run")


def test_the_upload_dry_run_lists_what_it_would_replace(imported, client_for):
    edited_in_the_browser(client_for)
    admin = client_for("admin")
    with imported.open("rb") as upload:
        page = admin.post("/upload/", {"spec_files": upload}).content.decode()
    assert "changed in Plumbline since" in page
    assert f"<code>{KEY}</code>: last changed in the browser by ana.lopez@example.com" in page


def test_the_spec_yaml_says_which_copy_is_newer(imported, client_for):
    viewer = client_for("viewer")
    text = viewer.get(f"/integrations/{KEY}/spec.yaml").content.decode()
    assert f"# This copy was last imported from {imported} on " in text
    edited_in_the_browser(client_for)
    text = viewer.get(f"/integrations/{KEY}/spec.yaml").content.decode()
    assert "# This copy was last changed in the browser by ana.lopez@example.com on " in text
    assert "# The next import of a file holding this key replaces it; export it to keep the change." in text


def test_with_specs_from_git_imported_documents_are_read_only_in_pages_and_api(imported, client_for, users, settings):
    settings.PLUMBLINE_SPECS_FROM_GIT = True
    owner = client_for("owner")
    page = owner.get(f"/integrations/{KEY}/edit/")
    assert page.status_code == 403
    assert f"This document is kept in {imported}" in page.content.decode()
    integration = Integration.objects.get(key=KEY)
    assert owner.post(f"/integrations/{KEY}/edit/", form_data(integration, interval_minutes=30)).status_code == 403
    admin = client_for("admin")
    assert admin.get("/systems/netsuite/edit/").status_code == 403

    api = APIClient()
    api.force_authenticate(users["admin"])
    patch = api.patch(f"/api/v1/integrations/{KEY}/", {"sync": {"interval_minutes": 30}}, format="json")
    assert patch.status_code == 403
    assert f"kept in {imported}" in patch.json()["detail"]
    assert api.delete(f"/api/v1/integrations/{KEY}/").status_code == 403
    assert Integration.objects.get(key=KEY).interval_minutes == 15
    assert (
        "PLUMBLINE_SPECS_FROM_GIT is on" in client_for("viewer").get(f"/integrations/{KEY}/spec.yaml").content.decode()
    )


def test_with_specs_from_git_a_document_last_changed_in_the_app_stays_editable(imported, client_for, settings):
    edited_in_the_browser(client_for)
    settings.PLUMBLINE_SPECS_FROM_GIT = True
    assert client_for("owner").get(f"/integrations/{KEY}/edit/").status_code == 200


def test_without_specs_from_git_imported_documents_stay_editable(imported, client_for):
    assert client_for("owner").get(f"/integrations/{KEY}/edit/").status_code == 200
