"""The json adapter (health.kind json) against a stand-in run-history API: statuses through status_map, paging
through next, a cursor that neither skips nor repeats, failed records, and what it refuses."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from urllib.parse import parse_qs

import pytest

from catalog.models import PlatformAccount
from monitoring.ingest.polling import poll_source, target_for
from monitoring.models import FailedRecord, Run
from monitoring.platforms import get_adapter, no_replay_reason, outbound
from monitoring.platforms.contract import FailedRecordObservation, PollError, PollTarget, RunObservation
from monitoring.platforms.json_runs import adapter as json_runs
from monitoring.platforms.json_runs.standin import JsonRunsStandIn
from monitoring.platforms.standin import Answer, StandIn
from tests.monitoring.conftest import make_integration, source_of

TOKEN = "json-api-token"
ENV = "PLUMBLINE_CRED_TEST_JSON"

# An Airbyte-shaped job list (GET /v1/jobs: {"data": [...], "next": ...}), as docs/json-health.md reads it.
OPTIONS = {
    "path": "/v1/jobs",
    "items": "data",
    "fields": {
        "id": "jobId",
        "status": "status",
        "started_at": "startTime",
        "finished_at": "lastUpdatedAt",
        "records_out": "rowsSynced",
        "message": "error",
    },
    "status_map": {
        "succeeded": "success",
        "failed": "failed",
        "incomplete": "failed",
        "cancelled": "failed",
        "pending": "running",
        "running": "running",
    },
    "next": "next",
}


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, TOKEN)


def job(job_id: int, minute: int, status: str = "succeeded", **extra) -> dict:
    return {
        "jobId": job_id,
        "status": status,
        "jobType": "sync",
        "startTime": f"2026-05-01T10:{minute:02d}:00Z",
        "lastUpdatedAt": f"2026-05-01T10:{minute:02d}:40Z",
        "rowsSynced": 10 * job_id,
        **extra,
    }


def target(base_url: str, cursor: str | None = None, **options) -> PollTarget:
    return PollTarget(kind="json", base_url=base_url, secret_env=ENV, cursor=cursor, options={**OPTIONS, **options})


def test_runs_are_read_through_the_expressions_and_status_map(outbound_client):
    runs = [job(3, 30, "running"), job(2, 20, "failed", error="source timed out"), job(1, 10)]
    with JsonRunsStandIn(runs=runs, token=TOKEN, page_size=5) as base:
        result = json_runs.poll(target(base), outbound_client)
    assert [(r.external_id, r.status) for r in result.runs] == [("3", "running"), ("2", "failed"), ("1", "success")]
    assert result.runs[1] == RunObservation(
        external_id="2",
        status="failed",
        started_at=dt.datetime(2026, 5, 1, 10, 20, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 5, 1, 10, 20, 40, tzinfo=dt.UTC),
        records_out=20,
        message="source timed out",
    )


def test_every_page_is_read_through_next_with_the_token(outbound_client):
    stand_in = JsonRunsStandIn(runs=[job(n, n) for n in range(5, 0, -1)], token=TOKEN, page_size=2)
    with stand_in as base:
        result = json_runs.poll(target(base), outbound_client)
    assert [r.external_id for r in result.runs] == ["5", "4", "3", "2", "1"]
    assert [r.query.get("offset") for r in stand_in.requests] == [None, "2", "4"]
    assert {r.headers["authorization"] for r in stand_in.requests} == {f"Bearer {TOKEN}"}


def test_the_cursor_is_the_newest_run_and_the_next_poll_returns_only_newer_ones(outbound_client):
    stand_in = JsonRunsStandIn(runs=[job(2, 20), job(1, 10)], token=TOKEN)
    with stand_in as base:
        first = json_runs.poll(target(base), outbound_client)
        stand_in.runs[:0] = [job(5, 50), job(4, 40), job(3, 30)]
        second = json_runs.poll(target(base, cursor=first.cursor), outbound_client)
        third = json_runs.poll(target(base, cursor=second.cursor), outbound_client)
    assert first.cursor == "2"
    assert [r.external_id for r in second.runs] == ["5", "4", "3"]  # none skipped, 2 and 1 not again
    assert second.cursor == "5"
    assert third.runs == [] and third.cursor == "5"


def test_the_cursor_waits_below_a_run_still_running_so_its_end_is_read(outbound_client):
    stand_in = JsonRunsStandIn(runs=[job(3, 30), job(2, 20, "running"), job(1, 10)], token=TOKEN)
    with stand_in as base:
        first = json_runs.poll(target(base), outbound_client)
        stand_in.runs[1] = job(2, 20, "failed")
        second = json_runs.poll(target(base, cursor=first.cursor), outbound_client)
    assert first.cursor == "1"
    assert [(r.external_id, r.status) for r in second.runs] == [("3", "success"), ("2", "failed")]
    assert second.cursor == "3"


def test_a_read_cut_at_the_page_bound_keeps_the_cursor(outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)
    stand_in = JsonRunsStandIn(runs=[job(n, n) for n in range(9, 0, -1)], token=TOKEN, page_size=2)
    with stand_in as base:
        result = json_runs.poll(target(base, cursor="1"), outbound_client)
    assert [r.external_id for r in result.runs] == ["9", "8", "7", "6"]
    assert result.cursor == "1"  # runs 5 to 2 were not read: the cursor does not pass over them
    assert len(stand_in.requests) == 2


def test_runs_shifted_onto_the_next_page_by_new_ones_are_returned_once(outbound_client):
    stand_in = JsonRunsStandIn(runs=[job(n, n) for n in range(4, 0, -1)], token=TOKEN, page_size=2)
    original = stand_in._list

    def two_new_runs_after_the_first_page(request, match):
        answer = original(request, match)
        if len(stand_in.requests) == 1:
            stand_in.runs[:0] = [job(6, 6), job(5, 5)]
        return answer

    stand_in.override("GET", "/v1/jobs", two_new_runs_after_the_first_page)
    with stand_in as base:
        result = json_runs.poll(target(base), outbound_client)
    assert [r.external_id for r in result.runs] == ["4", "3", "2", "1"]  # 4 and 3 came again on page 2
    assert result.cursor == "4"


def test_an_integer_status_is_looked_up_as_its_digits(outbound_client):
    options = {"fields": {"id": "jobId", "status": "code"}, "status_map": {"1": "success", "3": "failed"}}
    with JsonRunsStandIn(runs=[job(2, 20, code=3), job(1, 10, code=1)], token=TOKEN) as base:
        result = json_runs.poll(target(base, **options), outbound_client)
    assert [r.status for r in result.runs] == ["failed", "success"]


def test_a_status_the_map_does_not_name_stops_the_poll_naming_it(outbound_client):
    stand_in = JsonRunsStandIn(runs=[job(2, 20, "paused"), job(1, 10)], token=TOKEN)
    with stand_in as base, pytest.raises(PollError, match="run 2: unknown status 'paused'"):
        json_runs.poll(target(base), outbound_client)


def test_failed_records_come_from_their_expression_on_each_run(outbound_client):
    rejected = [
        {"record": "INV-7", "reason": "subsidiary is required", "at": "2026-05-01T10:20:30Z"},
        {"record": 8, "reason": "currency unknown"},
    ]
    options = {"failed_records": "rejected[].{key: record, error: reason, occurred_at: at}"}
    with JsonRunsStandIn(runs=[job(2, 20, "failed", rejected=rejected), job(1, 10)], token=TOKEN) as base:
        result = json_runs.poll(target(base, **options), outbound_client)
    assert result.failed_records == [
        FailedRecordObservation(
            key="INV-7",
            error="subsidiary is required",
            occurred_at=dt.datetime(2026, 5, 1, 10, 20, 30, tzinfo=dt.UTC),
            run_external_id="2",
        ),
        FailedRecordObservation(key="8", error="currency unknown", run_external_id="2"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>maintenance</html>", "the response is not valid JSON"),
        ({"data": {"jobId": 1}}, "health.items must give a list of runs, got dict"),
        ({"data": [{"status": "succeeded"}]}, "fields.id must give a non-empty string or an integer, got null"),
        ({"data": [{"jobId": 1}]}, "fields.status must give text or an integer, got null"),
        ({"data": [job(1, 10, startTime="2026-05-01 10:10")]}, "fields.started_at must include a timezone"),
        ({"data": [job(1, 10, startTime=1714557000000)]}, "fields.started_at must be an ISO 8601 timestamp"),
        ({"data": [job(1, 10, rowsSynced=-1)]}, "fields.records_out must be a non-negative integer"),
        ({"data": [job(1, 10, error=["x"])]}, "fields.message must give text, got list"),
        ({"data": [job(1, 10)], "next": 7}, "health.next must give a URL"),
        ({"data": [job(1, 10), job(2, 20)]}, "not listed newest first"),
    ],
)
def test_a_malformed_answer_is_a_poll_error_saying_what_is_wrong(outbound_client, body, message):
    stand_in = JsonRunsStandIn(runs=[], token=TOKEN)
    stand_in.override("GET", "/v1/jobs", lambda request, match: _answer(body))
    with stand_in as base, pytest.raises(PollError, match=message) as caught:
        json_runs.poll(target(base), outbound_client)
    assert TOKEN not in str(caught.value)


def _answer(body):
    return Answer(200, body)


def test_a_refused_token_is_a_poll_error_without_the_token(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, "wrong-token")
    stand_in = JsonRunsStandIn(runs=[job(1, 10)], token=TOKEN)
    with stand_in as base, pytest.raises(PollError, match=r"credentials refused \(HTTP 401\)") as caught:
        json_runs.poll(target(base), outbound_client)
    assert "wrong-token" not in str(caught.value)


def test_a_next_link_to_another_origin_is_refused_and_not_followed(outbound_client):
    elsewhere = JsonRunsStandIn(runs=[job(1, 10)], token=None)
    with elsewhere as other:
        stand_in = JsonRunsStandIn(runs=[job(3, 30), job(2, 20), job(1, 10)], token=TOKEN, next_base=other)
        with stand_in as base, pytest.raises(PollError, match="next-page link leaves"):
            json_runs.poll(target(base), outbound_client)
    assert elsewhere.requests == []


def test_an_account_with_a_token_url_sends_a_client_credentials_token(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, "airbyte-client:airbyte-secret")
    token_service = StandIn()
    token_service.route(
        "POST",
        "/v1/applications/token",
        lambda request, match: (
            Answer(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 900})
            if parse_qs(request.body.decode()).get("client_secret") == ["airbyte-secret"]
            else Answer(401, {"message": "bad client"})
        ),
    )
    with token_service as token_base, JsonRunsStandIn(runs=[job(1, 10)], token=TOKEN) as base:
        oauth_target = replace(target(base), token_url=f"{token_base}/v1/applications/token", scope="api")
        result = json_runs.poll(oauth_target, outbound_client)
    assert [r.external_id for r in result.runs] == ["1"]
    [exchange] = token_service.requests
    assert parse_qs(exchange.body.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["airbyte-client"],
        "client_secret": ["airbyte-secret"],
        "scope": ["api"],
    }


def test_a_url_source_is_read_without_a_credential(outbound_client):
    with JsonRunsStandIn(runs=[job(1, 10)], token=None) as base:
        options = {k: v for k, v in OPTIONS.items() if k != "path"}
        result = json_runs.poll(PollTarget(kind="json", url=f"{base}/v1/jobs", options=options), outbound_client)
    assert [r.external_id for r in result.runs] == ["1"]


def test_a_private_address_is_refused_by_the_outbound_guard(outbound_client, settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = []
    with JsonRunsStandIn(runs=[job(1, 10)], token=TOKEN) as base, pytest.raises(outbound.OutboundBlocked):
        json_runs.poll(target(base), outbound_client)


def test_json_is_registered_with_no_discovery_and_no_replay(outbound_client):
    assert get_adapter("json") is json_runs
    assert json_runs.discover(target("https://api.example.com"), outbound_client) == []
    assert "no documented way to send records again" in no_replay_reason("json")


@pytest.mark.django_db
def test_polling_a_json_integration_stores_its_runs_and_failed_records():
    options = {**OPTIONS, "failed_records": "rejected[].{key: record, error: reason}"}
    runs = [job(2, 20, "failed", rejected=[{"record": "INV-9", "reason": "bad tax code"}]), job(1, 10)]
    with JsonRunsStandIn(runs=runs, token=TOKEN) as base:
        account = PlatformAccount.objects.create(key="runs-api", platform="json", base_url=base, secret_env=ENV)
        integration = make_integration("invoices", kind="json", health_account=account, health_json=options)
        assert target_for(integration).options == options
        assert poll_source(integration.pk).error == ""
    assert sorted(Run.objects.filter(integration=integration).values_list("external_id", "status")) == [
        ("1", "success"),
        ("2", "failed"),
    ]
    assert list(FailedRecord.objects.filter(integration=integration).values_list("key", "error")) == [
        ("INV-9", "bad tax code")
    ]
    assert source_of(integration).cursor == "2"
