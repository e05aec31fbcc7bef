"""/integrations/<key>/: the spec grouped like the file format, missing parts in words,
the change history as readable diffs, and links to health and the YAML."""

from __future__ import annotations

import pytest
import yaml

from catalog.models import Integration
from catalog.spec.importer import import_sources

pytestmark = pytest.mark.django_db

COMPLETE = "chargebee-invoices-to-netsuite"
INCOMPLETE = "shopify-orders-to-netsuite"


@pytest.fixture
def viewer(estate, client_for):
    return client_for("viewer")


def _text(body: str) -> str:
    return " ".join(body.split())


def test_missing_parts_are_called_out_with_what_to_do(viewer):
    body = _text(viewer.get(f"/integrations/{INCOMPLETE}/").content.decode())
    assert "Spec completeness: 33%" in body
    assert "<strong>Missing: field mappings</strong> — add at least one mapping with source and target" in body
    assert "<strong>Missing: frequency</strong>" in body
    assert "<strong>Missing: maintenance</strong>" in body
    assert "Missing: owner" not in body


def test_a_complete_spec_says_so(viewer):
    body = viewer.get(f"/integrations/{COMPLETE}/").content.decode()
    assert "Spec completeness: 100%" in body
    assert "All six required parts are written" in body


def test_the_spec_is_grouped_like_the_file_format(viewer):
    body = viewer.get(f"/integrations/{COMPLETE}/").content.decode()
    headings = [
        "Systems",
        "Sync",
        "Error handling",
        "Connector and maintenance",
        "Ownership",
        "Phase two and workaround",
        "Field mappings",
        "Documentation",
        "Change history",
    ]
    positions = [body.index(f">{heading}</h2>") for heading in headings]
    assert positions == sorted(positions)
    assert "every 15 minutes" in body
    assert "<code>invoice.externalId</code>" in body
    assert "cents-to-decimal" in body


def test_links_to_health_and_the_spec_yaml(viewer):
    body = viewer.get(f"/integrations/{COMPLETE}/").content.decode()
    assert f'href="/integrations/{COMPLETE}/health/"' in body
    assert f'href="/integrations/{COMPLETE}/spec.yaml"' in body


def test_the_spec_yaml_is_the_exported_document_and_imports_back_unchanged(viewer):
    response = viewer.get(f"/integrations/{COMPLETE}/spec.yaml")
    text = response.content.decode()
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    doc = yaml.safe_load(text)
    assert (doc["kind"], doc["key"], doc["sync"]["interval_minutes"]) == ("Integration", COMPLETE, 15)
    report = import_sources([("spec.yaml", text)], dry_run=True)
    assert report.unchanged == [("Integration", COMPLETE)]


def test_the_change_history_shows_each_change_as_a_diff(viewer):
    changed = yaml.safe_load(viewer.get(f"/integrations/{COMPLETE}/spec.yaml").content)
    changed["sync"]["interval_minutes"] = 60
    import_sources([("edit.yaml", yaml.safe_dump(changed))])
    body = _text(viewer.get(f"/integrations/{COMPLETE}/").content.decode())
    history = body[body.index('id="history-heading"') :]
    assert history.index("<strong>Update</strong>") < history.index("<strong>Create</strong>")
    assert (
        '<th scope="row"><code>sync.interval_minutes</code></th><td class="before">15</td>'
        '<td class="after"><span aria-hidden="true">→ </span>60</td>'
    ) in history
    assert "UTC</time> via import" in history  # imported from the command line: no user to name


def test_an_unknown_integration_is_a_helpful_404(viewer):
    response = viewer.get("/integrations/no-such-thing/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "There is no integration with the key “no-such-thing”." in body
    assert 'href="/integrations/"' in body


def test_a_name_with_markup_is_shown_as_text(viewer):
    Integration.objects.filter(key=COMPLETE).update(name="<script>alert(1)</script>")
    body = viewer.get(f"/integrations/{COMPLETE}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_documentation_link_that_is_not_http_is_not_a_link(viewer):
    Integration.objects.filter(key=COMPLETE).update(documentation="javascript:alert(1)")
    body = viewer.get(f"/integrations/{COMPLETE}/").content.decode()
    assert 'href="javascript:' not in body
