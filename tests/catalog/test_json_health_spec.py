"""health.kind json in the spec: the expressions are compiled at import, a bad one is refused with its file and
line and nothing is written; a good block round-trips through export and the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from catalog.models import Integration
from catalog.spec.importer import ImportFailed, import_paths, import_sources
from plumbline.accounts.roles import assign_role
from tests.catalog.conftest import snapshot

pytestmark = pytest.mark.django_db

ACCOUNT = """
apiVersion: plumbline/v1
kind: PlatformAccount
key: airbyte-cloud
platform: json
base_url: https://api.airbyte.com
secret_env: PLUMBLINE_CRED_AIRBYTE
---
"""

JSON_INTEGRATION = """
apiVersion: plumbline/v1
kind: Integration
key: hubspot-to-warehouse
name: HubSpot to the warehouse
health:
  kind: json
  grace_minutes: 30
  account: airbyte-cloud
  path: /v1/jobs?connectionId=9d1e&jobType=sync&orderBy=createdAt%7CDESC
  items: data
  fields:
    id: jobId
    status: status
    started_at: startTime
    finished_at: lastUpdatedAt
    records_out: rowsSynced
  status_map:
    succeeded: success
    failed: failed
    running: running
    pending: running
    "1": success
  next: next
  failed_records: "errors[].{key: id, error: message}"
"""


def failing_import(paths) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        import_paths([str(p) for p in paths])
    return [str(error) for error in caught.value.errors]


def test_a_json_health_block_is_stored_in_health_json(write_spec):
    import_paths([write_spec("estate.yaml", ACCOUNT + JSON_INTEGRATION)])
    integration = Integration.objects.get(key="hubspot-to-warehouse")
    assert integration.health_kind == "json"
    assert integration.health_json == {
        "path": "/v1/jobs?connectionId=9d1e&jobType=sync&orderBy=createdAt%7CDESC",
        "items": "data",
        "fields": {
            "id": "jobId",
            "status": "status",
            "started_at": "startTime",
            "finished_at": "lastUpdatedAt",
            "records_out": "rowsSynced",
        },
        "status_map": {
            "succeeded": "success",
            "failed": "failed",
            "running": "running",
            "pending": "running",
            "1": "success",
        },
        "next": "next",
        "failed_records": "errors[].{key: id, error: message}",
    }


def test_a_json_health_block_exports_as_written_and_reimports_unchanged(write_spec, tmp_path):
    import_paths([write_spec("estate.yaml", ACCOUNT + JSON_INTEGRATION)])
    call_command("export_specs", str(tmp_path / "out"))
    exported = yaml.safe_load((tmp_path / "out" / "integrations" / "hubspot-to-warehouse.yaml").read_text())
    assert exported["health"] == yaml.safe_load(JSON_INTEGRATION)["health"]
    assert list(exported["health"]) == list(yaml.safe_load(JSON_INTEGRATION)["health"])  # spec-format order
    report = import_paths([tmp_path / "out"])
    assert report.created == [] and report.updated == []


def test_a_json_health_block_round_trips_through_the_api(write_spec):
    import_paths([write_spec("estate.yaml", ACCOUNT + JSON_INTEGRATION)])
    user = get_user_model().objects.create_user("admin@example.com", "admin@example.com", "pw-0123456789")
    assign_role(user, "admin")
    api = APIClient()
    api.force_authenticate(user)
    url = "/api/v1/integrations/hubspot-to-warehouse/"
    got = api.get(url).json()
    assert got["health"]["fields"]["status"] == "status"
    assert got["health"]["status_map"]["pending"] == "running"
    assert api.put(url, got, format="json").status_code == 200
    assert Integration.objects.get(key="hubspot-to-warehouse").health_json["items"] == "data"
    got["health"]["fields"]["status"] = "status[0"
    refused = api.put(url, got, format="json")
    assert refused.status_code == 400
    assert "is not a valid JMESPath expression" in refused.json()["health.fields.status"][0]


def test_a_bad_expression_is_refused_with_its_file_and_line_and_nothing_is_written(write_spec, stored_estate):
    bad = write_spec("json.yaml", ACCOUNT + JSON_INTEGRATION.replace("status: status\n", "status: status[0\n"))
    assert failing_import([bad]) == [
        f"{bad}:21: integration hubspot-to-warehouse: health.fields.status: is not a valid JMESPath expression: "
        "it ends too early at character 9 (got 'status[0')"
    ]
    assert snapshot() == stored_estate


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "message"),
    [
        ("items: data", "items: 'data[?'", 18, "health.items", "is not a valid JMESPath expression"),
        (
            "next: next",
            "next: '`next'",
            31,
            "health.next",
            "is not a valid JMESPath expression: Unclosed ` delimiter at character 1",
        ),
        (
            "errors[].{key: id, error: message}",
            "errors[].{key: }",
            32,
            "health.failed_records",
            "is not a valid JMESPath expression: unexpected token '}'",
        ),
        ("    records_out: rowsSynced", "    rows: rowsSynced", 24, "health.fields.rows", "unknown run field"),
        ("    id: jobId\n", "", 19, "health.fields.id", "is required"),
        ("    pending: running", "    pending: queued", 29, "health.status_map.pending", "must be one of success"),
        (
            "  path: /v1/jobs",
            "  path: https://elsewhere.example/v1/jobs",
            17,
            "health.path",
            "must be a path starting with a single",
        ),
    ],
)
def test_each_bad_part_is_named_at_its_own_line(write_spec, old, new, line, field, message):
    bad = write_spec("json.yaml", ACCOUNT + JSON_INTEGRATION.replace(old, new))
    errors = failing_import([bad])
    assert len(errors) == 1, errors
    error = errors[0]
    assert error.startswith(f"{bad}:{line}: integration hubspot-to-warehouse: {field}: {message}")
    assert not Integration.objects.filter(key="hubspot-to-warehouse").exists()


def test_kind_json_requires_items_fields_and_status_map(write_spec):
    bad = write_spec(
        "json.yaml",
        """
        apiVersion: plumbline/v1
        kind: Integration
        key: bare-json
        health:
          kind: json
          url: https://runs.example.com/api/runs
        """,
    )
    assert failing_import([bad]) == [
        f"{bad}:4: integration bare-json: health.fields: is required when health.kind is json",
        f"{bad}:4: integration bare-json: health.items: is required when health.kind is json",
        f"{bad}:4: integration bare-json: health.status_map: is required when health.kind is json",
    ]


def test_json_only_keys_are_refused_on_other_kinds(write_spec):
    bad = write_spec(
        "http.yaml",
        """
        apiVersion: plumbline/v1
        kind: Integration
        key: status-page
        health:
          kind: http
          url: https://runs.example.com/status
          items: data
        """,
    )
    assert failing_import([bad]) == [
        f"{bad}:7: integration status-page: health.items: is only for health.kind json, not http"
    ]


def test_a_json_account_needs_a_path_and_a_url_source_takes_none(write_spec):
    no_path = write_spec("a.yaml", ACCOUNT + JSON_INTEGRATION.replace("  path: /v1/jobs", "  ref: /v1/jobs"))
    errors = failing_import([no_path])
    assert any("health.path: is required with health.account" in e for e in errors)
    assert any("health.ref: is not read when health.kind is json" in e for e in errors)
    both = write_spec(
        "b.yaml", ACCOUNT + JSON_INTEGRATION.replace("  account:", "  url: https://x.example.com/r\n  account:")
    )
    assert any("health.account: give url or account with path, not both" in e for e in failing_import([both]))


def test_a_json_integration_may_not_use_an_account_of_a_platform(write_spec):
    celigo = ACCOUNT.replace("platform: json", "platform: celigo")
    [error] = failing_import([write_spec("c.yaml", celigo + JSON_INTEGRATION)])
    assert error.endswith("health.account: is a celigo account but health.kind is json")


def test_the_worked_examples_in_the_docs_import():
    text = (Path(__file__).resolve().parents[2] / "docs" / "json-health.md").read_text()
    examples = [block for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL) if block.startswith("apiVersion")]
    assert len(examples) == 3
    report = import_sources([(f"example-{n}.yaml", block) for n, block in enumerate(examples, start=1)])
    assert len(report.created) == 6
    stored = Integration.objects.filter(health_kind="json").order_by("key")
    assert [(i.key, i.health_json["items"]) for i in stored] == [
        ("coupa-invoices-to-netsuite", "@"),
        ("hubspot-to-warehouse", "data"),
        ("salesforce-accounts-to-sap", "response_map.entries"),
    ]
