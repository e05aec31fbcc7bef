"""The Celigo adapter against a stand-in integrator.io API (jobs and flows with Link paging, step errors)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from catalog.models import PlatformAccount
from monitoring.ingest.polling import poll_source
from monitoring.models import FailedRecord
from monitoring.platforms.celigo import adapter as celigo
from monitoring.platforms.contract import (
    DiscoveredProcess,
    FailedRecordObservation,
    PollError,
    PollTarget,
    RunObservation,
)
from tests.monitoring.conftest import make_integration, source_of
from tests.monitoring.standins import Answer, CeligoStandIn

TOKEN = "celigo-api-token"
ENV = "PLUMBLINE_CRED_TEST_CELIGO"
FLOW = "5f0a1b2c3d4e5f6a7b8c9d0e"
EXPORT = "5f0a00000000000000000e01"
IMPORT = "5f0a00000000000000000101"
LOOKUP = "5f0a00000000000000000e02"


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, TOKEN)


def job(job_id: str, minute: int, status: str = "completed", flow: str = FLOW, **extra) -> dict:
    created = f"2026-05-01T10:{minute:02d}:00.000Z"
    return {
        "_id": job_id,
        "type": "flow",
        "_flowId": flow,
        "_integrationId": "5f0a000000000000000000aa",
        "status": status,
        "numSuccess": 10,
        "numError": 0,
        "numIgnore": 1,
        "numPagesGenerated": 1,
        "createdAt": created,
        "startedAt": created,
        "endedAt": None if status == "running" else f"2026-05-01T10:{minute:02d}:45.000Z",
        "lastModified": created,
        **extra,
    }


FLOW_DEFINITION = {
    "_id": FLOW,
    "name": "Chargebee invoices to NetSuite",
    "disabled": False,
    "pageGenerators": [{"_exportId": EXPORT}],
    "pageProcessors": [{"type": "import", "_importId": IMPORT}],
    "routers": [{"branches": [{"name": "lookups", "pageProcessors": [{"type": "export", "_exportId": LOOKUP}]}]}],
}


def error(trace_key: str, second: int, job_id: str = "job-4", **extra) -> dict:
    return {
        "occurredAt": f"2026-05-01T10:40:{second:02d}.000Z",
        "source": "application",
        "code": "invalid_field",
        "message": f"Invoice {trace_key}: subsidiary is required",
        "traceKey": trace_key,
        "retryDataKey": f"retry-{trace_key}",
        "errorId": f"err-{trace_key}",
        "_flowJobId": job_id,
        **extra,
    }


def five_jobs() -> list[dict]:
    return [
        job("job-1", 10),
        job("job-2", 20, numError=0, numSuccess=0, numIgnore=0),
        job("job-3", 30, "failed", numSuccess=0, numError=0),
        job("job-4", 40, numError=3),
        job("job-5", 50, "canceled"),
        job("job-other", 55, flow="5f0a1b2c3d4e5f6a7b8c9dff"),
    ]


def standin(jobs=None, errors=None, flows=None) -> CeligoStandIn:
    return CeligoStandIn(
        token=TOKEN,
        jobs=five_jobs() if jobs is None else jobs,
        flows=[FLOW_DEFINITION] if flows is None else flows,
        errors=errors or {},
    )


def target(base_url: str, cursor: str | None = None) -> PollTarget:
    return PollTarget(kind="celigo", ref=FLOW, base_url=base_url, secret_env=ENV, cursor=cursor)


def test_flow_jobs_are_read_across_link_header_pages(outbound_client):
    server = standin()
    with server as base_url:
        result = celigo.poll(target(base_url), outbound_client)
    assert [r.external_id for r in result.runs] == ["job-5", "job-4", "job-3", "job-2", "job-1"]
    jobs_requests = server.requests_to("/v1/jobs")
    assert [r.query.get("skip") for r in jobs_requests] == [None, "2", "4"]
    assert jobs_requests[0].query == {"_flowId": FLOW, "type": "flow"}
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {TOKEN}"}


def test_a_job_becomes_a_run_with_counts_and_times(outbound_client):
    with standin(jobs=[job("job-1", 10, numSuccess=8, numError=0, numIgnore=2)]) as base_url:
        result = celigo.poll(target(base_url), outbound_client)
    assert result.runs == [
        RunObservation(
            external_id="job-1",
            status="success",
            started_at=dt.datetime(2026, 5, 1, 10, 10, tzinfo=dt.UTC),
            finished_at=dt.datetime(2026, 5, 1, 10, 10, 45, tzinfo=dt.UTC),
            records_in=10,
            records_out=8,
            records_failed=0,
        )
    ]


@pytest.mark.parametrize(
    ("status", "num_error", "expected"),
    [
        ("completed", 0, "success"),
        ("completed", 2, "failed"),
        ("failed", 0, "failed"),
        ("canceled", 0, "failed"),
        ("running", 0, "running"),
        ("queued", 0, "running"),
        ("retrying", 0, "running"),
    ],
)
def test_celigo_statuses_map_to_run_statuses(outbound_client, status, num_error, expected):
    with standin(jobs=[job("job-1", 10, status, numError=num_error)], errors={}) as base_url:
        assert celigo.poll(target(base_url), outbound_client).runs[0].status == expected


def test_failed_records_come_from_the_open_errors_of_every_flow_step(outbound_client):
    errors = {
        (FLOW, IMPORT): [error("INV-1", 1), error("INV-2", 2), error("INV-3", 3)],
        (FLOW, EXPORT): [error("INV-9", 9, retryDataKey=None)],
    }
    server = standin(errors=errors)
    with server as base_url:
        result = celigo.poll(target(base_url), outbound_client)
    assert result.failed_records[0] == FailedRecordObservation(
        key="INV-9",
        error="invalid_field: Invoice INV-9: subsidiary is required",
        occurred_at=dt.datetime(2026, 5, 1, 10, 40, 9, tzinfo=dt.UTC),
        run_external_id="job-4",
        external_id="err-INV-9",
    )
    assert [(r.key, r.external_id) for r in result.failed_records[1:]] == [
        ("INV-1", "retry-INV-1"),
        ("INV-2", "retry-INV-2"),
        ("INV-3", "retry-INV-3"),
    ]
    error_requests = server.requests_to(f"/v1/flows/{FLOW}/")
    assert [r.path.split("/")[4] for r in error_requests] == [EXPORT, IMPORT, IMPORT, LOOKUP]
    assert error_requests[0].query["occurredAt_gte"] == "2026-05-01T10:40:00.000Z"  # the failing job's creation


def test_no_errors_are_read_when_no_new_job_reports_errors(outbound_client):
    server = standin(jobs=[job("job-1", 10), job("job-2", 20, "failed")])
    with server as base_url:
        result = celigo.poll(target(base_url), outbound_client)
    assert result.failed_records == []
    assert [r.path for r in server.requests_to("/v1/flows")] == [f"/v1/flows/{FLOW}"]  # the flow, no step errors


def test_the_cursor_is_the_newest_creation_and_a_repeat_poll_returns_nothing(outbound_client):
    server = standin(errors={(FLOW, IMPORT): [error("INV-1", 1)]})
    with server as base_url:
        first = celigo.poll(target(base_url), outbound_client)
        server.requests.clear()
        second = celigo.poll(target(base_url, cursor=first.cursor), outbound_client)
    assert first.cursor == "2026-05-01T10:50:00.000Z"
    assert second.runs == []
    assert second.failed_records == []
    assert second.cursor == first.cursor
    assert [r.query.get("createdAt_gte") for r in server.requests_to("/v1/jobs")] == ["2026-05-01T10:50:00.000Z"]


def test_a_poll_from_the_cursor_returns_only_later_jobs(outbound_client):
    server = standin(jobs=five_jobs()[:2])
    with server as base_url:
        cursor = celigo.poll(target(base_url), outbound_client).cursor
        server.jobs.append(job("job-9", 59))
        result = celigo.poll(target(base_url, cursor=cursor), outbound_client)
    assert [r.external_id for r in result.runs] == ["job-9"]


def test_the_cursor_stays_before_a_job_still_running(outbound_client):
    server = standin(jobs=[job("job-1", 10, "running"), job("job-2", 20)])
    with server as base_url:
        first = celigo.poll(target(base_url), outbound_client)
        assert first.cursor == "2026-05-01T10:09:59.999Z"
        server.jobs[0] = job("job-1", 10, "completed")
        second = celigo.poll(target(base_url, cursor=first.cursor), outbound_client)
    assert [(r.external_id, r.status) for r in second.runs] == [("job-2", "success"), ("job-1", "success")]


def test_a_next_page_link_to_another_origin_is_refused(outbound_client):
    server = standin()
    server.override(
        "GET", "/v1/jobs", lambda r, m: Answer(200, [], {"Link": '<http://127.0.0.2:9/v1/jobs?skip=2>; rel="next"'})
    )
    with server as base_url, pytest.raises(PollError, match="next-page link leaves"):
        celigo.poll(target(base_url), outbound_client)


def test_refused_credentials_are_a_poll_error_without_the_secret(outbound_client, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(ENV, "wrong-celigo-secret")
    with standin() as base_url, pytest.raises(PollError, match="credentials refused") as raised:
        celigo.poll(target(base_url), outbound_client)
    assert "wrong-celigo-secret" not in str(raised.value)
    assert "wrong-celigo-secret" not in caplog.text


def test_a_missing_secret_is_a_poll_error_naming_the_variable(outbound_client, monkeypatch):
    monkeypatch.delenv(ENV)
    with pytest.raises(PollError, match=f"environment variable {ENV} is not set"):
        celigo.poll(target("http://127.0.0.1:9"), outbound_client)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"jobs": []}, "expected a JSON array"),
        ([job("job-1", 10, "paused")], "unknown status 'paused'"),
        ([{**job("job-1", 10), "createdAt": None}], "createdAt must be an ISO 8601 timestamp"),
        ([{**job("job-1", 10), "_id": ""}], "_id must be a non-empty string"),
        ([job("job-1", 10, numError="3")], "numError must be a non-negative integer"),
        ([job("job-1", 10, startedAt="10am")], "startedAt must be an ISO 8601 timestamp"),
    ],
)
def test_a_malformed_job_list_is_a_poll_error(outbound_client, body, complaint):
    server = standin()
    server.override("GET", "/v1/jobs", lambda r, m: Answer(200, body))
    with server as base_url, pytest.raises(PollError, match=complaint):
        celigo.poll(target(base_url), outbound_client)


def test_a_malformed_error_is_a_poll_error(outbound_client):
    errors = {(FLOW, IMPORT): [{"occurredAt": "2026-05-01T10:40:00.000Z", "message": "no key at all"}]}
    with standin(errors=errors) as base_url, pytest.raises(PollError, match="no traceKey, retryDataKey or errorId"):
        celigo.poll(target(base_url), outbound_client)


def test_discover_lists_every_flow_across_link_header_pages(outbound_client):
    flows = [{"_id": f"flow{i}", "name": f"Flow {i}", "disabled": False} for i in range(1, 6)]
    server = standin(flows=flows)
    with server as base_url:
        found = celigo.discover(target(base_url), outbound_client)
    assert found == [DiscoveredProcess(ref=f"flow{i}", name=f"Flow {i}") for i in range(1, 6)]
    assert len(server.requests) == 3


def test_discover_with_no_flows_is_empty(outbound_client):
    with standin(flows=[]) as base_url:
        assert celigo.discover(target(base_url), outbound_client) == []


def jobs_at(start: dt.datetime, count: int, prefix: str, step: dt.timedelta) -> list[dict]:
    """`count` completed jobs of the flow, one every `step` from `start` (many share a millisecond when step is 0)."""
    made = []
    for n in range(count):
        created = (start + step * n).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        made.append({**job(f"{prefix}-{n:05d}", 0), "createdAt": created, "startedAt": created, "endedAt": created})
    return made


def _at(item: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(item["createdAt"])


def test_a_backlog_longer_than_one_list_without_link_headers_is_read_window_by_window(outbound_client):
    """The jobs API as its reference page documents it: newest first, at most 1,000, no Link header."""
    t0 = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
    server = CeligoStandIn(
        token=TOKEN, jobs=jobs_at(t0, 10, "early", dt.timedelta(seconds=1)), link_paging=False, flows=[FLOW_DEFINITION]
    )
    with server as base_url:
        first = celigo.poll(target(base_url), outbound_client)
        # 1,190 jobs between two polls: 1,170 four a second, and 20 in one millisecond that the first
        # list of 1,000 cuts through (990 busy jobs are newer than them).
        backlog = jobs_at(t0 + dt.timedelta(minutes=5), 1170, "busy", dt.timedelta(milliseconds=250))
        edge = _at(backlog[179]) + dt.timedelta(milliseconds=125)
        backlog += jobs_at(edge, 20, "same-ms", dt.timedelta(0))
        server.jobs.extend(backlog)
        server.requests.clear()
        second = celigo.poll(target(base_url, cursor=first.cursor), outbound_client)
        windows = [r.query.get("createdAt_lte") for r in server.requests_to("/v1/jobs")]
        third = celigo.poll(target(base_url, cursor=second.cursor), outbound_client)
    stored = {r.external_id for r in first.runs} | {r.external_id for r in second.runs}
    assert len(first.runs) == 10 and len(second.runs) == 1190
    assert len(stored) == 1200 and stored == {j["_id"] for j in server.jobs}
    assert windows[0] is None and len(windows) == 2  # the newest 1,000, then the window ending at the oldest read
    assert second.cursor == max(j["createdAt"] for j in server.jobs)
    assert third.runs == []


def test_an_unread_backlog_keeps_the_cursor_where_it_was(outbound_client, monkeypatch):
    """Stopping before the oldest window (the page bound) must not move the cursor past jobs never read."""
    t0 = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(celigo, "JOBS_PER_LIST", 5)
    monkeypatch.setattr(celigo.outbound, "MAX_PAGES", 2)
    jobs = jobs_at(t0, 30, "j", dt.timedelta(seconds=1))
    server = CeligoStandIn(token=TOKEN, jobs=jobs, link_paging=False, list_cap=5, flows=[FLOW_DEFINITION])
    with server as base_url:
        result = celigo.poll(target(base_url, cursor="2026-05-01T09:00:00.000Z"), outbound_client)
    assert len(result.runs) == 9  # two windows of five, newest first, sharing the job on their edge
    assert result.cursor == "2026-05-01T09:00:00.000Z"


def test_a_disabled_flow_is_stopped_on_celigo(outbound_client):
    server = standin(flows=[{**FLOW_DEFINITION, "disabled": True}])
    with server as base_url:
        result = celigo.poll(target(base_url), outbound_client)
    assert result.stopped == f"stopped on Celigo: flow {FLOW} is disabled"
    assert len(result.runs) == 5  # its past jobs are still read


def test_an_enabled_flow_is_not_stopped(outbound_client):
    with standin() as base_url:
        assert celigo.poll(target(base_url), outbound_client).stopped == ""


def test_link_pages_cut_at_the_page_bound_keep_the_cursor(outbound_client, monkeypatch):
    """Jobs on Link pages past the bound are older than those read: the cursor must not pass over them."""
    monkeypatch.setattr(celigo.outbound, "MAX_PAGES", 2)
    with standin() as base_url:
        result = celigo.poll(target(base_url, cursor="2026-05-01T10:00:00.000Z"), outbound_client)
    assert [r.external_id for r in result.runs] == ["job-5", "job-4", "job-3", "job-2"]
    assert result.cursor == "2026-05-01T10:00:00.000Z"


def test_discover_lists_only_flows_that_are_not_disabled(outbound_client):
    flows = [
        {"_id": "flow1", "name": "Orders", "disabled": False},
        {"_id": "flow2", "name": "Draft of refunds", "disabled": True},
        {"_id": "flow3", "name": "Invoices", "disabled": False},
    ]
    with standin(flows=flows) as base_url:
        found = celigo.discover(target(base_url), outbound_client)
    assert found == [DiscoveredProcess(ref="flow1", name="Orders"), DiscoveredProcess(ref="flow3", name="Invoices")]


# --- errors resolved on Celigo ------------------------------------------------------------------------

AFTER_THE_JOBS = dt.datetime(2026, 5, 1, 11, 0, tzinfo=dt.UTC)  # later than every job above: when errors are resolved


def resolved_error(trace_key: str, second: int, **extra) -> dict:
    return {**error(trace_key, second, **extra), "resolvedAt": "2026-05-01T11:00:00.000Z", "resolvedBy": "user"}


def test_resolved_errors_are_read_for_every_step_since_the_previous_cursor(outbound_client):
    server = standin()
    with server as base_url:
        first = celigo.poll(target(base_url), outbound_client)
        assert not [r for r in server.requests if r.path.endswith("/resolved")]  # no cursor yet: nothing to close
        server.resolved = {
            (FLOW, IMPORT): [resolved_error("INV-1", 1), resolved_error("INV-2", 2)],
            (FLOW, EXPORT): [resolved_error("INV-9", 9, retryDataKey=None)],
        }
        second = celigo.poll(target(base_url, cursor=first.cursor), outbound_client)
    reads = [r for r in server.requests if r.path.endswith("/resolved")]
    assert [r.path.split("/")[4] for r in reads] == [EXPORT, IMPORT, LOOKUP]
    assert {r.query["resolvedAt_gte"] for r in reads} == {first.cursor}
    assert [(c.external_id, c.run_external_id, c.how) for c in second.resolved] == [
        ("err-INV-9", "", "resolved on Celigo"),
        ("retry-INV-1", "", "resolved on Celigo"),
        ("err-INV-1", "", "resolved on Celigo"),
        ("retry-INV-2", "", "resolved on Celigo"),
        ("err-INV-2", "", "resolved on Celigo"),
    ]


def test_resolved_errors_cut_at_the_page_bound_keep_the_cursor(outbound_client, monkeypatch):
    """Resolutions left unread would be missed for good if the cursor moved on: the next poll reads them again."""
    monkeypatch.setattr(celigo.outbound, "MAX_PAGES", 1)
    resolved = {(FLOW, IMPORT): [resolved_error(f"INV-{n}", n) for n in (1, 2, 3)]}
    server = CeligoStandIn(token=TOKEN, jobs=five_jobs(), flows=[FLOW_DEFINITION], resolved=resolved, link_paging=False)
    with server as base_url:
        result = celigo.poll(target(base_url, cursor="2026-05-01T10:00:00.000Z"), outbound_client)
    assert len(result.runs) == 5  # the jobs were all read
    assert [c.external_id for c in result.resolved] == ["retry-INV-1", "err-INV-1", "retry-INV-2", "err-INV-2"]
    assert result.cursor == "2026-05-01T10:00:00.000Z"


def test_a_resolved_error_without_ids_is_a_poll_error(outbound_client):
    server = standin()
    server.resolved = {(FLOW, IMPORT): [resolved_error("INV-1", 1, retryDataKey=None, errorId=None)]}
    with server as base_url, pytest.raises(PollError, match="a resolved error has no retryDataKey or errorId"):
        celigo.poll(target(base_url, cursor="2026-05-01T10:00:00.000Z"), outbound_client)


@pytest.mark.django_db
def test_celigo_resolved_errors_leave_no_open_failed_records():
    """Through the pipeline: records stored by one poll are closed by the next once Celigo resolved them."""
    errors = {
        (FLOW, IMPORT): [error("INV-1", 1), error("INV-2", 2), error("INV-3", 3)],
        (FLOW, EXPORT): [error("INV-9", 9, retryDataKey=None)],
    }
    server = standin(errors=errors)
    with server as base_url:
        account = PlatformAccount.objects.create(
            key="celigo-prod", platform="celigo", base_url=base_url, secret_env=ENV
        )
        integration = make_integration("invoices", kind="celigo", health_account=account, health_ref=FLOW)
        assert poll_source(integration.pk).error == ""
        assert source_of(integration).open_failed_records == 4

        server.resolve(FLOW, IMPORT, ["err-INV-1", "err-INV-2", "err-INV-3"], at=AFTER_THE_JOBS)
        server.resolve(FLOW, EXPORT, ["err-INV-9"], at=AFTER_THE_JOBS)
        assert poll_source(integration.pk).error == ""

    assert source_of(integration).open_failed_records == 0
    assert set(FailedRecord.objects.values_list("key", "resolution")) == {
        (key, "resolved on Celigo") for key in ("INV-1", "INV-2", "INV-3", "INV-9")
    }
