"""The http adapter against a real status page on 127.0.0.1 (DESIGN.md's HTTP pull shape)."""

from __future__ import annotations

import datetime as dt

import pytest

from monitoring.platforms import get_adapter
from monitoring.platforms.contract import FailedRecordObservation, PollError, PollTarget, RunObservation
from monitoring.platforms.http import adapter as http
from tests.monitoring.standins import StatusPage


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def run(run_id: str, status: str = "success", **extra) -> dict:
    return {
        "id": run_id,
        "started_at": "2026-05-01T10:00:00Z",
        "finished_at": "2026-05-01T10:01:00Z",
        "status": status,
        **extra,
    }


@pytest.fixture
def poll(outbound_client):
    def poll(base_url: str, cursor: str | None = None):
        return http.poll(PollTarget(kind="http", url=f"{base_url}/status", cursor=cursor), outbound_client)

    return poll


def test_runs_and_failed_records_are_read_with_all_their_fields(poll):
    page = StatusPage(
        {
            "runs": [
                run("r-43", "failed", records_in=10, records_out=9, records_failed=1, message="one bad invoice"),
                run("r-42", records_in=10, records_out=10, records_failed=0),
            ],
            "failed_records": [
                {"key": "INV-1", "error": "currency missing", "occurred_at": "2026-05-01T10:00:30Z", "run_id": "r-43"}
            ],
        }
    )
    with page as base_url:
        result = poll(base_url)
    assert result.runs == [
        RunObservation(
            external_id="r-43",
            status="failed",
            started_at=at("2026-05-01T10:00:00+00:00"),
            finished_at=at("2026-05-01T10:01:00+00:00"),
            records_in=10,
            records_out=9,
            records_failed=1,
            message="one bad invoice",
        ),
        RunObservation(
            external_id="r-42",
            status="success",
            started_at=at("2026-05-01T10:00:00+00:00"),
            finished_at=at("2026-05-01T10:01:00+00:00"),
            records_in=10,
            records_out=10,
            records_failed=0,
        ),
    ]
    assert result.failed_records == [
        FailedRecordObservation(
            key="INV-1", error="currency missing", occurred_at=at("2026-05-01T10:00:30+00:00"), run_external_id="r-43"
        )
    ]
    assert result.cursor == "r-43"
    assert page.requests[0].headers["accept"] == "application/json"


def test_a_repeat_poll_with_the_cursor_returns_nothing_already_returned(poll):
    page = StatusPage(
        {"runs": [run("r-2", "failed"), run("r-1")], "failed_records": [{"key": "K", "error": "e", "run_id": "r-2"}]}
    )
    with page as base_url:
        first = poll(base_url)
        second = poll(base_url, cursor=first.cursor)
    assert second.runs == []
    assert second.failed_records == []
    assert second.cursor == "r-2"


def test_a_poll_after_new_runs_returns_only_the_new_ones(poll):
    page = StatusPage({"runs": [run("r-1")]})
    with page as base_url:
        cursor = poll(base_url).cursor
        page.body = {"runs": [run("r-3"), run("r-2"), run("r-1")]}
        result = poll(base_url, cursor=cursor)
    assert [r.external_id for r in result.runs] == ["r-3", "r-2"]
    assert result.cursor == "r-3"


def test_a_running_run_is_read_again_until_it_finishes(poll):
    page = StatusPage({"runs": [run("r-2", "running", finished_at=None), run("r-1")]})
    with page as base_url:
        first = poll(base_url)
        assert first.cursor == "r-1"
        page.body = {"runs": [run("r-2", "success"), run("r-1")]}
        second = poll(base_url, cursor=first.cursor)
    assert [(r.external_id, r.status) for r in second.runs] == [("r-2", "success")]
    assert second.cursor == "r-2"


def test_a_cursor_that_rolled_off_the_page_returns_every_run(poll):
    page = StatusPage({"runs": [run("r-9"), run("r-8")]})
    with page as base_url:
        result = poll(base_url, cursor="r-1")
    assert [r.external_id for r in result.runs] == ["r-9", "r-8"]


def test_failed_records_may_be_left_out(poll):
    with StatusPage({"runs": [run("r-1")]}) as base_url:
        assert poll(base_url).failed_records == []


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ([], "expected a JSON object"),
        ({}, "runs: expected a JSON array"),
        ({"runs": {"id": "r-1"}}, "runs: expected a JSON array"),
        ({"runs": ["r-1"]}, r"runs\[0\]: expected a JSON object"),
        ({"runs": [run("r-1", "done")]}, "status must be success, failed or running"),
        ({"runs": [{"status": "success"}]}, "id must be a non-empty string"),
        ({"runs": [run("r-1", started_at="yesterday")]}, "started_at must be an ISO 8601 timestamp"),
        ({"runs": [run("r-1", started_at="2026-05-01T10:00:00")]}, "must include a timezone"),
        ({"runs": [run("r-1", records_in=-1)]}, "records_in must be a non-negative integer"),
        ({"runs": [run("r-1", records_out=True)]}, "records_out must be a non-negative integer"),
        ({"runs": [run("r-1", records_failed="2")]}, "records_failed must be a non-negative integer"),
        ({"runs": [run("r-1", message=5)]}, "message must be a string"),
        ({"runs": [run("r-1"), run("r-1")]}, "repeat an id"),
        ({"runs": [], "failed_records": [{"error": "x"}]}, "key must be a non-empty string"),
        ({"runs": [], "failed_records": [{"key": "K"}]}, "error must be a non-empty string"),
        ({"runs": [], "failed_records": "none"}, "failed_records: expected a JSON array"),
    ],
)
def test_a_malformed_status_page_is_a_poll_error(poll, body, complaint):
    with StatusPage(body) as base_url, pytest.raises(PollError, match=complaint):
        poll(base_url)


def test_a_status_page_that_is_not_json_is_a_poll_error(poll):
    with StatusPage(b"<html>ok</html>") as base_url, pytest.raises(PollError, match="not valid JSON"):
        poll(base_url)


def test_a_source_without_a_url_is_a_poll_error(outbound_client):
    with pytest.raises(PollError, match="has no url"):
        http.poll(PollTarget(kind="http"), outbound_client)


def test_discover_finds_nothing_for_a_status_url(outbound_client):
    assert http.discover(PollTarget(kind="http", url="http://127.0.0.1/status"), outbound_client) == []


@pytest.mark.parametrize("kind", ["http", "boomi", "workato", "celigo", "mulesoft"])
def test_every_health_kind_has_an_adapter(kind):
    adapter = get_adapter(kind)
    assert callable(adapter.poll)
    assert callable(adapter.discover)


def test_an_unknown_kind_has_no_adapter():
    with pytest.raises(PollError, match="no health adapter for kind 'heartbeat'"):
        get_adapter("heartbeat")
