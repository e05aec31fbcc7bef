"""Hostile uploads: /upload/ reads files with the importer's own loader and limits, so each is
refused quickly with the file:line error import_specs gives, status 400, nothing written,
never a server error."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from catalog.models import ChangeRecord
from catalog.spec.exporter import iter_documents
from tests.catalog.test_import_hostile import billion_laughs

pytestmark = pytest.mark.django_db

GOOD = b"""\
apiVersion: plumbline/v1
kind: System
key: stripe
name: Stripe
"""


@pytest.fixture
def admin(estate, client_for):
    return client_for("admin")


def state() -> tuple[list, int]:
    return list(iter_documents()), ChangeRecord.objects.count()


def post(client, *files: tuple[str, bytes]):
    uploads = [SimpleUploadedFile(name, data, content_type="application/yaml") for name, data in files]
    return client.post("/upload/", {"spec_files": uploads})


def refused_with(response, message: str) -> None:
    body = response.content.decode()
    assert response.status_code == 400
    assert "nothing can be imported" in body
    assert f"<code>{escape(message)}</code>" in body
    assert 'name="apply"' not in body


def test_an_alias_bomb_is_refused_on_the_page(admin):
    before = state()
    response = post(admin, ("good.yaml", GOOD), ("bomb.yaml", billion_laughs(9).encode()))
    refused_with(response, "bomb.yaml:6: invalid YAML: aliases in this file repeat more than 100,000 nodes (at *lol4)")
    assert state() == before


def test_a_recursive_alias_is_refused_on_the_page(admin):
    before = state()
    refused_with(
        post(admin, ("loop.yaml", GOOD + b"vendor: &v [*v]\n")),
        "loop.yaml:5: invalid YAML: alias *v is inside its own anchor &v",
    )
    assert state() == before


def test_a_nul_byte_is_refused_on_the_page(admin):
    before = state()
    refused_with(
        post(admin, ("nul.yaml", GOOD + b"vendor: Str\x00ipe\n")),
        "nul.yaml:5: invalid YAML: character U+0000 is not allowed",
    )
    assert state() == before


def test_an_impossible_date_is_refused_at_its_field_on_the_page(admin):
    before = state()
    document = b"apiVersion: plumbline/v1\nkind: GoLive\nkey: big-bang\ndate: 2027-02-29\n"
    refused_with(
        post(admin, ("golive.yaml", document)),
        "golive.yaml:4: golive big-bang: date: must be a date (YYYY-MM-DD); 2027-02-29 is not a day of the calendar",
    )
    assert state() == before


def test_a_file_over_10_mb_is_refused_before_it_is_parsed(admin):
    before = state()
    response = post(admin, ("good.yaml", GOOD), ("huge.yaml", b"[" * (10 * 1024 * 1024 + 1)))
    refused_with(
        response, "huge.yaml:0: is larger than 10 MB (10,485,761 bytes), the most a spec file may hold; split it"
    )
    assert state() == before


def test_files_over_20_mb_together_are_refused_at_the_field(admin):
    half = b"#" * (10 * 1024 * 1024)
    response = post(admin, ("a.yaml", half), ("b.yaml", half), ("c.yaml", b"# one byte too many\n"))
    assert response.status_code == 400
    assert "the files add up to more than 20 MB" in response.content.decode()


def test_the_page_lists_the_first_500_errors_and_counts_them_all(admin):
    document = "apiVersion: plumbline/v1\nkind: System\nkey: s{n}\ncategory: nope\n"
    files = ("many.yaml", "---\n".join(document.format(n=n) for n in range(501)).encode())
    body = post(admin, files).content.decode()
    assert "501 errors: nothing can be imported" in body
    assert body.count("category: must be one of") == 500
    assert "501 in all; the first 500 are listed." in body
