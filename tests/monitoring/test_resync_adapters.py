"""Replay through the platforms' own APIs: Celigo retries flow errors, Workato repeats jobs (stand-ins)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from monitoring.platforms import get_replayer, no_replay_reason
from monitoring.platforms.celigo import adapter as celigo
from monitoring.platforms.contract import PollError, PollTarget, ReplayRecord
from monitoring.platforms.workato import adapter as workato
from tests.monitoring.standins import Answer, CeligoStandIn, WorkatoStandIn

TOKEN = "replay-api-token"
CELIGO_ENV = "PLUMBLINE_CRED_TEST_CELIGO_REPLAY"
WORKATO_ENV = "PLUMBLINE_CRED_TEST_WORKATO_REPLAY"
FLOW = "5f0a1b2c3d4e5f6a7b8c9d0e"
EXPORT = "5f0a00000000000000000e01"
IMPORT = "5f0a00000000000000000101"
FLOW_DEFINITION = {
    "_id": FLOW,
    "name": "Chargebee invoices to NetSuite",
    "pageGenerators": [{"_exportId": EXPORT}],
    "pageProcessors": [{"type": "import", "_importId": IMPORT}],
}
T0 = dt.datetime(2026, 5, 1, 10, 40, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(CELIGO_ENV, TOKEN)
    monkeypatch.setenv(WORKATO_ENV, TOKEN)


def celigo_error(key: str, second: int, retry_key: str | None = None) -> dict:
    return {
        "occurredAt": f"2026-05-01T10:40:{second:02d}.000Z",
        "code": "invalid_field",
        "message": f"Invoice {key}: subsidiary is required",
        "traceKey": key,
        "retryDataKey": retry_key or f"retry-{key}",
        "errorId": f"err-{key}",
        "_flowJobId": "job-4",
    }


def celigo_standin() -> CeligoStandIn:
    errors = {
        (FLOW, IMPORT): [celigo_error("INV-1", 1), celigo_error("INV-2", 2), celigo_error("INV-3", 3)],
        (FLOW, EXPORT): [celigo_error("INV-9", 9)],
    }
    return CeligoStandIn(token=TOKEN, jobs=[], flows=[FLOW_DEFINITION], errors=errors)


def record(position: int, key: str, external_id: str | None = None, run: str = "") -> ReplayRecord:
    return ReplayRecord(
        position=position,
        key=key,
        external_id=f"retry-{key}" if external_id is None else external_id,
        run_external_id=run,
        occurred_at=T0 + dt.timedelta(seconds=position),
    )


def celigo_target(base_url: str) -> PollTarget:
    return PollTarget(kind="celigo", ref=FLOW, base_url=base_url, secret_env=CELIGO_ENV)


def workato_target(base_url: str) -> PollTarget:
    return PollTarget(kind="workato", ref="42", base_url=base_url, secret_env=WORKATO_ENV)


def workato_job(job_id: str) -> dict:
    return {"id": job_id, "status": "failed", "error": "Invalid subsidiary", "started_at": "2026-05-01T10:00:00Z"}


def test_celigo_retries_each_step_in_original_order_one_call_per_run_of_a_step(outbound_client):
    server = celigo_standin()
    records = [record(1, "INV-3"), record(2, "INV-1"), record(3, "INV-9"), record(4, "INV-2")]
    with server as base_url:
        result = celigo.replay(celigo_target(base_url), outbound_client, records)
    assert [r.json() for r in server.requests if r.path.endswith("/retry")] == [
        {"retryDataKeys": ["retry-INV-3", "retry-INV-1"]},
        {"retryDataKeys": ["retry-INV-9"]},
        {"retryDataKeys": ["retry-INV-2"]},
    ]
    assert [(step, keys) for _, step, keys in server.retried] == [
        (IMPORT, ["retry-INV-3", "retry-INV-1"]),
        (EXPORT, ["retry-INV-9"]),
        (IMPORT, ["retry-INV-2"]),
    ]
    assert result.accepted == [1, 2, 3, 4]
    assert result.reference == "retry-job-1, retry-job-2, retry-job-3"
    assert result.error == ""


def test_celigo_finds_each_key_among_all_open_errors_of_the_flow(outbound_client):
    server = celigo_standin()
    records = [record(5, "INV-2", run="job-4"), ReplayRecord(position=7, key="INV-3", external_id="retry-INV-3")]
    with server as base_url:
        result = celigo.replay(celigo_target(base_url), outbound_client, records)
    error_reads = [r for r in server.requests if r.path.endswith("/errors")]
    assert [r.path.split("/")[4] for r in error_reads] == [EXPORT, IMPORT, IMPORT]  # IMPORT has two pages
    assert all("occurredAt_gte" not in r.query for r in error_reads)
    assert result.accepted == [5, 7]


def test_celigo_skips_records_with_no_open_retryable_error(outbound_client):
    server = celigo_standin()
    records = [record(1, "INV-1"), record(2, "INV-7"), record(3, "INV-8", external_id="err-INV-8")]
    with server as base_url:
        result = celigo.replay(celigo_target(base_url), outbound_client, records)
    assert server.retried == [(FLOW, IMPORT, ["retry-INV-1"])]
    assert result.accepted == [1]
    assert result.skipped == {2: "no open retryable error at Celigo", 3: "no open retryable error at Celigo"}


def test_celigo_refused_credentials_raise_without_the_secret(outbound_client, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(CELIGO_ENV, "wrong-celigo-replay-secret")
    server = celigo_standin()
    with server as base_url, pytest.raises(PollError, match=r"credentials refused \(HTTP 401\)") as raised:
        celigo.replay(celigo_target(base_url), outbound_client, [record(1, "INV-1")])
    assert "wrong-celigo-replay-secret" not in str(raised.value)
    assert "wrong-celigo-replay-secret" not in caplog.text
    assert server.retried == []


def test_celigo_a_failing_later_call_keeps_what_was_accepted(outbound_client):
    server = celigo_standin()
    server.override("POST", rf"/v1/flows/{FLOW}/{EXPORT}/retry", lambda r, m: Answer(503, {"message": "busy"}))
    records = [record(1, "INV-1"), record(2, "INV-9"), record(3, "INV-2")]
    with server as base_url:
        result = celigo.replay(celigo_target(base_url), outbound_client, records)
    assert result.accepted == [1]
    assert "unavailable (HTTP 503)" in result.error
    assert server.retried == [(FLOW, IMPORT, ["retry-INV-1"])]  # nothing after the failure


def test_celigo_an_answer_without_a_job_id_is_still_accepted(outbound_client):
    server = celigo_standin()
    server.override("POST", rf"/v1/flows/{FLOW}/{IMPORT}/retry", lambda r, m: Answer(204))
    with server as base_url:
        result = celigo.replay(celigo_target(base_url), outbound_client, [record(1, "INV-1")])
    assert (result.accepted, result.reference) == ([1], "")


def test_workato_repeats_each_job_once_in_original_order(outbound_client):
    jobs = [workato_job(j) for j in ("j-9", "j-4", "j-2", "j-1")]
    server = WorkatoStandIn(token=TOKEN, jobs={"42": jobs})
    records = [record(1, "j-2", "j-2"), record(2, "j-1", "j-1"), record(3, "x", "", run="j-2"), record(4, "j-4", "j-4")]
    with server as base_url:
        result = workato.replay(workato_target(base_url), outbound_client, records)
    [request] = server.requests_to("/api/recipes/42/repeat_jobs")
    assert request.json() == {"job_ids": ["j-2", "j-1", "j-4"]}
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert result.accepted == [1, 3, 2, 4]  # both records of job j-2 went with it


def test_workato_sends_at_most_25_jobs_a_request_in_order(outbound_client, monkeypatch):
    monkeypatch.setattr(workato, "REPEAT_PAUSE_SECONDS", 0.0)
    ids = [f"j-{n:02d}" for n in range(30)]
    server = WorkatoStandIn(token=TOKEN, jobs={"42": [workato_job(j) for j in ids]})
    with server as base_url:
        result = workato.replay(workato_target(base_url), outbound_client, [record(n, j, j) for n, j in enumerate(ids)])
    assert server.repeated == [("42", ids[:25]), ("42", ids[25:])]
    assert result.accepted == list(range(30))


def test_workato_records_without_a_job_id_are_skipped(outbound_client):
    server = WorkatoStandIn(token=TOKEN, jobs={"42": [workato_job("j-1")]})
    with server as base_url:
        result = workato.replay(
            workato_target(base_url), outbound_client, [record(1, "INV-1", ""), record(2, "j-1", "j-1")]
        )
    assert result.skipped == {1: "no Workato job id"}
    assert server.repeated == [("42", ["j-1"])]


def test_workato_refused_credentials_raise_without_the_secret(outbound_client, monkeypatch):
    monkeypatch.setenv(WORKATO_ENV, "wrong-workato-replay-secret")
    server = WorkatoStandIn(token=TOKEN, jobs={"42": [workato_job("j-1")]})
    with server as base_url, pytest.raises(PollError, match=r"credentials refused \(HTTP 401\)") as raised:
        workato.replay(workato_target(base_url), outbound_client, [record(1, "j-1", "j-1")])
    assert "wrong-workato-replay-secret" not in str(raised.value)
    assert server.repeated == []


def test_a_failed_workato_job_is_a_failed_record_keyed_by_its_job_id(outbound_client):
    jobs = [workato_job("j-4"), {**workato_job("j-3"), "status": "succeeded", "error": None}, workato_job("j-1")]
    with WorkatoStandIn(token=TOKEN, jobs={"42": jobs}) as base_url:
        result = workato.poll(workato_target(base_url), outbound_client)
    assert [(r.key, r.external_id, r.run_external_id, r.error) for r in result.failed_records] == [
        ("j-1", "j-1", "j-1", "Invalid subsidiary"),
        ("j-4", "j-4", "j-4", "Invalid subsidiary"),
    ]


@pytest.mark.parametrize("kind", ["heartbeat", "http", "boomi", "mulesoft"])
def test_sources_without_a_replay_api_have_no_replayer_and_say_why(kind):
    assert get_replayer(kind) is None
    assert no_replay_reason(kind)


@pytest.mark.parametrize("kind", ["celigo", "workato"])
def test_celigo_and_workato_can_replay(kind):
    assert get_replayer(kind) is not None
