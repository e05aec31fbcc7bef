"""The Workato adapter against a stand-in Developer API (recipe jobs, newest first, offset_job_id paging)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from catalog.models import PlatformAccount
from monitoring.ingest.polling import poll_source
from monitoring.models import FailedRecord
from monitoring.platforms import outbound
from monitoring.platforms.contract import (
    DiscoveredProcess,
    FailedRecordObservation,
    PollError,
    PollTarget,
    ResolvedObservation,
    RunObservation,
)
from monitoring.platforms.workato import adapter as workato
from tests.monitoring.conftest import make_integration, source_of
from tests.monitoring.standins import Answer, WorkatoStandIn

TOKEN = "wrk-api-outbound_client-token"
ENV = "PLUMBLINE_CRED_TEST_WORKATO"


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, TOKEN)


def job(job_id: str | int, status: str = "succeeded", minute: int = 0, **extra) -> dict:
    return {
        "id": job_id,
        "flow_run_id": 1000 + minute,
        "started_at": f"2026-05-01T10:{minute:02d}:00.000Z",
        "completed_at": None if status == "pending" else f"2026-05-01T10:{minute:02d}:30.000Z",
        "title": "New invoice in Chargebee",
        "is_poll_error": False,
        "error": "Invalid subsidiary" if status == "failed" else None,
        "is_error": status == "failed",
        "status": status,
        **extra,
    }


def five_jobs() -> list[dict]:
    """Newest first, as Workato lists them."""
    return [
        job("j-5", "succeeded", 50),
        job("j-4", "failed", 40),
        job("j-3", "succeeded", 30),
        job("j-2", "succeeded", 20),
        job("j-1", "failed", 10),
    ]


def target(base_url: str, cursor: str | None = None) -> PollTarget:
    return PollTarget(kind="workato", ref="42", base_url=base_url, secret_env=ENV, cursor=cursor)


def test_jobs_are_read_across_pages_going_back_by_offset_job_id(outbound_client):
    server = WorkatoStandIn(token=TOKEN, jobs={"42": five_jobs()})
    with server as base_url:
        result = workato.poll(target(base_url), outbound_client)
    assert [r.external_id for r in result.runs] == ["j-5", "j-4", "j-3", "j-2", "j-1"]
    jobs = server.requests_to("/api/recipes/42/jobs")
    assert [r.query.get("offset_job_id") for r in jobs] == [None, "j-4", "j-2", "j-1"]
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {TOKEN}"}
    assert jobs[1].query["prev"] == "false"


def test_a_job_becomes_a_run_with_times_and_error_message(outbound_client):
    with WorkatoStandIn(token=TOKEN, jobs={"42": [job("j-1", "failed", 10)]}) as base_url:
        result = workato.poll(target(base_url), outbound_client)
    assert result.runs == [
        RunObservation(
            external_id="j-1",
            status="failed",
            started_at=dt.datetime(2026, 5, 1, 10, 10, tzinfo=dt.UTC),
            finished_at=dt.datetime(2026, 5, 1, 10, 10, 30, tzinfo=dt.UTC),
            message="Invalid subsidiary",
        )
    ]


@pytest.mark.parametrize(
    ("status", "expected"), [("succeeded", "success"), ("failed", "failed"), ("pending", "running")]
)
def test_workato_statuses_map_to_run_statuses(outbound_client, status, expected):
    with WorkatoStandIn(token=TOKEN, jobs={"42": [job("j-1", status)]}) as base_url:
        assert workato.poll(target(base_url), outbound_client).runs[0].status == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"is_error": True}, "failed"),
        ({"is_error": False}, "success"),
        ({"is_error": False, "completed_at": None}, "running"),
    ],
)
def test_without_a_status_field_the_status_comes_from_is_error_and_completed_at(outbound_client, fields, expected):
    record = {k: v for k, v in job("j-1").items() if k != "status"} | fields
    with WorkatoStandIn(token=TOKEN, jobs={"42": [record]}) as base_url:
        assert workato.poll(target(base_url), outbound_client).runs[0].status == expected


def test_numeric_job_ids_are_read_as_strings(outbound_client):
    with WorkatoStandIn(token=TOKEN, jobs={"42": [job(1234)]}) as base_url:
        assert workato.poll(target(base_url), outbound_client).runs[0].external_id == "1234"


def test_a_repeat_poll_with_the_cursor_returns_nothing_and_reads_one_page(outbound_client):
    server = WorkatoStandIn(token=TOKEN, jobs={"42": five_jobs()})
    with server as base_url:
        first = workato.poll(target(base_url), outbound_client)
        server.requests.clear()
        second = workato.poll(target(base_url, cursor=first.cursor), outbound_client)
    assert first.cursor == "j-5"
    assert second.runs == []
    assert second.cursor == "j-5"
    assert len(server.requests_to("/api/recipes/42/jobs")) == 1


def test_a_poll_from_the_cursor_returns_only_newer_jobs(outbound_client):
    server = WorkatoStandIn(token=TOKEN, jobs={"42": five_jobs()})
    with server as base_url:
        cursor = workato.poll(target(base_url), outbound_client).cursor
        server.jobs["42"][:0] = [job("j-8", minute=58), job("j-7", minute=57), job("j-6", minute=56)]
        result = workato.poll(target(base_url, cursor=cursor), outbound_client)
    assert [r.external_id for r in result.runs] == ["j-8", "j-7", "j-6"]
    assert result.cursor == "j-8"


def test_the_cursor_stays_below_a_pending_job_until_it_finishes(outbound_client):
    server = WorkatoStandIn(token=TOKEN, jobs={"42": [job("j-6", "pending", 55), *five_jobs()]})
    with server as base_url:
        first = workato.poll(target(base_url), outbound_client)
        assert first.cursor == "j-5"
        server.jobs["42"][0] = job("j-6", "failed", 55)
        second = workato.poll(target(base_url, cursor=first.cursor), outbound_client)
    assert [(r.external_id, r.status) for r in second.runs] == [("j-6", "failed")]
    assert second.cursor == "j-6"


def test_paging_stops_at_the_page_bound(outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)
    server = WorkatoStandIn(token=TOKEN, jobs={"42": five_jobs()})
    with server as base_url:
        result = workato.poll(target(base_url), outbound_client)
    assert len(server.requests_to("/api/recipes/42/jobs")) == 2
    assert [r.external_id for r in result.runs] == ["j-5", "j-4", "j-3", "j-2"]


def test_refused_credentials_are_a_poll_error_without_the_secret(outbound_client, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(ENV, "wrong-workato-secret")
    server = WorkatoStandIn(token=TOKEN, jobs={"42": five_jobs()})
    with server as base_url, pytest.raises(PollError, match=r"credentials refused \(HTTP 401\)") as raised:
        workato.poll(target(base_url), outbound_client)
    assert "wrong-workato-secret" not in str(raised.value)
    assert "wrong-workato-secret" not in caplog.text


def test_a_missing_secret_is_a_poll_error_naming_the_variable(outbound_client, monkeypatch):
    monkeypatch.delenv(ENV)
    with pytest.raises(PollError, match=f"environment variable {ENV} is not set"):
        workato.poll(target("http://127.0.0.1:9"), outbound_client)


def test_a_server_error_is_a_poll_error(outbound_client):
    server = WorkatoStandIn(token=TOKEN, jobs={"42": five_jobs()})
    server.override("GET", r"/api/recipes/42/jobs", lambda r, m: Answer(502, {"message": "bad gateway"}))
    with server as base_url, pytest.raises(PollError, match=r"server error \(HTTP 502\)"):
        workato.poll(target(base_url), outbound_client)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"jobs": []}, "items: expected a JSON array"),
        ({"items": [{"status": "succeeded"}]}, "id must be a non-empty string"),
        ({"items": [job("j-1", "skipped")]}, "unknown status 'skipped'"),
        ({"items": [{"id": "j-1", "started_at": "2026-05-01T10:00:00Z"}]}, "needs a status or an is_error flag"),
        ({"items": [job("j-1", started_at="noon")]}, "started_at must be an ISO 8601 timestamp"),
        ({"items": [job("j-1", "failed", error=["x"])]}, "error must be a string or an object"),
    ],
)
def test_a_malformed_job_list_is_a_poll_error(outbound_client, body, complaint):
    server = WorkatoStandIn(token=TOKEN, jobs={"42": []})
    server.override("GET", r"/api/recipes/42/jobs", lambda r, m: Answer(200, body))
    with server as base_url, pytest.raises(PollError, match=complaint):
        workato.poll(target(base_url), outbound_client)


def test_discover_lists_every_recipe_across_pages(outbound_client):
    recipes = [{"id": i, "name": f"Recipe {i}", "running": True} for i in range(1, 151)]
    server = WorkatoStandIn(token=TOKEN, jobs={}, recipes=recipes)
    with server as base_url:
        found = workato.discover(target(base_url), outbound_client)
    assert found == [DiscoveredProcess(ref=str(i), name=f"Recipe {i}") for i in range(1, 151)]
    assert [(r.query["page"], r.query["per_page"]) for r in server.requests] == [("1", "100"), ("2", "100")]


def test_a_recipe_that_is_not_running_is_stopped_on_workato(outbound_client):
    server = WorkatoStandIn(
        token=TOKEN, jobs={"42": five_jobs()}, recipes=[{"id": 42, "name": "Orders", "running": False}]
    )
    with server as base_url:
        result = workato.poll(target(base_url), outbound_client)
    assert result.stopped == "stopped on Workato: recipe 42 is not running"
    assert len(result.runs) == 5


def test_a_running_recipe_is_not_stopped(outbound_client):
    server = WorkatoStandIn(
        token=TOKEN, jobs={"42": five_jobs()}, recipes=[{"id": 42, "name": "Orders", "running": True}]
    )
    with server as base_url:
        assert workato.poll(target(base_url), outbound_client).stopped == ""


def test_a_trigger_that_could_not_poll_is_a_failed_run_but_no_failed_record(outbound_client):
    jobs = [
        job("j-2", "failed", 20, is_poll_error=True, error="Chargebee: 401 Unauthorized"),
        job("j-1", "failed", 10),
    ]
    with WorkatoStandIn(token=TOKEN, jobs={"42": jobs}) as base_url:
        result = workato.poll(target(base_url), outbound_client)
    runs = {r.external_id: (r.status, r.message) for r in result.runs}
    assert runs["j-2"] == ("failed", "the trigger could not poll: Chargebee: 401 Unauthorized")
    assert [r.run_external_id for r in result.failed_records] == ["j-1"]  # j-2 had no record to replay


def test_discover_lists_only_running_recipes(outbound_client):
    recipes = [
        {"id": 3, "name": "Orders", "running": True},
        {"id": 2, "name": "Draft of refunds", "running": False},
        {"id": 1, "name": "Invoices", "running": True},
    ]
    server = WorkatoStandIn(token=TOKEN, jobs={}, recipes=recipes)
    with server as base_url:
        found = workato.discover(target(base_url), outbound_client)
    assert found == [DiscoveredProcess(ref="3", name="Orders"), DiscoveredProcess(ref="1", name="Invoices")]
    assert server.requests[0].query["running"] == "true"


def test_a_stopped_recipe_listed_anyway_is_not_discovered(outbound_client):
    """Should the list ignore running=true, a recipe it says is not running is still left out."""
    recipes = [{"id": 2, "name": "Draft of refunds", "running": False}, {"id": 1, "name": "Invoices", "running": True}]
    server = WorkatoStandIn(token=TOKEN, jobs={}, recipes=recipes)
    server.override("GET", "/api/recipes", lambda r, m: Answer(200, {"items": recipes}))
    with server as base_url:
        assert workato.discover(target(base_url), outbound_client) == [DiscoveredProcess(ref="1", name="Invoices")]


def test_a_failed_job_is_a_failed_record_labelled_by_its_title(outbound_client):
    jobs = [job("j-2", "failed", 20, title="New invoice INV-7 in Chargebee"), job("j-1", "failed", 10, title=None)]
    with WorkatoStandIn(token=TOKEN, jobs={"42": jobs}) as base_url:
        result = workato.poll(target(base_url), outbound_client)
    assert result.failed_records == [
        FailedRecordObservation(
            key="j-1",  # no title: the job id
            error="Invalid subsidiary",
            occurred_at=dt.datetime(2026, 5, 1, 10, 10, 30, tzinfo=dt.UTC),
            run_external_id="j-1",
            external_id="j-1",
        ),
        FailedRecordObservation(
            key="New invoice INV-7 in Chargebee",
            error="Invalid subsidiary",
            occurred_at=dt.datetime(2026, 5, 1, 10, 20, 30, tzinfo=dt.UTC),
            run_external_id="j-2",
            external_id="j-2",
        ),
    ]


# --- repeats ------------------------------------------------------------------------------------------


def test_a_repeat_that_succeeds_closes_the_record_of_the_job_it_repeats(outbound_client):
    jobs = [
        job("j-3", "succeeded", 30, is_repeat=True, master_job_id="j-1"),
        job("j-2", "succeeded", 20),
        job("j-1", "failed", 10),
    ]
    with WorkatoStandIn(token=TOKEN, jobs={"42": jobs}) as base_url:
        result = workato.poll(target(base_url), outbound_client)
    assert result.resolved == [ResolvedObservation(external_id="j-1", run_external_id="j-1", how="repeated as job j-3")]


def test_a_repeat_still_pending_or_failed_closes_nothing(outbound_client):
    jobs = [
        job("j-4", "pending", 40, is_repeat=True, master_job_id="j-1"),
        job("j-3", "failed", 30, is_repeat=True, master_job_id="j-1"),
        job("j-1", "failed", 10),
    ]
    with WorkatoStandIn(token=TOKEN, jobs={"42": jobs}) as base_url:
        result = workato.poll(target(base_url), outbound_client)
    assert result.resolved == []
    # The failed repeat handled the same trigger event: its record is the original's (same external id).
    assert [(r.run_external_id, r.external_id) for r in result.failed_records] == [("j-1", "j-1"), ("j-3", "j-1")]


def workato_integration(base_url: str):
    account = PlatformAccount.objects.create(key="workato-prod", platform="workato", base_url=base_url, secret_env=ENV)
    return make_integration("invoices", kind="workato", health_account=account, health_ref="42")


@pytest.mark.django_db
def test_a_repeat_that_succeeds_leaves_no_open_failed_record():
    """Through the pipeline: the original job's failed record closes once its repeat succeeds on Workato."""
    server = WorkatoStandIn(token=TOKEN, jobs={"42": [job("j-2", "succeeded", 20), job("j-1", "failed", 10)]})
    with server as base_url:
        integration = workato_integration(base_url)
        assert poll_source(integration.pk).error == ""
        assert source_of(integration).open_failed_records == 1

        repeat = server.repeat("42", "j-1")
        assert poll_source(integration.pk).error == ""
        assert source_of(integration).open_failed_records == 1  # the repeat is still pending

        server.finish("42", repeat)
        assert poll_source(integration.pk).error == ""
    assert source_of(integration).open_failed_records == 0
    assert FailedRecord.objects.get().resolution == f"repeated as job {repeat}"


@pytest.mark.django_db
def test_a_repeat_that_fails_again_opens_no_second_record():
    server = WorkatoStandIn(token=TOKEN, jobs={"42": [job("j-1", "failed", 10)]})
    with server as base_url:
        integration = workato_integration(base_url)
        poll_source(integration.pk)
        server.finish("42", server.repeat("42", "j-1"), "failed", "Invalid subsidiary")
        poll_source(integration.pk)
        assert source_of(integration).open_failed_records == 1

        second = server.repeat("42", "j-1")
        server.finish("42", second)
        poll_source(integration.pk)
    assert source_of(integration).open_failed_records == 0
    assert FailedRecord.objects.get().resolution == f"repeated as job {second}"


# --- paging: nothing between the cursor and the newest job is passed over ---------------------------------


def jobs_newest_first(count: int, pending: tuple[int, ...] = ()) -> list[dict]:
    return [job(f"j-{n}", "pending" if n in pending else "succeeded", n) for n in range(count, 0, -1)]


def test_a_backlog_cut_at_the_page_bound_is_read_on_by_the_next_polls(outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)
    server = WorkatoStandIn(token=TOKEN, jobs={"42": jobs_newest_first(8)})  # two pages a poll, of two jobs
    with server as base_url:
        first = workato.poll(target(base_url, cursor="j-1"), outbound_client)
        second = workato.poll(target(base_url, cursor=first.cursor), outbound_client)
        server.jobs["42"].insert(0, job("j-9", "succeeded", 9))
        third = workato.poll(target(base_url, cursor=second.cursor), outbound_client)
    assert [r.external_id for r in first.runs] == ["j-8", "j-7", "j-6", "j-5"]
    assert [r.external_id for r in second.runs] == ["j-4", "j-3", "j-2"]  # on from j-5, down to the cursor
    assert [r.query.get("offset_job_id") for r in server.requests_to("/api/recipes/42/jobs")][2:4] == ["j-5", "j-3"]
    assert second.cursor == "j-8"
    assert [r.external_id for r in third.runs] == ["j-9"]
    assert third.cursor == "j-9"


def test_a_job_pending_in_a_cut_read_is_read_again_once_it_finishes(outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)
    server = WorkatoStandIn(token=TOKEN, jobs={"42": jobs_newest_first(8, pending=(7,))})
    with server as base_url:
        first = workato.poll(target(base_url, cursor="j-1"), outbound_client)
        second = workato.poll(target(base_url, cursor=first.cursor), outbound_client)
        server.finish("42", "j-7", "failed", "Invalid subsidiary")
        third = workato.poll(target(base_url, cursor=second.cursor), outbound_client)
    assert [r.external_id for r in second.runs] == ["j-4", "j-3", "j-2"]
    assert second.cursor == "j-6"  # the sweep is done, and its floor stays under the pending job
    assert [(r.external_id, r.status) for r in third.runs] == [("j-8", "success"), ("j-7", "failed")]
    assert third.cursor == "j-8"


def test_a_first_poll_cut_at_the_page_bound_does_not_back_fill_older_history(outbound_client, monkeypatch):
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)
    server = WorkatoStandIn(token=TOKEN, jobs={"42": jobs_newest_first(9)})
    with server as base_url:
        first = workato.poll(target(base_url), outbound_client)
        second = workato.poll(target(base_url, cursor=first.cursor), outbound_client)
    assert first.cursor == "j-9"
    assert second.runs == []
