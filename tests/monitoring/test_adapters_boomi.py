"""The Boomi adapter against a stand-in AtomSphere Platform API (ExecutionRecord query/queryMore)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging

import pytest

from monitoring.platforms import outbound
from monitoring.platforms.boomi import adapter as boomi
from monitoring.platforms.contract import (
    DiscoveredProcess,
    FailedRecordObservation,
    PollError,
    PollResult,
    PollTarget,
    ResolvedObservation,
    RunObservation,
)
from tests.monitoring.standins import Answer, BoomiStandIn

ACCOUNT = "acme-AB12CD"
USER = "BOOMI_TOKEN.ana@example.com"
TOKEN = "7f3c-boomi-api-token"
ENV = "PLUMBLINE_CRED_TEST_BOOMI"


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, f"{USER}:{TOKEN}")


def execution(execution_id: str, time: str, status: str = "COMPLETE", process: str = "proc-1", **extra) -> dict:
    return {
        "@type": "ExecutionRecord",
        "executionId": execution_id,
        "account": ACCOUNT,
        "executionTime": time,
        "status": status,
        "executionType": "exec_sched",
        "processName": "Invoices to NetSuite",
        "processId": process,
        "atomName": "prod-atom",
        "atomId": "atom-1",
        "inboundDocumentCount": 4,
        "inboundErrorDocumentCount": 0,
        "outboundDocumentCount": 4,
        "executionDuration": ["Long", 1500],
        **extra,
    }


def standin(executions, **kwargs) -> BoomiStandIn:
    return BoomiStandIn(account_id=ACCOUNT, user=USER, token=TOKEN, executions=executions, **kwargs)


def cursor_of(result: PollResult) -> dict:
    assert result.cursor is not None
    return json.loads(result.cursor)


def target(base_url: str, cursor: str | None = None, **kwargs) -> PollTarget:
    fields = {"ref": "proc-1", "base_url": base_url, "account_id": ACCOUNT, "secret_env": ENV, "cursor": cursor}
    return PollTarget(kind="boomi", **{**fields, **kwargs})


FIVE = [
    execution("execution-1", "2026-05-01T10:00:00Z"),
    execution("execution-2", "2026-05-01T10:15:00Z", inboundDocumentCount=["Long", 7], outboundDocumentCount=7),
    execution("execution-3", "2026-05-01T10:30:00Z", "COMPLETE_WARN"),
    execution("execution-4", "2026-05-01T10:45:00Z", inboundErrorDocumentCount=["Long", 2]),
    execution("execution-5", "2026-05-01T11:00:00Z", "ERROR", message="Connection refused"),
    execution("execution-other", "2026-05-01T11:05:00Z", process="proc-2"),
]


def test_executions_are_read_across_query_and_query_more_pages(outbound_client):
    server = standin(FIVE)
    with server as base_url:
        result = boomi.poll(target(base_url), outbound_client)
    assert [r.external_id for r in result.runs] == [f"execution-{i}" for i in range(1, 6)]
    executions = server.requests_to(f"/api/rest/v1/{ACCOUNT}/ExecutionRecord")
    assert [r.path.rsplit("/", 1)[1] for r in executions] == ["query", "queryMore", "queryMore"]
    assert executions[1].body == b"EXAMPLE-TOKEN-1"
    assert executions[1].headers["content-type"] == "text/plain"
    expected_auth = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
    assert {r.headers["authorization"] for r in server.requests} == {expected_auth}
    assert executions[0].headers["accept"] == "application/json"
    assert executions[0].json() == {
        "QueryFilter": {"expression": {"argument": ["proc-1"], "operator": "EQUALS", "property": "processId"}},
        "QuerySort": {"sortField": [{"fieldName": "executionTime", "sortOrder": "ASC"}]},
    }


def test_an_execution_becomes_a_run_with_counts_times_and_message(outbound_client):
    with standin([execution("execution-9", "2026-05-01T10:00:00Z", "ERROR", message="Map failed")]) as base_url:
        result = boomi.poll(target(base_url), outbound_client)
    started = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
    assert result.runs == [
        RunObservation(
            external_id="execution-9",
            status="failed",
            started_at=started,
            finished_at=started + dt.timedelta(milliseconds=1500),
            records_in=4,
            records_out=4,
            records_failed=0,
            message="Map failed",
        )
    ]


@pytest.mark.parametrize(
    ("status", "extra", "expected"),
    [
        ("COMPLETE", {}, "success"),
        ("COMPLETE", {"inboundErrorDocumentCount": 3}, "failed"),
        ("COMPLETE", {"inboundErrorDocumentCount": ["Long", 2]}, "failed"),
        ("COMPLETE_WARN", {}, "failed"),
        ("ERROR", {}, "failed"),
        ("ABORTED", {}, "failed"),
        ("DISCARDED", {}, "failed"),
        ("INPROCESS", {}, "running"),
        ("STARTED", {}, "running"),
        ("ENQUEUED", {}, "running"),
    ],
)
def test_boomi_statuses_map_to_run_statuses(outbound_client, status, extra, expected):
    with standin([execution("execution-1", "2026-05-01T10:00:00Z", status, **extra)]) as base_url:
        assert boomi.poll(target(base_url), outbound_client).runs[0].status == expected


def test_counts_may_be_plain_numbers_or_long_pairs(outbound_client):
    record = execution("e", "2026-05-01T10:00:00Z", inboundDocumentCount=["Long", 12], outboundDocumentCount=11)
    record["inboundErrorDocumentCount"] = ["Long", 1]
    with standin([record]) as base_url:
        run = boomi.poll(target(base_url), outbound_client).runs[0]
    assert (run.records_in, run.records_out, run.records_failed) == (12, 11, 1)


def test_the_cursor_is_the_latest_execution_time_and_a_repeat_poll_returns_nothing(outbound_client):
    server = standin(FIVE)
    with server as base_url:
        first = boomi.poll(target(base_url), outbound_client)
        second = boomi.poll(target(base_url, cursor=first.cursor), outbound_client)
    assert cursor_of(first) == {"after": "2026-05-01T11:00:00Z", "open": []}
    assert second.runs == []
    assert second.cursor == first.cursor
    last_query = server.requests_to(f"/api/rest/v1/{ACCOUNT}/ExecutionRecord/query")[-1]
    since = last_query.json()["QueryFilter"]["expression"]["nestedExpression"][1]
    assert since == {"argument": ["2026-05-01T11:00:00Z"], "operator": "GREATER_THAN", "property": "executionTime"}


def test_a_cursor_earlier_versions_stored_as_a_bare_time_is_read(outbound_client):
    with standin(FIVE) as base_url:
        result = boomi.poll(target(base_url, cursor="2026-05-01T10:30:00Z"), outbound_client)
    assert [r.external_id for r in result.runs] == ["execution-4", "execution-5"]


def test_a_poll_from_the_cursor_returns_only_later_executions(outbound_client):
    server = standin(FIVE[:2])
    with server as base_url:
        cursor = boomi.poll(target(base_url), outbound_client).cursor
        server.executions.append(execution("execution-3", "2026-05-01T10:30:00Z"))
        result = boomi.poll(target(base_url, cursor=cursor), outbound_client)
    assert [r.external_id for r in result.runs] == ["execution-3"]


def test_an_execution_still_running_is_looked_at_again_by_id(outbound_client):
    server = standin([execution("e-1", "2026-05-01T10:00:00Z", "INPROCESS"), execution("e-2", "2026-05-01T10:05:00Z")])
    with server as base_url:
        first = boomi.poll(target(base_url), outbound_client)
        assert cursor_of(first) == {"after": "2026-05-01T10:05:00Z", "open": ["e-1"]}
        server.executions[0]["status"] = "COMPLETE"
        second = boomi.poll(target(base_url, cursor=first.cursor), outbound_client)
    assert [(r.external_id, r.status) for r in second.runs] == [("e-1", "success")]
    assert cursor_of(second) == {"after": "2026-05-01T10:05:00Z", "open": []}
    again = server.requests_to(f"/api/rest/v1/{ACCOUNT}/ExecutionRecord/query")[-1].json()
    assert again == {
        "QueryFilter": {
            "expression": {
                "operator": "and",
                "nestedExpression": [
                    {"argument": ["proc-1"], "operator": "EQUALS", "property": "processId"},
                    {"argument": ["e-1"], "operator": "EQUALS", "property": "executionId"},
                ],
            }
        }
    }


def test_a_long_running_execution_does_not_hold_back_the_executions_after_it(outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)  # four executions a poll, at page_size 2
    executions = [execution("e-0", "2026-05-01T09:00:00Z", "INPROCESS")]
    executions += [execution(f"e-{n}", f"2026-05-01T10:{n:02}:00Z") for n in range(1, 10)]
    server = standin(executions)
    seen: set[str] = set()
    cursor = None
    with server as base_url:
        for _ in range(4):
            result = boomi.poll(target(base_url, cursor=cursor), outbound_client)
            seen.update(r.external_id for r in result.runs)
            cursor = result.cursor
    assert seen == {e["executionId"] for e in executions}
    assert cursor_of(result)["open"] == ["e-0"]


def test_executions_beyond_the_page_bound_are_read_next_poll(outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)
    server = standin(FIVE)
    with server as base_url:
        first = boomi.poll(target(base_url), outbound_client)
        second = boomi.poll(target(base_url, cursor=first.cursor), outbound_client)
    assert len(server.requests_to(f"/api/rest/v1/{ACCOUNT}/ExecutionRecord")) == 3
    assert [r.external_id for r in first.runs] == ["execution-1", "execution-2", "execution-3", "execution-4"]
    assert cursor_of(first)["after"] == "2026-05-01T10:44:59Z"  # the last second read is read again
    assert [r.external_id for r in second.runs] == ["execution-4", "execution-5"]


def test_executions_sharing_the_last_second_read_are_not_skipped(outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)
    times = ["10:00:00", "10:00:01", "10:00:02", "10:00:03", "10:00:03", "10:00:03"]
    server = standin([execution(f"e-{n}", f"2026-05-01T{t}Z") for n, t in enumerate(times)])
    with server as base_url:
        first = boomi.poll(target(base_url), outbound_client)
        second = boomi.poll(target(base_url, cursor=first.cursor), outbound_client)
    assert {r.external_id for r in (*first.runs, *second.runs)} == {f"e-{n}" for n in range(6)}


def test_pages_cut_at_the_bound_and_not_in_time_order_are_a_poll_error(outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)
    times = ["10:05:00", "10:00:00", "10:01:00", "10:02:00", "10:03:00"]
    server = standin([execution(f"e-{n}", f"2026-05-01T{t}Z") for n, t in enumerate(times)], sorts=False)
    with server as base_url, pytest.raises(PollError, match="not sorted by executionTime"):
        boomi.poll(target(base_url), outbound_client)


def test_results_not_in_time_order_are_fine_when_every_page_was_read(outbound_client):
    times = ["10:05:00", "10:00:00", "10:01:00"]
    server = standin([execution(f"e-{n}", f"2026-05-01T{t}Z") for n, t in enumerate(times)], sorts=False)
    with server as base_url:
        result = boomi.poll(target(base_url), outbound_client)
    assert [r.external_id for r in result.runs] == ["e-1", "e-2", "e-0"]
    assert cursor_of(result)["after"] == "2026-05-01T10:05:00Z"


def test_refused_credentials_are_a_poll_error_without_the_secret(outbound_client, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(ENV, f"{USER}:wrong-secret-value")
    with standin(FIVE) as base_url, pytest.raises(PollError, match="credentials refused") as raised:
        boomi.poll(target(base_url), outbound_client)
    assert "wrong-secret-value" not in str(raised.value)
    assert "wrong-secret-value" not in caplog.text
    assert TOKEN not in caplog.text


def test_the_secret_is_read_from_the_environment_at_call_time(outbound_client, monkeypatch):
    with standin(FIVE) as base_url:
        monkeypatch.delenv(ENV)
        with pytest.raises(PollError, match=f"environment variable {ENV} is not set"):
            boomi.poll(target(base_url), outbound_client)
        monkeypatch.setenv(ENV, f"{USER}:{TOKEN}")
        assert len(boomi.poll(target(base_url), outbound_client).runs) == 5


def test_a_secret_without_user_and_token_is_a_poll_error_that_does_not_show_it(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, "just-a-token-value")
    with standin(FIVE) as base_url, pytest.raises(PollError, match="must hold 'user:token'") as raised:
        boomi.poll(target(base_url), outbound_client)
    assert "just-a-token-value" not in str(raised.value)


def test_a_missing_account_id_is_a_poll_error(outbound_client):
    with pytest.raises(PollError, match="needs a base_url and an account_id"):
        boomi.poll(target("http://127.0.0.1:9", account_id=""), outbound_client)


@pytest.mark.parametrize(
    ("record", "complaint"),
    [
        (execution("e", "2026-05-01T10:00:00Z", "PAUSED"), "unknown status 'PAUSED'"),
        (execution("e", "2026-05-01T10:00:00Z", inboundDocumentCount="many"), "inboundDocumentCount must be"),
        (execution("e", "2026-05-01T10:00:00Z", inboundErrorDocumentCount=["Long", -1]), "must be a non-negative"),
        (execution("e", "not a time"), "executionTime must be an ISO 8601 timestamp"),
        ({**execution("e", "2026-05-01T10:00:00Z"), "executionId": None}, "executionId must be"),
    ],
)
def test_a_malformed_execution_record_is_a_poll_error(outbound_client, record, complaint):
    with standin([record]) as base_url, pytest.raises(PollError, match=complaint):
        boomi.poll(target(base_url), outbound_client)


def test_a_result_that_is_not_a_list_is_a_poll_error(outbound_client):
    server = standin([])
    server.override("POST", r".*/ExecutionRecord/query", lambda r, m: Answer(200, {"result": {"executionId": "e"}}))
    with server as base_url, pytest.raises(PollError, match="result: expected a JSON array"):
        boomi.poll(target(base_url), outbound_client)


def test_a_query_token_that_is_not_a_string_is_a_poll_error(outbound_client):
    server = standin([])
    server.override("POST", r".*/ExecutionRecord/query", lambda r, m: Answer(200, {"result": [], "queryToken": 7}))
    with server as base_url, pytest.raises(PollError, match="queryToken must be a string"):
        boomi.poll(target(base_url), outbound_client)


def deployed_package(component: str, environment: str = "env-prod", **extra) -> dict:
    return {
        "@type": "DeployedPackage",
        "deploymentId": f"dep-{component}-{environment}",
        "version": 1,
        "packageId": f"pkg-{component}",
        "packageVersion": "1.0",
        "environmentId": environment,
        "componentId": component,
        "componentVersion": "2.0",
        "componentType": "process",
        "deployedDate": "2026-04-01T09:00:00Z",
        "deployedBy": "ana@example.com",
        "notes": "",
        "active": True,
        **extra,
    }


def test_discover_lists_the_deployed_processes_across_pages(outbound_client):
    processes = [{"@type": "Process", "id": f"proc-{i}", "name": f"Process {i}"} for i in range(1, 7)]
    deployed = [
        deployed_package("proc-1"),
        deployed_package("proc-1", "env-test"),  # one process in two environments is listed once
        deployed_package("proc-2"),
        deployed_package("proc-3", active=False),  # undeployed since
        deployed_package("listener-api", componentType="webservice"),
        deployed_package("proc-4"),
    ]
    server = standin([], processes=processes, deployed=deployed)
    with server as base_url:
        found = boomi.discover(target(base_url), outbound_client)
    assert found == [DiscoveredProcess(ref=f"proc-{i}", name=f"Process {i}") for i in (1, 2, 4)]
    assert server.requests_to(f"/api/rest/v1/{ACCOUNT}/DeployedPackage/query")[0].json() == {
        "QueryFilter": {
            "expression": {
                "operator": "and",
                "nestedExpression": [
                    {"argument": ["process"], "operator": "EQUALS", "property": "componentType"},
                    {"argument": ["true"], "operator": "EQUALS", "property": "active"},
                ],
            }
        }
    }


def test_a_process_never_deployed_is_not_discovered(outbound_client):
    processes = [{"@type": "Process", "id": "draft-1", "name": "Draft, never deployed"}]
    with standin([], processes=processes) as base_url:
        assert boomi.discover(target(base_url), outbound_client) == []


def test_a_test_execution_is_a_test_run(outbound_client):
    executions = [
        execution("sched-1", "2026-05-01T10:00:00Z", "ERROR", message="Connection refused"),
        execution("test-1", "2026-05-01T10:05:00Z", "COMPLETE", executionType="test_manual"),
        execution("test-2", "2026-05-01T10:06:00Z", "COMPLETE", executionType="test_sub_process"),
    ]
    with standin(executions) as base_url:
        result = boomi.poll(target(base_url), outbound_client)
    assert [(r.external_id, r.status, r.test) for r in result.runs] == [
        ("sched-1", "failed", False),
        ("test-1", "success", True),
        ("test-2", "success", True),
    ]
    assert cursor_of(result) == {"after": "2026-05-01T10:06:00Z", "open": []}  # read past, not read again


def boomi_integration(base_url: str, key: str = "invoices"):
    from catalog.models import PlatformAccount
    from tests.monitoring.conftest import make_integration

    account, _ = PlatformAccount.objects.get_or_create(
        key="boomi-prod", defaults={"platform": "boomi", "base_url": base_url, "account_id": ACCOUNT, "secret_env": ENV}
    )
    return make_integration(key, kind="boomi", health_account=account, health_ref="proc-1")


@pytest.mark.django_db
def test_a_passing_test_run_after_a_failed_scheduled_run_leaves_the_integration_failing():
    from monitoring.ingest.polling import poll_source
    from monitoring.models import Run
    from tests.monitoring.conftest import source_of
    from tests.monitoring.test_pages import client_as

    executions = [
        execution("sched-1", "2026-05-01T10:00:00Z", "ERROR", message="Connection refused"),
        execution("test-1", "2026-05-01T10:05:00Z", "COMPLETE", executionType="test_manual"),
    ]
    with standin(executions) as base_url:
        integration = boomi_integration(base_url)
        outcome = poll_source(integration.pk)
    assert outcome.error == "" and outcome.recorded is not None and outcome.recorded.new_runs == 2
    source = source_of(integration)
    assert source.state == "failing"
    assert source.last_run.external_id == "sched-1"
    assert source.last_success_at is None
    assert list(Run.objects.order_by("run_at").values_list("external_id", "test")) == [
        ("sched-1", False),
        ("test-1", True),
    ]
    page = client_as("ana@example.com").get("/integrations/invoices/health/").content.decode()
    recent, _, tests = page.partition("<h2>Test runs (not counted)</h2>")
    recent = recent.partition("<h2>Recent runs</h2>")[2]
    tests = tests.partition("<h2>")[0]
    assert "sched-1" in recent and "test-1" not in recent
    assert "test-1" in tests and "sched-1" not in tests


@pytest.mark.django_db
def test_test_runs_do_not_count_for_the_observed_interval():
    from monitoring.health.pipeline import record_poll
    from monitoring.platforms.contract import PollResult
    from tests.monitoring.conftest import T0, make_integration, minutes, source_of

    integration = make_integration("invoices", kind="boomi")
    real = [RunObservation(f"r-{n}", "success", finished_at=T0 + minutes(60 * n)) for n in range(3)]
    tests = [RunObservation(f"t-{n}", "success", finished_at=T0 + minutes(60 * n + 10), test=True) for n in range(3)]
    record_poll(integration, PollResult(runs=[*real, *tests]), now=T0 + minutes(150))
    source = source_of(integration)
    assert source.observed_median_minutes == 60.0
    assert source.last_success_at == T0 + minutes(120)
    assert source.last_run.external_id == "r-2"


@pytest.mark.django_db
def test_a_test_run_does_not_carry_replayed_records():
    from monitoring.health import resync
    from monitoring.health.pipeline import record_poll
    from monitoring.models import FailedRecord
    from monitoring.platforms.contract import FailedRecordObservation, PollResult
    from tests.monitoring.conftest import T0, make_integration, minutes

    integration = make_integration("invoices", kind="boomi")
    record_poll(integration, PollResult(failed_records=[FailedRecordObservation(key="INV-1", error="x")]), now=T0)
    FailedRecord.objects.update(replay_requested_at=T0)
    tried = RunObservation("test-1", "success", finished_at=T0 + minutes(5), test=True)
    record_poll(integration, PollResult(runs=[tried]), now=T0 + minutes(5))
    resync.settle(integration.pk, now=T0 + minutes(6))
    assert FailedRecord.objects.get().resolved_at is None


# --- failed documents and retries ----------------------------------------------------------------


def connector(connector_id: str, execution_id: str, errors: int, **extra) -> dict:
    return {
        "@type": "ExecutionConnector",
        "id": connector_id,
        "executionId": execution_id,
        "executionConnector": "Upsert invoices",
        "connectorType": "netsuite",
        "actionType": "UPSERT",
        "errorCount": errors,
        "successCount": 3,
        "size": 2048,
        "isStartShape": False,
        "recordType": "connector",
        **extra,
    }


def document(record_id: str, execution_id: str, connector_id: str, invoice: str = "", **extra) -> dict:
    tracked = [{"@type": "TrackedField", "name": "Invoice Number", "value": invoice}] if invoice else []
    return {
        "@type": "GenericConnectorRecord",
        "id": record_id,
        "executionConnectorId": connector_id,
        "executionId": execution_id,
        "atomId": "atom-1",
        "dateProcessed": "2026-05-01T10:00:05Z",
        "actionType": "UPSERT",
        "connectorType": "netsuite",
        "connectionName": "NetSuite production",
        "operationName": "Upsert invoices",
        "documentIndex": 0,
        "incrementalDocumentIndex": 1,
        "status": "ERROR",
        "startShape": False,
        "retryable": True,
        "size": 512,
        "errorMessage": f"Invoice {invoice or record_id}: period closed",
        "trackedFields": {"@type": "TrackedFields", "trackedField": tracked},
        "connectorFields": {"@type": "ConnectorFields", "connectorField": []},
        **extra,
    }


FAILED_EXECUTION = [
    execution("exec-1", "2026-05-01T10:00:00Z", "ERROR", inboundErrorDocumentCount=3, message="3 documents failed")
]
CONNECTORS = [
    connector("start-shape", "exec-1", 0, executionConnector="start", connectorType="nodata", isStartShape=True),
    connector("upsert", "exec-1", 3),
]
DOCUMENTS = [
    document("gcr-1", "exec-1", "upsert", "INV-1001"),
    document("gcr-2", "exec-1", "upsert", "INV-1002"),
    document("gcr-ok", "exec-1", "upsert", "INV-1003", status="SUCCESS", errorMessage=""),
    document("gcr-3", "exec-1", "upsert"),  # no tracked field: its record id is the key
]


def test_the_failed_documents_of_a_failed_execution_are_failed_records_keyed_by_tracked_field(outbound_client):
    server = standin(FAILED_EXECUTION, connectors=CONNECTORS, documents=DOCUMENTS)
    with server as base_url:
        result = boomi.poll(target(base_url), outbound_client)
    processed = dt.datetime(2026, 5, 1, 10, 0, 5, tzinfo=dt.UTC)
    assert result.failed_records == [
        FailedRecordObservation("INV-1001", "Invoice INV-1001: period closed", processed, "exec-1", "gcr-1"),
        FailedRecordObservation("INV-1002", "Invoice INV-1002: period closed", processed, "exec-1", "gcr-2"),
        FailedRecordObservation("gcr-3", "Invoice gcr-3: period closed", processed, "exec-1", "gcr-3"),
    ]
    api = f"/api/rest/v1/{ACCOUNT}"
    assert [r.json() for r in server.requests_to(f"{api}/ExecutionConnector/query")] == [
        {"QueryFilter": {"expression": {"argument": ["exec-1"], "operator": "EQUALS", "property": "executionId"}}}
    ]
    # Only the connector with errors is asked for its documents, and only for those in error.
    queries = [r for r in server.requests if r.path == f"{api}/GenericConnectorRecord/query"]
    assert [r.path.rsplit("/", 1)[1] for r in server.requests_to(f"{api}/GenericConnectorRecord")] == [
        "query",
        "queryMore",
    ]
    assert [r.json() for r in queries] == [
        {
            "QueryFilter": {
                "expression": {
                    "operator": "and",
                    "nestedExpression": [
                        {"argument": ["exec-1"], "operator": "EQUALS", "property": "executionId"},
                        {"argument": ["upsert"], "operator": "EQUALS", "property": "executionConnectorId"},
                        {"argument": ["ERROR"], "operator": "EQUALS", "property": "status"},
                    ],
                }
            }
        }
    ]


def test_documents_are_read_only_for_failed_executions_that_are_not_tests(outbound_client):
    executions = [
        execution("ok-1", "2026-05-01T10:00:00Z"),
        execution("test-1", "2026-05-01T10:01:00Z", "ERROR", executionType="test_manual"),
        execution("running-1", "2026-05-01T10:02:00Z", "INPROCESS"),
    ]
    connectors = [connector("c", "test-1", 1)]
    server = standin(executions, connectors=connectors, documents=[document("d", "test-1", "c", "INV-1")])
    with server as base_url:
        result = boomi.poll(target(base_url), outbound_client)
    assert result.failed_records == []
    assert server.requests_to(f"/api/rest/v1/{ACCOUNT}/ExecutionConnector") == []


def test_failed_documents_beyond_the_poll_budget_are_read_next_poll(outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_PAGES", 3)  # documents of one execution: 1 connector + 2 document pages
    executions = [
        execution("exec-1", "2026-05-01T10:00:00Z", "ERROR"),
        execution("exec-2", "2026-05-01T10:05:00Z", "ERROR"),
    ]
    connectors = [connector("c-1", "exec-1", 3), connector("c-2", "exec-2", 3)]
    documents = [document(f"d-{e}-{n}", f"exec-{e}", f"c-{e}", f"INV-{e}{n}") for e in (1, 2) for n in range(3)]
    server = standin(executions, connectors=connectors, documents=documents)
    with server as base_url:
        first = boomi.poll(target(base_url), outbound_client)
        second = boomi.poll(target(base_url, cursor=first.cursor), outbound_client)
    assert [r.key for r in first.failed_records] == ["INV-10", "INV-11", "INV-12"]
    assert cursor_of(first) == {"after": "2026-05-01T10:05:00Z", "open": ["exec-2"]}
    assert [r.key for r in second.failed_records] == ["INV-20", "INV-21", "INV-22"]
    assert cursor_of(second) == {"after": "2026-05-01T10:05:00Z", "open": []}


def test_an_execution_with_more_failed_documents_than_a_poll_reads_keeps_the_first_and_moves_on(
    outbound_client, monkeypatch
):
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)
    documents = [document(f"d-{n}", "exec-1", "upsert", f"INV-{n}") for n in range(5)]
    server = standin(FAILED_EXECUTION, connectors=[connector("upsert", "exec-1", 5)], documents=documents)
    with server as base_url:
        result = boomi.poll(target(base_url), outbound_client)
    assert [r.key for r in result.failed_records] == ["INV-0", "INV-1"]
    assert cursor_of(result)["open"] == []


def retry(execution_id: str, time: str, original: str, status: str = "COMPLETE", **extra) -> dict:
    return execution(execution_id, time, status, executionType="retry_manual", originalExecutionId=original, **extra)


def test_a_retry_that_completes_resolves_the_failed_records_of_the_execution_it_retried(outbound_client):
    executions = [
        *FAILED_EXECUTION,
        retry("retry-1", "2026-05-01T10:30:00Z", "exec-1"),
        retry("retry-2", "2026-05-01T10:31:00Z", "exec-9", "ERROR"),  # failed again: resolves nothing
        retry("retry-3", "2026-05-01T10:32:00Z", "exec-8", inboundErrorDocumentCount=1),  # not all through
        execution("sched-2", "2026-05-01T10:33:00Z", executionType="exec_sched"),
    ]
    with standin(executions, connectors=CONNECTORS, documents=DOCUMENTS) as base_url:
        result = boomi.poll(target(base_url), outbound_client)
    assert result.resolved == [ResolvedObservation(run_external_id="exec-1", how="retried by execution retry-1")]


@pytest.mark.django_db
def test_failed_documents_stay_open_until_a_retry_completes_through_the_pipeline():
    from monitoring.ingest.polling import poll_source
    from monitoring.models import FailedRecord
    from tests.monitoring.conftest import source_of

    server = standin(list(FAILED_EXECUTION), connectors=CONNECTORS, documents=DOCUMENTS)
    with server as base_url:
        integration = boomi_integration(base_url)
        poll_source(integration.pk)
        source = source_of(integration)
        assert (source.state, source.open_failed_records) == ("failing", 3)
        stored = FailedRecord.objects.order_by("position")
        assert [(r.key, r.run.external_id, r.external_id) for r in stored] == [
            ("INV-1001", "exec-1", "gcr-1"),
            ("INV-1002", "exec-1", "gcr-2"),
            ("gcr-3", "exec-1", "gcr-3"),
        ]
        poll_source(integration.pk)  # read again: nothing twice
        assert FailedRecord.objects.count() == 3
        server.executions.append(retry("retry-1", "2026-05-01T10:30:00Z", "exec-1"))
        poll_source(integration.pk)
    source = source_of(integration)
    assert source.open_failed_records == 0
    assert set(FailedRecord.objects.values_list("resolution", flat=True)) == {"retried by execution retry-1"}
