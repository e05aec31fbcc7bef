"""The Informatica IDMC adapter against a stand-in: the v2 login on one origin, the activity log and task list on
the organization's POD (serverUrl) on another, as IDMC splits them."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.cache import cache

from catalog import health
from catalog.models import PlatformAccount
from monitoring.health.pipeline import record_poll
from monitoring.ingest.discovery import discover_platforms
from monitoring.ingest.polling import poll_source
from monitoring.models import Flip, Run
from monitoring.platforms import get_adapter, no_replay_reason, outbound
from monitoring.platforms.contract import DiscoveredProcess, PollError, PollTarget
from monitoring.platforms.informatica import adapter as informatica
from monitoring.platforms.informatica.access import checked_server_url, session_cache_key
from monitoring.platforms.informatica.standin import entry
from tests.monitoring.conftest import make_integration, source_of
from tests.monitoring.standins import Answer, InformaticaStandIn, StandIn

ENV = "PLUMBLINE_CRED_TEST_INFORMATICA"
USER = "ana@example.com"
PASSWORD = "Xq7-idmc-Pa55word:with-colon"
TASK = "0001AB0Z000000000007"
OTHER = "0001AB0Z000000000009"
T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
LOG = "/saas/api/v2/activity/activityLog"


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, f"{USER}:{PASSWORD}")


def at(minute: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def standin(*entries: dict, **extra) -> InformaticaStandIn:
    return InformaticaStandIn(username=USER, password=PASSWORD, log=list(entries), **extra)


def target(base_url: str, ref: str = TASK, cursor: str | None = None) -> PollTarget:
    return PollTarget(kind="informatica", ref=ref, base_url=base_url, secret_env=ENV, cursor=cursor)


def test_a_successful_task_run_is_a_successful_run_with_its_row_counts(outbound_client):
    server = standin(entry("0001AB0C000000000101", TASK, at(5), seconds=120, rows=(40, 2, 38, 1)))
    with server as base_url:
        result = informatica.poll(target(base_url), outbound_client)
    [run] = result.runs
    assert run.external_id == "0001AB0C000000000101"
    assert run.status == "success"
    # The UTC fields, not startTime/endTime (Eastern Time written with a "Z").
    assert (run.started_at, run.finished_at) == (at(5) - dt.timedelta(seconds=120), at(5))
    assert (run.records_in, run.records_out, run.records_failed) == (42, 38, 1)
    assert run.message == ""
    assert result.cursor == "2026-05-01T12:05:00.000Z"
    [login] = server.requests
    assert login.json() == {"@type": "login", "username": USER, "password": PASSWORD}
    [call] = server.pod.requests
    assert call.path == LOG
    assert call.query == {"taskId": TASK, "offset": "0", "rowLimit": "1000"}
    assert call.headers["icsessionid"] == "ic-session-1"


@pytest.mark.parametrize(("state", "status"), [(1, "success"), (2, "failed"), (3, "failed")])
def test_activity_log_states_map_to_run_statuses(outbound_client, state, status):
    with standin(entry("e-1", TASK, at(1), state=state)) as base_url:
        assert informatica.poll(target(base_url), outbound_client).runs[0].status == status


def test_a_warning_run_is_failed_with_its_error_message_or_saying_so(outbound_client):
    server = standin(
        entry("e-1", TASK, at(1), state=2, rows=(10, 0, 7, 3), error_msg="3 rows rejected by the target"),
        entry("e-2", TASK, at(2), state=2, rows=(10, 0, 10, 0)),
    )
    with server as base_url:
        runs = {r.external_id: r for r in informatica.poll(target(base_url), outbound_client).runs}
    assert (runs["e-1"].status, runs["e-1"].message, runs["e-1"].records_failed) == (
        "failed",
        "3 rows rejected by the target",
        3,
    )
    assert (runs["e-2"].status, runs["e-2"].message) == ("failed", "completed with warnings")


@pytest.mark.django_db
def test_a_warning_run_leaves_the_integration_failing_and_is_no_success():
    integration = make_integration("invoices", interval=60, grace=60)
    server = standin(entry("e-1", TASK, at(1), state=2, rows=(10, 0, 10, 0)))
    with server as base_url, outbound.make_client() as client:
        result = informatica.poll(target(base_url), client)
    record_poll(integration, result, now=at(3))
    stored = source_of(integration)
    assert (stored.state, stored.last_success_at) == ("failing", None)


@pytest.mark.parametrize("state", [0, 4, "1", None, True])
def test_an_unknown_state_stops_the_poll_naming_it(outbound_client, state):
    with standin(entry("e-1", TASK, at(1), state=state)) as base_url, pytest.raises(PollError) as raised:
        informatica.poll(target(base_url), outbound_client)
    assert str(raised.value) == f"Informatica activity log entry e-1: unknown state {str(state)!r}"


def test_the_error_message_is_capped(outbound_client):
    with standin(entry("e-1", TASK, at(1), state=3, error_msg="x" * 5000)) as base_url:
        [run] = informatica.poll(target(base_url), outbound_client).runs
    assert run.message == "x" * informatica.MESSAGE_CHARS


def test_only_the_task_asked_for_is_read(outbound_client):
    with standin(entry("e-1", TASK, at(1)), entry("e-2", OTHER, at(2))) as base_url:
        result = informatica.poll(target(base_url), outbound_client)
    assert [r.external_id for r in result.runs] == ["e-1"]


def test_an_entry_of_another_task_stops_the_poll(outbound_client):
    server = standin(entry("e-1", TASK, at(1)))
    server.pod.override("GET", LOG, lambda request, match: Answer(200, [entry("e-9", OTHER, at(1))]))
    with server as base_url, pytest.raises(PollError, match=f"belongs to task {OTHER}, not {TASK}"):
        informatica.poll(target(base_url), outbound_client)


# Paging and cursor ------------------------------------------------------------------------------------------


def test_the_log_is_read_page_after_page_by_offset(outbound_client, monkeypatch):
    monkeypatch.setattr(informatica, "ROW_LIMIT", 2)
    server = standin(*[entry(f"e-{n}", TASK, at(n)) for n in range(1, 6)])
    with server as base_url:
        result = informatica.poll(target(base_url), outbound_client)
    assert sorted(r.external_id for r in result.runs) == ["e-1", "e-2", "e-3", "e-4", "e-5"]
    pages = [(r.query["offset"], r.query["rowLimit"]) for r in server.pod.requests]
    assert pages == [("0", "2"), ("2", "2"), ("4", "2")]
    assert result.cursor == "2026-05-01T12:05:00.000Z"


def test_a_later_poll_returns_only_new_runs_and_stops_paging_at_the_cursor(outbound_client, monkeypatch):
    monkeypatch.setattr(informatica, "ROW_LIMIT", 2)
    server = standin(*[entry(f"e-{n}", TASK, at(n)) for n in range(1, 6)])
    with server as base_url:
        first = informatica.poll(target(base_url), outbound_client)
        server.log += [entry("e-6", TASK, at(6)), entry("e-7", TASK, at(7), state=3)]
        server.pod.requests.clear()
        second = informatica.poll(target(base_url, cursor=first.cursor), outbound_client)
        server.pod.requests.clear()
        third = informatica.poll(target(base_url, cursor=second.cursor), outbound_client)
    assert sorted(r.external_id for r in second.runs) == ["e-6", "e-7"]
    assert second.cursor == "2026-05-01T12:07:00.000Z"
    assert (third.runs, third.cursor) == ([], second.cursor)
    # The third poll's first page already holds an entry the cursor covers: one call.
    assert len(server.pod.requests) == 1


def test_a_run_that_finished_while_the_pages_were_read_is_neither_skipped_nor_returned_twice(
    outbound_client, monkeypatch
):
    monkeypatch.setattr(informatica, "ROW_LIMIT", 2)
    server = standin(*[entry(f"e-{n}", TASK, at(n)) for n in range(1, 5)])
    real = server.pod.routes[0][2]

    def a_run_finishes_after_the_first_page(request, match):
        answer = real(request, match)
        if request.query["offset"] == "0" and not any(e["id"] == "e-new" for e in server.log):
            server.log.append(entry("e-new", TASK, at(9)))  # shifts every older entry one offset down
        return answer

    server.pod.override("GET", LOG, a_run_finishes_after_the_first_page)
    with server as base_url:
        result = informatica.poll(target(base_url), outbound_client)
        later = informatica.poll(target(base_url, cursor=result.cursor), outbound_client)
    ids = [r.external_id for r in result.runs]
    assert sorted(ids) == ["e-1", "e-2", "e-3", "e-4"]  # e-new ended after this poll's first page
    assert len(ids) == len(set(ids))
    assert result.cursor == "2026-05-01T12:04:00.000Z"
    assert [r.external_id for r in later.runs] == ["e-new"]


def test_a_read_cut_at_the_page_bound_keeps_the_previous_cursor(outbound_client, monkeypatch):
    monkeypatch.setattr(informatica, "ROW_LIMIT", 1)
    monkeypatch.setattr(outbound, "MAX_PAGES", 2)
    server = standin(*[entry(f"e-{n}", TASK, at(n)) for n in range(1, 5)])
    with server as base_url:
        first = informatica.poll(target(base_url), outbound_client)
        second = informatica.poll(target(base_url, cursor="2026-05-01T12:00:30.000Z"), outbound_client)
    assert sorted(r.external_id for r in first.runs) == ["e-3", "e-4"]
    assert first.cursor is None  # nothing older was read: no cursor yet, the next poll starts from the top
    assert second.cursor == "2026-05-01T12:00:30.000Z"


def test_an_empty_log_keeps_the_cursor(outbound_client):
    with standin() as base_url:
        result = informatica.poll(target(base_url, cursor="2026-05-01T12:00:00.000Z"), outbound_client)
    assert (result.runs, result.cursor) == ([], "2026-05-01T12:00:00.000Z")


# Malformed answers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"entries": []}, "Informatica activity log of task .*: expected a JSON array, got dict"),
        (["not an entry"], "entry 1: expected a JSON object, got str"),
        ([{**entry("e-1", TASK, at(1)), "endTimeUtc": None}], "entry 1: endTimeUtc must be an ISO 8601 timestamp"),
        ([{**entry("e-1", TASK, at(1)), "endTimeUtc": "2026-05-01T12:00:00"}], "endTimeUtc must include a timezone"),
        ([{**entry("e-1", TASK, at(1)), "id": None}], "entry 1: id must be a non-empty string"),
        ([{**entry("e-1", TASK, at(1)), "successTargetRows": -1}], "successTargetRows must be a non-negative integer"),
        ([{**entry("e-1", TASK, at(1)), "errorMsg": 7}], "errorMsg must be a string"),
    ],
)
def test_a_malformed_activity_log_is_a_poll_error(outbound_client, body, complaint):
    server = standin()
    server.pod.override("GET", LOG, lambda request, match: Answer(200, body))
    with server as base_url, pytest.raises(PollError, match=complaint):
        informatica.poll(target(base_url), outbound_client)


def test_an_answer_that_is_not_json_is_a_poll_error(outbound_client):
    server = standin()
    server.pod.override("GET", LOG, lambda request, match: Answer(200, b"<html>maintenance</html>"))
    with server as base_url, pytest.raises(PollError, match="the response is not valid JSON"):
        informatica.poll(target(base_url), outbound_client)


@pytest.mark.parametrize(
    ("user", "complaint"),
    [
        ({"@type": "user", "serverUrl": "http://127.0.0.1:9/saas"}, "Informatica login: icSessionId must be"),
        ({"@type": "user", "icSessionId": "s-1"}, "Informatica login: serverUrl must be a non-empty string"),
        ({"@type": "user", "icSessionId": "s-1", "serverUrl": "ftp://pod/saas"}, "serverUrl must be an http"),
        ({"@type": "user", "icSessionId": "s\u00e9", "serverUrl": "http://127.0.0.1:9/saas"}, "characters an HTTP"),
    ],
)
def test_a_malformed_login_answer_is_a_poll_error(outbound_client, user, complaint):
    server = standin()
    server.override("POST", "/ma/api/v2/user/login", lambda request, match: Answer(200, user))
    with server as base_url, pytest.raises(PollError, match=complaint):
        informatica.poll(target(base_url), outbound_client)


# Credentials and the session --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 403])
def test_a_wrong_password_is_a_poll_error_that_never_shows_it(outbound_client, monkeypatch, caplog, status):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(ENV, f"{USER}:Wrong-Pa55word-9Kd")
    server = standin(entry("e-1", TASK, at(1)))
    if status == 400:
        server.override(
            "POST",
            "/ma/api/v2/user/login",
            lambda request, match: Answer(400, {"code": "UI_10000", "statusCode": 400, "@type": "error"}),
        )
    with server as base_url, pytest.raises(PollError) as raised:
        informatica.poll(target(base_url), outbound_client)
    assert str(raised.value) == f"Informatica login: user name or password refused (HTTP {status})"
    assert "Wrong-Pa55word-9Kd" not in caplog.text
    assert server.pod.requests == []


@pytest.mark.parametrize("value", ["no-colon", f":{PASSWORD}", f"{USER}:"])
def test_the_variable_must_hold_user_and_password(outbound_client, monkeypatch, value):
    monkeypatch.setenv(ENV, value)
    with pytest.raises(PollError) as raised:
        informatica.poll(target("http://127.0.0.1:9"), outbound_client)
    assert str(raised.value) == f"environment variable {ENV} must hold 'user:password' for Informatica"


def test_the_session_is_cached_across_polls_under_a_digest_never_the_password(outbound_client):
    server = standin(entry("e-1", TASK, at(1)))
    with server as base_url:
        for _ in range(3):
            informatica.poll(target(base_url), outbound_client)
        key = session_cache_key(base_url, USER, PASSWORD)
    assert server.logins == 1
    assert {r.headers["icsessionid"] for r in server.pod.requests} == {"ic-session-1"}
    assert PASSWORD not in key and USER not in key
    assert PASSWORD not in cache.get(key) and "ic-session-1" in cache.get(key)


def test_an_expired_session_is_renewed_once_and_the_poll_succeeds(outbound_client):
    server = standin(entry("e-1", TASK, at(1)))
    with server as base_url:
        informatica.poll(target(base_url), outbound_client)
        server.expire_sessions()
        server.pod.requests.clear()
        result = informatica.poll(target(base_url), outbound_client)
    assert [r.external_id for r in result.runs] == ["e-1"]
    assert server.logins == 2
    assert [r.headers["icsessionid"] for r in server.pod.requests] == ["ic-session-1", "ic-session-2"]


def test_a_second_refusal_after_renewal_is_a_poll_error(outbound_client):
    server = standin(entry("e-1", TASK, at(1)))
    server.pod.override("GET", LOG, lambda request, match: Answer(401, {"@type": "error", "statusCode": 401}))
    refused = r"activity log of task .*: credentials refused \(HTTP 401\)"
    with server as base_url, pytest.raises(PollError, match=refused):
        informatica.poll(target(base_url), outbound_client)
    assert server.logins == 2


def test_the_password_goes_only_to_the_login_origin_and_the_session_only_to_the_pod(outbound_client):
    server = standin(entry("e-1", TASK, at(1)))
    with server as base_url:
        informatica.poll(target(base_url), outbound_client)
    assert [r.path for r in server.requests] == ["/ma/api/v2/user/login"]
    assert server.pod.base_url != server.base_url
    assert all(PASSWORD.encode() not in r.body and "icsessionid" in r.headers for r in server.pod.requests)
    assert "icsessionid" not in server.requests[0].headers


def test_the_session_id_is_not_sent_along_a_redirect_to_another_origin(outbound_client):
    elsewhere = StandIn()
    server = standin(entry("e-1", TASK, at(1)))
    with elsewhere as other_url, server as base_url:
        server.pod.override(
            "GET", LOG, lambda request, match: Answer(307, headers={"Location": f"{other_url}/api/v2/activityLog"})
        )
        with pytest.raises(PollError, match=r"redirects to .*, another origin") as raised:
            informatica.poll(target(base_url), outbound_client)
    assert elsewhere.requests == []
    assert "ic-session" not in str(raised.value)


def test_the_password_is_not_sent_along_a_login_redirect_to_another_origin(outbound_client):
    elsewhere = StandIn()
    server = standin()
    with elsewhere as other_url, server as base_url:
        server.override(
            "POST", "/ma/api/v2/user/login", lambda request, match: Answer(307, headers={"Location": other_url})
        )
        with pytest.raises(PollError, match="another origin") as raised:
            informatica.poll(target(base_url), outbound_client)
    assert elsewhere.requests == []
    assert PASSWORD not in str(raised.value)


def test_a_server_url_on_a_blocked_address_is_refused_before_the_session_id_is_sent(outbound_client):
    server = standin()
    server.server_url_override = "http://10.0.0.7/saas"
    with server as base_url, pytest.raises(PollError, match=r"refusing to connect to 10\.0\.0\.7"):
        informatica.poll(target(base_url), outbound_client)


@pytest.mark.parametrize(
    ("server_url", "complaint"),
    [
        ("http://usw3.dm-us.informaticacloud.com/saas", "plain http after an https login"),
        ("https://user:pw@usw3.dm-us.informaticacloud.com/saas", "no user info"),
        ("https://usw3.dm-us.informaticacloud.com/saas?x=1", "no user info, query or fragment"),
        ("/saas", "http\\(s\\) URL with a host"),
    ],
)
def test_a_server_url_the_session_id_may_not_go_to_is_refused(server_url, complaint):
    with pytest.raises(PollError, match=complaint):
        checked_server_url(server_url, "https://dm-us.informaticacloud.com")


def test_a_documented_server_url_is_accepted():
    pod = "https://usw3.dm-us.informaticacloud.com/saas"
    assert checked_server_url(pod + "/", "https://dm-us.informaticacloud.com") == pod


# Discovery and registration ---------------------------------------------------------------------------------


def test_discover_lists_the_tasks_of_every_type(outbound_client):
    tasks = {
        "MTT": [{"id": TASK, "name": "Invoices to ERP"}],
        "DSS": [{"id": OTHER, "name": "Customer sync"}],
    }
    server = standin(tasks=tasks)
    with server as base_url:
        found = informatica.discover(target(base_url), outbound_client)
    assert found == [
        DiscoveredProcess(ref=TASK, name="Invoices to ERP"),
        DiscoveredProcess(ref=OTHER, name="Customer sync"),
    ]
    assert [r.query["type"] for r in server.pod.requests] == list(informatica.TASK_TYPES)
    assert server.logins == 1


def test_discover_skips_a_task_type_not_open_to_the_organization(outbound_client):
    server = standin(tasks={"DSS": [{"id": OTHER, "name": "Customer sync"}]})
    server.pod.override(
        "GET",
        "/saas/api/v2/task",
        lambda request, match: (
            Answer(403, {"@type": "error", "statusCode": 403})
            if request.query["type"] != "DSS"
            else Answer(200, [{"id": OTHER, "name": "Customer sync"}])
        ),
    )
    with server as base_url:
        assert [p.ref for p in informatica.discover(target(base_url), outbound_client)] == [OTHER]


@pytest.mark.django_db
def test_discovery_finds_a_task_no_spec_describes():
    server = standin(tasks={"MTT": [{"id": TASK, "name": "Invoices to ERP"}, {"id": OTHER, "name": "Shadow export"}]})
    with server as base_url:
        account = PlatformAccount.objects.create(
            key="idmc-prod", platform="informatica", base_url=base_url, secret_env=ENV
        )
        make_integration("invoices", kind="informatica", health_account=account, health_ref=TASK)
        report = discover_platforms()
    assert (report.accounts, report.seen, report.errors) == (1, 2, {})
    assert [(c.source, c.ref, c.name) for c in health.read_observed_connections()] == [
        ("idmc-prod", OTHER, "Shadow export")
    ]


def test_informatica_is_registered_without_replay():
    assert get_adapter("informatica") is informatica
    assert no_replay_reason("informatica") == informatica.NO_REPLAY


@pytest.mark.django_db
def test_a_task_polled_through_the_pipeline_stores_its_runs_and_moves_the_cursor():
    server = standin(entry("e-1", TASK, at(1)), entry("e-2", TASK, at(2), state=3, error_msg="Connection refused"))
    with server as base_url:
        account = PlatformAccount.objects.create(
            key="idmc-prod", platform="informatica", base_url=base_url, secret_env=ENV
        )
        integration = make_integration(
            "invoices", kind="informatica", health_account=account, health_ref=TASK, interval=1440, grace=1440
        )
        poll_source(integration.pk)
    stored = source_of(integration)
    assert (stored.cursor, stored.state, stored.last_poll_error) == ("2026-05-01T12:02:00.000Z", "failing", "")
    assert sorted(Run.objects.filter(integration=integration).values_list("external_id", "status")) == [
        ("e-1", "success"),
        ("e-2", "failed"),
    ]
    [flip] = Flip.objects.filter(integration=integration)
    assert flip.reason == "run e-2 failed: Connection refused"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_polls_the_task_through_the_stand_in_and_stores_its_runs():
    from monitoring import tasks
    from monitoring.models import HealthSource
    from tests.celery_worker import celery_worker, redis_broker
    from tests.monitoring.test_workers import wait_for

    server = standin(entry("e-1", TASK, at(1), rows=(5, 0, 5, 0)), entry("e-2", TASK, at(2), state=2))
    with server as base_url:
        account = PlatformAccount.objects.create(
            key="idmc-prod", platform="informatica", base_url=base_url, secret_env=ENV
        )
        integration = make_integration("invoices", kind="informatica", health_account=account, health_ref=TASK)
        HealthSource.objects.filter(integration=integration).update(next_poll_at=at(-60))
        env = {"PLUMBLINE_OUTBOUND_ALLOW": "127.0.0.1/32", ENV: f"{USER}:{PASSWORD}"}
        with celery_worker("infa-poll", **env), redis_broker():
            tasks.poll_due_sources.delay()
            assert wait_for(lambda: Run.objects.filter(integration=integration).count() == 2)
            assert wait_for(lambda: source_of(integration).cursor == "2026-05-01T12:02:00.000Z")
    runs = dict(Run.objects.filter(integration=integration).values_list("external_id", "status"))
    assert runs == {"e-1": "success", "e-2": "failed"}
    assert source_of(integration).state == "failing"
    assert server.logins == 1
