"""The SAP Integration Suite adapter against a stand-in Cloud Integration tenant and SAP BTP token service:
message processing logs read as runs, their error information as failed records, deployed flows discovered."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from catalog import health
from catalog.models import PlatformAccount
from monitoring import tasks
from monitoring.ingest.discovery import discover_platforms
from monitoring.models import FailedRecord, HealthSource, ObservedConnection, Run
from monitoring.platforms import get_adapter, no_replay_reason
from monitoring.platforms.contract import DiscoveredProcess, PollError, PollTarget
from monitoring.platforms.fields import format_time
from monitoring.platforms.sap_integration_suite import adapter as sap
from monitoring.platforms.sap_integration_suite.standin import odata_date
from tests.celery_worker import celery_worker, redis_broker
from tests.monitoring.conftest import make_integration, source_of
from tests.monitoring.standins import Answer, SapIntegrationSuiteStandIn
from tests.monitoring.test_workers import wait_for

ENV = "PLUMBLINE_CRED_TEST_SAP"
CLIENT_ID = "sb-7f3e-clone!b12|it!b34"
CLIENT_SECRET = "Qm9v-secret/value="
FLOW = "Orders_To_ERP"
T0 = 1_777_630_000_000  # ms since 1970, UTC
LOGS = "/api/v1/MessageProcessingLogs"


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, f"{CLIENT_ID}:{CLIENT_SECRET}")
    cache.clear()  # tokens are cached by digest of the credentials; each test starts without one


def log(guid: str, status: str = "COMPLETED", end: int | None = T0, flow: str = FLOW, **extra) -> dict:
    """A message processing log as the OData API returns it (JSON, /Date(ms)/ times)."""
    return {
        "__metadata": {
            "id": f"https://tenant/api/v1/MessageProcessingLogs('{guid}')",
            "type": "com.sap.hci.api.MessageProcessingLog",
        },
        "MessageGuid": guid,
        "CorrelationId": f"corr-{guid}",
        "ApplicationMessageId": None,
        "ApplicationMessageType": None,
        "LogStart": odata_date((end or T0) - 2_000),
        "LogEnd": odata_date(end) if end is not None else None,
        "Sender": "S4HANA",
        "Receiver": "ERP",
        "IntegrationFlowName": flow,
        "Status": status,
        "LogLevel": "INFO",
        "CustomStatus": status,
        "TransactionId": "0f3a",
        **extra,
    }


def tenant(*logs: dict, **extra) -> SapIntegrationSuiteStandIn:
    return SapIntegrationSuiteStandIn(clients={CLIENT_ID: CLIENT_SECRET}, logs=list(logs), **extra)


def target(base_url: str, cursor: str | None = None, ref: str = FLOW) -> PollTarget:
    return PollTarget(
        kind="sap-integration-suite",
        ref=ref,
        base_url=base_url,
        secret_env=ENV,
        token_url=f"{base_url}/oauth/token",
        cursor=cursor,
    )


def at(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def test_a_completed_message_is_a_successful_run(outbound_client):
    server = tenant(log("AGk1-completed"))
    with server as base_url:
        result = sap.poll(target(base_url), outbound_client)
    [run] = result.runs
    assert (run.external_id, run.status) == ("AGk1-completed", "success")
    assert (run.started_at, run.finished_at) == (at(T0 - 2_000), at(T0))
    assert result.failed_records == []
    assert result.cursor == "2026-05-01T10:06:40.000Z"
    token_call, call = server.requests
    assert token_call.path == "/oauth/token"
    assert call.query == {"$filter": f"IntegrationFlowName eq '{FLOW}'", "$orderby": "LogEnd", "$format": "json"}
    assert call.headers["authorization"] == "Bearer issued-1"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("COMPLETED", "success"),
        ("FAILED", "failed"),
        ("ESCALATED", "failed"),
        ("CANCELLED", "failed"),
        ("ABANDONED", "failed"),
        ("PROCESSING", "running"),
        ("RETRY", "running"),
    ],
)
def test_each_message_status_maps_to_a_run_status(outbound_client, status, expected):
    with tenant(log("m-1", status)) as base_url:
        [run] = sap.poll(target(base_url), outbound_client).runs
    assert run.status == expected
    assert run.message == f"message status {status}"
    assert run.finished_at == (None if expected == "running" else at(T0))


def test_a_discarded_message_is_no_run_but_is_read_past(outbound_client):
    with tenant(log("m-1", end=T0), log("m-2", "DISCARDED", end=T0 + 5_000)) as base_url:
        result = sap.poll(target(base_url), outbound_client)
    assert [run.external_id for run in result.runs] == ["m-1"]
    assert result.failed_records == []
    assert result.cursor == "2026-05-01T10:06:45.000Z"


def test_an_unknown_status_stops_the_poll_naming_it(outbound_client):
    with tenant(log("m-1", "ON_HOLD")) as base_url, pytest.raises(PollError, match="unknown Status 'ON_HOLD'"):
        sap.poll(target(base_url), outbound_client)


def test_a_failed_message_carries_its_error_information_as_a_failed_record(outbound_client):
    error = "com.sap.it.rt.adapter.http.api.exception.HttpResponseException: HTTP 500 from ERP"
    server = tenant(log("m-ok"), log("m-bad", "FAILED", end=T0 + 1_000, ApplicationMessageId="PO-4711"))
    server.errors["m-bad"] = error
    with server as base_url:
        result = sap.poll(target(base_url), outbound_client)
    [record] = result.failed_records
    assert (record.key, record.error, record.run_external_id, record.external_id) == (
        "PO-4711",
        error,
        "m-bad",
        "m-bad",
    )
    assert record.occurred_at == at(T0 + 1_000)
    [error_call] = server.requests_to(f"{LOGS}('m-bad')")
    assert error_call.path == f"{LOGS}('m-bad')/ErrorInformation/$value"
    assert error_call.headers["accept"] == "text/plain"
    assert not server.requests_to(f"{LOGS}('m-ok')")  # only failed messages are asked for their error


def test_a_long_error_text_is_capped(outbound_client):
    server = tenant(log("m-bad", "ESCALATED"))
    server.errors["m-bad"] = "x" * (sap.MAX_ERROR_CHARS + 500)
    with server as base_url:
        [record] = sap.poll(target(base_url), outbound_client).failed_records
    assert len(record.error) == sap.MAX_ERROR_CHARS
    assert record.error.endswith("…")


def test_a_failed_message_without_error_information_keeps_its_status_as_the_error(outbound_client):
    with tenant(log("m-gone", "ABANDONED")) as base_url:  # the stand-in answers 204 No Content
        [record] = sap.poll(target(base_url), outbound_client).failed_records
    assert (record.key, record.error) == ("m-gone", "message status ABANDONED")


def test_error_texts_are_read_for_at_most_a_bounded_number_of_failed_messages_a_poll(outbound_client, monkeypatch):
    monkeypatch.setattr(sap, "ERROR_TEXTS_PER_POLL", 1)
    server = tenant(log("m-1", "FAILED", end=T0), log("m-2", "FAILED", end=T0 + 1))
    server.errors.update({"m-1": "first", "m-2": "second"})
    with server as base_url:
        records = sap.poll(target(base_url), outbound_client).failed_records
    assert [r.error for r in records] == ["first", "message status FAILED (error text not read: too many in one poll)"]
    assert len(server.requests_to(f"{LOGS}(")) == 1


def test_a_flow_id_with_a_quote_is_sent_as_an_odata_literal(outbound_client):
    server = tenant(log("m-1", flow="Bob's_Flow"))
    with server as base_url:
        [run] = sap.poll(target(base_url, ref="Bob's_Flow"), outbound_client).runs
    assert run.external_id == "m-1"
    assert server.requests_to(LOGS)[0].query["$filter"] == "IntegrationFlowName eq 'Bob''s_Flow'"


def test_logs_are_read_page_after_page_through_next(outbound_client):
    server = tenant(*(log(f"m-{n}", end=T0 + n) for n in range(5)), page_size=2)
    with server as base_url:
        result = sap.poll(target(base_url), outbound_client)
    assert [run.external_id for run in result.runs] == ["m-0", "m-1", "m-2", "m-3", "m-4"]
    assert [r.query.get("$skiptoken") for r in server.requests_to(LOGS)] == [None, "2", "4"]
    assert result.cursor == "2026-05-01T10:06:40.004Z"


def test_a_next_link_to_another_origin_is_not_followed(outbound_client):
    server = tenant(log("m-1"))
    leak = {"d": {"results": [log("m-1")], "__next": "https://elsewhere.example/api/v1/MessageProcessingLogs"}}
    server.override("GET", LOGS, lambda request, match: Answer(200, leak))
    with server as base_url, pytest.raises(PollError, match="next-page link leaves"):
        sap.poll(target(base_url), outbound_client)


def test_the_cursor_filters_on_log_end_and_neither_skips_nor_repeats(outbound_client):
    server = tenant(log("m-1", end=T0), log("m-2", end=T0 + 1))
    with server as base_url:
        first = sap.poll(target(base_url), outbound_client)
        server.logs.append(log("m-3", end=T0 + 2))
        second = sap.poll(target(base_url, first.cursor), outbound_client)
        third = sap.poll(target(base_url, second.cursor), outbound_client)
    assert [run.external_id for run in first.runs] == ["m-1", "m-2"]
    assert [run.external_id for run in second.runs] == ["m-3"]
    assert third.runs == [] and third.cursor == second.cursor
    filters = [r.query["$filter"] for r in server.requests_to(LOGS)]
    assert filters[1] == f"IntegrationFlowName eq '{FLOW}' and LogEnd gt datetime'2026-05-01T10:06:40.001'"


def test_the_cursor_waits_just_before_a_message_still_running(outbound_client):
    server = tenant(log("m-1", end=T0), log("m-2", "RETRY", end=T0 + 1_000), log("m-3", end=T0 + 2_000))
    with server as base_url:
        first = sap.poll(target(base_url), outbound_client)
        server.logs[1] = log("m-2", "COMPLETED", end=T0 + 3_000)
        second = sap.poll(target(base_url, first.cursor), outbound_client)
    assert first.cursor == "2026-05-01T10:06:40.999Z"
    assert {run.external_id: run.status for run in second.runs} == {"m-3": "success", "m-2": "success"}


def test_a_read_cut_at_the_page_bound_moves_the_cursor_only_past_what_was_read(outbound_client, monkeypatch):
    monkeypatch.setattr(sap, "MAX_PAGES", 2)
    # m-2, m-3 and m-4 share a millisecond across the cut: m-4 must still be read next time.
    ends = {"m-0": T0, "m-1": T0 + 3, "m-2": T0 + 5, "m-3": T0 + 5, "m-4": T0 + 5, "m-5": T0 + 9}
    server = tenant(*(log(guid, end=end) for guid, end in ends.items()), page_size=2)
    with server as base_url:
        first = sap.poll(target(base_url), outbound_client)
        second = sap.poll(target(base_url, first.cursor), outbound_client)
        third = sap.poll(target(base_url, second.cursor), outbound_client)
    assert [run.external_id for run in first.runs] == ["m-0", "m-1", "m-2", "m-3"]
    assert first.cursor == "2026-05-01T10:06:40.004Z"
    assert [run.external_id for run in second.runs] == ["m-2", "m-3", "m-4", "m-5"]  # again: upserted by guid
    assert second.cursor == "2026-05-01T10:06:40.009Z"
    assert third.runs == []


def test_pages_that_all_end_in_one_millisecond_do_not_hold_the_cursor_forever(outbound_client, monkeypatch):
    monkeypatch.setattr(sap, "MAX_PAGES", 2)
    server = tenant(log("m-0", end=T0), log("m-1", end=T0 + 5), log("m-2", end=T0 + 5), log("m-3", end=T0 + 9))
    server.page_size = 1
    with server as base_url:
        first = sap.poll(target(base_url), outbound_client)
        second = sap.poll(target(base_url, first.cursor), outbound_client)
        third = sap.poll(target(base_url, second.cursor), outbound_client)
    assert first.cursor == "2026-05-01T10:06:40.004Z"
    assert [run.external_id for run in second.runs] == ["m-1", "m-2"]
    assert second.cursor == "2026-05-01T10:06:40.005Z"
    assert [run.external_id for run in third.runs] == ["m-3"]


def test_odata_dates_are_read_as_utc_milliseconds():
    assert sap.parse_date("/Date(1700000000000)/", "LogEnd") == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    assert sap.parse_date("/Date(1700000000123+0100)/", "LogEnd") == at(1_700_000_000_123)
    assert sap.parse_date(None, "LogEnd") is None


@pytest.mark.parametrize(
    "value", ["2023-11-14T22:13:20Z", "/Date(abc)/", "Date(1700000000000)", 1700000000000, "/Date(99999999999999999)/"]
)
def test_a_malformed_odata_date_is_a_poll_error_naming_the_field(value):
    with pytest.raises(PollError, match="LogEnd"):
        sap.parse_date(value, "LogEnd")


def test_a_malformed_log_time_stops_the_poll(outbound_client):
    with tenant(log("m-1", LogStart="yesterday")) as base_url, pytest.raises(PollError, match="m-1: LogStart"):
        sap.poll(target(base_url), outbound_client)


def test_a_body_that_is_not_odata_json_stops_the_poll(outbound_client):
    server = tenant()
    server.override("GET", LOGS, lambda request, match: Answer(200, {"value": []}))
    with server as base_url, pytest.raises(PollError, match="d: expected a JSON object"):
        sap.poll(target(base_url), outbound_client)


def test_a_wrong_client_secret_names_the_token_call_and_never_the_secret(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, f"{CLIENT_ID}:not-the-secret-81x")
    server = tenant(log("m-1"))
    with server as base_url, pytest.raises(PollError) as refused:
        sap.poll(target(base_url), outbound_client)
    message = str(refused.value)
    assert message == "SAP Integration Suite token request: credentials refused (HTTP 401)"
    assert "not-the-secret-81x" not in message and CLIENT_ID not in message
    assert server.requests_to(LOGS) == []


def test_an_expired_token_is_renewed_once_and_the_poll_succeeds(outbound_client):
    server = tenant(log("m-1"))
    with server as base_url:
        sap.poll(target(base_url), outbound_client)
        server.expire_tokens()  # the cached token is now refused with 401
        result = sap.poll(target(base_url), outbound_client)
    assert [run.external_id for run in result.runs] == ["m-1"]
    assert server.token_requests == 2
    refused, renewed = server.requests_to(LOGS)[1:]
    assert (refused.headers["authorization"], renewed.headers["authorization"]) == (
        "Bearer issued-1",
        "Bearer issued-2",
    )


def test_a_missing_token_url_or_flow_id_is_a_poll_error(outbound_client):
    with tenant() as base_url:
        with pytest.raises(PollError, match="no token_url"):
            sap.poll(dataclasses.replace(target(base_url), token_url=""), outbound_client)
        with pytest.raises(PollError, match="no integration flow id"):
            sap.poll(target(base_url, ref=""), outbound_client)


def test_discover_lists_deployed_integration_flows_only(outbound_client):
    artifacts = [
        {"Id": FLOW, "Version": "1.0.3", "Name": "Orders to ERP", "Type": "INTEGRATION_FLOW", "Status": "STARTED"},
        {"Id": "Currency_VM", "Version": "1.0.0", "Name": "Currencies", "Type": "VALUE_MAPPING", "Status": "STARTED"},
        {"Id": "Invoices_In", "Version": "2.1.0", "Name": "Invoices in", "Type": "INTEGRATION_FLOW", "Status": "ERROR"},
    ]
    with tenant(artifacts=artifacts, page_size=2) as base_url:
        found = sap.discover(target(base_url), outbound_client)
    assert found == [DiscoveredProcess(FLOW, "Orders to ERP"), DiscoveredProcess("Invoices_In", "Invoices in")]


def test_discovery_shows_a_deployed_flow_no_spec_describes_as_an_undocumented_connection(db):
    artifacts = [
        {"Id": FLOW, "Version": "1.0.3", "Name": "Orders to ERP", "Type": "INTEGRATION_FLOW"},
        {"Id": "Payroll_Export", "Version": "1.0.0", "Name": "Payroll export", "Type": "INTEGRATION_FLOW"},
    ]
    with tenant(artifacts=artifacts) as base_url:
        account = PlatformAccount.objects.create(
            key="sap-cpi-prod",
            platform="sap-integration-suite",
            base_url=base_url,
            token_url=f"{base_url}/oauth/token",
            secret_env=ENV,
        )
        make_integration("orders", kind="sap-integration-suite", health_account=account, health_ref=FLOW)
        report = discover_platforms()
    assert (report.accounts, report.seen, report.errors) == (1, 2, {})
    assert sorted(ObservedConnection.objects.values_list("ref", flat=True)) == ["Orders_To_ERP", "Payroll_Export"]
    [undocumented] = health.read_observed_connections()
    assert (undocumented.source, undocumented.ref) == ("sap-cpi-prod", "Payroll_Export")


def test_the_adapter_is_registered_without_replay():
    assert get_adapter("sap-integration-suite") is sap
    assert "cannot send a failed message again" in no_replay_reason("sap-integration-suite")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_polls_the_flow_through_the_standin_and_stores_its_runs():
    now_ms = int(time.time() * 1000)
    server = tenant(
        log("w-1", end=now_ms - 120_000),
        log("w-2", "FAILED", end=now_ms - 60_000, ApplicationMessageId="PO-9"),
        log("w-3", end=now_ms - 1_000),
        log("other", flow="Payroll_Export"),
    )
    server.errors["w-2"] = "Receiver ERP answered HTTP 503"
    with server as base_url:
        account = PlatformAccount.objects.create(
            key="sap-cpi-prod",
            platform="sap-integration-suite",
            base_url=base_url,
            token_url=f"{base_url}/oauth/token",
            secret_env=ENV,
        )
        integration = make_integration("orders", kind="sap-integration-suite", health_account=account, health_ref=FLOW)
        HealthSource.objects.filter(integration=integration).update(next_poll_at=timezone.now() - dt.timedelta(hours=1))
        env = {"PLUMBLINE_OUTBOUND_ALLOW": "127.0.0.1/32", ENV: f"{CLIENT_ID}:{CLIENT_SECRET}"}
        with celery_worker("sap-poll", **env), redis_broker():
            tasks.poll_due_sources.delay()
            assert wait_for(lambda: Run.objects.filter(integration=integration).count() == 3)
            assert wait_for(lambda: FailedRecord.objects.filter(integration=integration).exists())

    statuses = dict(Run.objects.filter(integration=integration).values_list("external_id", "status"))
    assert statuses == {"w-1": "success", "w-2": "failed", "w-3": "success"}
    record = FailedRecord.objects.get(integration=integration)
    assert (record.key, record.error) == ("PO-9", "Receiver ERP answered HTTP 503")
    assert source_of(integration).cursor == format_time(at(now_ms - 1_000), millis=True)
    assert server.token_requests == 1
