"""The Azure Logic Apps adapter against a stand-in Azure Resource Manager (workflows and their runs, api-version
2016-06-01) and a stand-in Microsoft Entra ID token endpoint, each on its own origin as in reality."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache

from catalog.models import Integration, PlatformAccount
from monitoring.platforms import get_adapter, no_replay_reason
from monitoring.platforms.azure_logic_apps import adapter as azure
from monitoring.platforms.azure_logic_apps.standin import run, workflow
from monitoring.platforms.contract import DiscoveredProcess, PollError, PollTarget
from monitoring.platforms.outbound import MAX_PAGES
from tests.monitoring.conftest import make_integration
from tests.monitoring.standins import Answer, AzureLogicAppsStandIn, EntraTokenStandIn

ENV = "PLUMBLINE_CRED_TEST_AZURE_LOGIC_APPS"
TENANT = "72f988bf-tenant"
SUBSCRIPTION = "34adfa4f-cedf-4dc0-ba29-b6d1a69ab345"
GROUP = "integrations-prod"
CLIENT_ID = "8c1d2e3f-client"
CLIENT_SECRET = "Qx8~azure-client-secret.7Yw"
WORKFLOWS = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.Logic/workflows"
RUNS = f"{WORKFLOWS}/invoice-sync/runs"


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, f"{CLIENT_ID}:{CLIENT_SECRET}")
    cache.clear()  # tokens are cached across polls; each test starts without one


class Azure:
    """The two stand-ins of one test, started together."""

    def __init__(self, *runs: dict, state: str = "Enabled", workflows: list[dict] | None = None, **extra) -> None:
        self.tokens = EntraTokenStandIn(tenant=TENANT, clients={CLIENT_ID: CLIENT_SECRET})
        self.arm = AzureLogicAppsStandIn(
            tokens=self.tokens,
            subscription=SUBSCRIPTION,
            resource_group=GROUP,
            workflows=workflows if workflows is not None else [workflow("invoice-sync", state)],
            runs={"invoice-sync": list(runs)},
            **extra,
        )

    @contextmanager
    def running(self) -> Iterator[Azure]:
        with ExitStack() as stack:
            stack.enter_context(self.tokens)
            stack.enter_context(self.arm)
            yield self

    def target(self, cursor: str | None = None, ref: str = "invoice-sync", **extra) -> PollTarget:
        fields = {
            "kind": "azure-logic-apps",
            "ref": ref,
            "base_url": self.arm.base_url,
            "account_id": f"{SUBSCRIPTION}/{GROUP}",
            "secret_env": ENV,
            "token_url": self.tokens.token_url,
            "cursor": cursor,
        } | extra
        return PollTarget(**fields)

    def poll(self, client, **extra):
        return azure.poll(self.target(**extra), client)

    def runs_calls(self):
        return self.arm.requests_to(RUNS)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def monitored(az: Azure) -> Integration:
    """An integration whose health is read through a platform account pointing at these stand-ins."""
    account = PlatformAccount.objects.create(
        key="azure-prod",
        platform="azure-logic-apps",
        base_url=az.arm.base_url,
        account_id=f"{SUBSCRIPTION}/{GROUP}",
        secret_env=ENV,
        token_url=az.tokens.token_url,
    )
    return make_integration(kind="azure-logic-apps", health_account=account, health_ref="invoice-sync")


def test_a_succeeded_run_is_a_successful_run_with_its_times(outbound_client):
    with Azure(run("0858-A", "Succeeded", "2026-05-01T10:00:00.1234567Z", "2026-05-01T10:00:02.5Z")).running() as az:
        result = az.poll(outbound_client)
    [observed] = result.runs
    assert observed.external_id == "0858-A"
    assert observed.status == "success"
    assert observed.started_at == at("2026-05-01T10:00:00.123456Z")
    assert observed.finished_at == at("2026-05-01T10:00:02.5Z")
    assert observed.message == ""
    assert result.stopped == ""
    assert result.failed_records == []
    [call] = az.runs_calls()
    assert call.query == {"api-version": "2016-06-01"}  # the first poll reads from the start
    assert call.headers["authorization"].startswith("Bearer eyJ0eXAi-issued-")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Succeeded", "success"),
        ("Skipped", "success"),
        ("Ignored", "success"),
        ("Running", "running"),
        ("Waiting", "running"),
        ("Paused", "running"),
        ("Failed", "failed"),
        ("Cancelled", "failed"),
        ("TimedOut", "failed"),
        ("Aborted", "failed"),
        ("Faulted", "failed"),
        ("Suspended", "failed"),
    ],
)
def test_each_documented_run_status_maps_to_a_run_status(outbound_client, status, expected):
    with Azure(run("r1", status)).running() as az:
        [observed] = az.poll(outbound_client).runs
    assert observed.status == expected
    assert (observed.finished_at is None) == (expected == "running")


@pytest.mark.parametrize("status", ["NotSpecified", "Exploded", "succeeded"])
def test_an_unknown_run_status_stops_the_poll_naming_it(outbound_client, status):
    with Azure(run("r1", status)).running() as az, pytest.raises(PollError, match=f"unknown status '{status}'"):
        az.poll(outbound_client)


def test_a_failed_run_carries_its_error_message(outbound_client):
    error = {"code": "ActionFailed", "message": "An action failed. No dependent actions succeeded."}
    long = {"code": "ActionFailed", "message": "x" * 5000}
    coded = {"code": "ActionFailed"}
    with Azure(
        run("r1", "Failed", "2026-05-01T10:00:00Z", error=error),
        run("r2", "Failed", "2026-05-01T10:01:00Z", error=long),
        run("r3", "Failed", "2026-05-01T10:02:00Z", error=coded),
        run("r4", "TimedOut", "2026-05-01T10:03:00Z"),
    ).running() as az:
        messages = {r.external_id: r.message for r in az.poll(outbound_client).runs}
    assert messages == {
        "r1": "An action failed. No dependent actions succeeded.",
        "r2": "x" * azure.MESSAGE_LIMIT,
        "r3": "ActionFailed",
        "r4": "run TimedOut",
    }


def test_pages_are_followed_through_next_link(outbound_client):
    runs = [run(f"r{n:02}", "Succeeded", f"2026-05-01T10:{n:02}:00Z") for n in range(7)]
    with Azure(*runs, page_size=3).running() as az:
        result = az.poll(outbound_client)
    assert sorted(r.external_id for r in result.runs) == [f"r{n:02}" for n in range(7)]
    calls = az.runs_calls()
    assert [c.query.get("$skiptoken") for c in calls] == [None, "3", "6"]
    assert all(c.query["api-version"] == "2016-06-01" for c in calls)
    assert result.cursor == "2026-05-01T10:06:00.000000Z"


def test_a_next_link_to_another_origin_is_refused_without_the_token(outbound_client):
    elsewhere = AzureLogicAppsStandIn(
        tokens=EntraTokenStandIn(tenant="t", clients={}), subscription="x", resource_group="y"
    )
    runs = [run(f"r{n}", "Succeeded", f"2026-05-01T10:0{n}:00Z") for n in range(4)]
    with Azure(*runs, page_size=2).running() as az, elsewhere as other:
        az.arm.next_link_base = other
        with pytest.raises(PollError, match="next-page link leaves") as refused:
            az.poll(outbound_client)
    assert elsewhere.requests == []
    assert CLIENT_SECRET not in str(refused.value)


def test_a_read_cut_at_the_page_bound_keeps_the_cursor(outbound_client):
    runs = [run(f"r{n:03}", "Succeeded", f"2026-05-01T{10 + n // 60:02}:{n % 60:02}:00Z") for n in range(MAX_PAGES + 1)]
    with Azure(*runs, page_size=1).running() as az:
        cut = az.poll(outbound_client, cursor="2026-04-30T00:00:00.000000Z")
    assert len(cut.runs) == MAX_PAGES
    assert cut.cursor == "2026-04-30T00:00:00.000000Z"


def test_the_cursor_neither_skips_nor_repeats_a_run(outbound_client):
    az = Azure(
        run("r1", "Succeeded", "2026-05-01T10:00:00.1234567Z"), run("r2", "Failed", "2026-05-01T10:05:00.7654321Z")
    )
    with az.running():
        first = az.poll(outbound_client)
        again = az.poll(outbound_client, cursor=first.cursor)
        az.arm.runs["invoice-sync"].append(run("r3", "Succeeded", "2026-05-01T10:10:00.0000001Z"))
        later = az.poll(outbound_client, cursor=again.cursor)
    assert sorted(r.external_id for r in first.runs) == ["r1", "r2"]
    assert first.cursor == "2026-05-01T10:05:00.765432Z"
    assert again.runs == [] and again.cursor == first.cursor
    assert [r.external_id for r in later.runs] == ["r3"]
    assert az.runs_calls()[1].query["$filter"] == "startTime ge 2026-05-01T10:05:00.765432Z"


def test_a_running_run_is_read_again_until_it_ends(outbound_client):
    az = Azure(
        run("r1", "Succeeded", "2026-05-01T10:00:00Z"),
        run("r2", "Running", "2026-05-01T10:05:00Z"),
        run("r3", "Succeeded", "2026-05-01T10:06:00Z"),
    )
    with az.running():
        first = az.poll(outbound_client)
        still = az.poll(outbound_client, cursor=first.cursor)
        az.arm.runs["invoice-sync"][1] = run("r2", "Failed", "2026-05-01T10:05:00Z", "2026-05-01T10:20:00Z")
        ended = az.poll(outbound_client, cursor=still.cursor)
        after = az.poll(outbound_client, cursor=ended.cursor)
    assert first.cursor == "2026-05-01T10:04:59.999000Z"  # 1 ms before the run still running
    assert {r.external_id: r.status for r in still.runs} == {"r2": "running", "r3": "success"}
    assert {r.external_id: r.status for r in ended.runs} == {"r2": "failed", "r3": "success"}
    assert ended.cursor == "2026-05-01T10:06:00.000000Z"
    assert after.runs == []


@pytest.mark.parametrize("state", ["Disabled", "Suspended", "Deleted"])
def test_a_workflow_switched_off_on_azure_is_stopped(outbound_client, state):
    with Azure(run("r1"), state=state).running() as az:
        result = az.poll(outbound_client)
    assert result.stopped == f"disabled on Azure Logic Apps: workflow invoice-sync is {state}"
    assert [r.external_id for r in result.runs] == ["r1"]  # its history is still read


def test_an_enabled_workflow_is_not_stopped_and_an_unknown_state_is_an_error(outbound_client):
    with Azure(run("r1")).running() as az:
        assert az.poll(outbound_client).stopped == ""
        az.arm.workflows[0]["properties"]["state"] = "Hibernating"
        with pytest.raises(PollError, match="unknown state 'Hibernating'"):
            az.poll(outbound_client)


def test_a_wrong_client_secret_is_a_poll_error_naming_the_token_call_never_the_secret(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, f"{CLIENT_ID}:not-the-secret-value")
    with Azure(run("r1")).running() as az, pytest.raises(PollError) as refused:
        az.poll(outbound_client)
    message = str(refused.value)
    assert message == "Azure Logic Apps token request: credentials refused (HTTP 401)"
    assert "not-the-secret-value" not in message and CLIENT_SECRET not in message
    assert az.arm.requests == []  # nothing reached Azure Resource Manager


def test_the_token_asks_for_the_arm_scope_and_goes_only_to_arm(outbound_client):
    with Azure(run("r1")).running() as az:
        az.poll(outbound_client)
        az.poll(outbound_client)
    [exchange] = az.tokens.requests  # one token for both polls
    form = parse_qs(exchange.body.decode())
    assert form["scope"] == ["https://management.azure.com/.default"]
    assert form["grant_type"] == ["client_credentials"] and form["client_id"] == [CLIENT_ID]
    assert all(CLIENT_SECRET.encode() not in r.body and CLIENT_SECRET not in str(r.headers) for r in az.arm.requests)


def test_the_accounts_own_scope_is_asked_for(outbound_client):
    with Azure(run("r1"), scope="https://management.usgovcloudapi.net/.default").running() as az:
        az.poll(outbound_client, scope="https://management.usgovcloudapi.net/.default")
    assert parse_qs(az.tokens.requests[0].body.decode())["scope"] == ["https://management.usgovcloudapi.net/.default"]


def test_an_expired_token_is_renewed_once_and_the_poll_succeeds(outbound_client):
    with Azure(run("r1")).running() as az:
        az.poll(outbound_client)
        az.tokens.expire_tokens()
        result = az.poll(outbound_client)
    assert [r.external_id for r in result.runs] == ["r1"]
    assert az.tokens.token_requests == 2
    refused, *rest = az.arm.requests[2:]
    assert refused.headers["authorization"] == "Bearer eyJ0eXAi-issued-1"
    assert {r.headers["authorization"] for r in rest} == {"Bearer eyJ0eXAi-issued-2"}


def test_a_token_refused_again_after_renewal_is_a_poll_error(outbound_client):
    with Azure(run("r1")).running() as az:
        az.arm.override("GET", WORKFLOWS + "/invoice-sync", lambda r, m: Answer(401, {"error": {"code": "x"}}))
        with pytest.raises(
            PollError, match=r"Azure Logic Apps workflow invoice-sync: credentials refused \(HTTP 401\)"
        ):
            az.poll(outbound_client)
    assert az.tokens.token_requests == 2


@pytest.mark.parametrize(
    ("account_id", "complaint"),
    [
        ("", "''"),
        (SUBSCRIPTION, f"'{SUBSCRIPTION}'"),
        (f"{SUBSCRIPTION}/", "must be"),
        (f"/{GROUP}", "must be"),
        (f"{SUBSCRIPTION}/{GROUP}/extra", "must be"),
    ],
)
def test_account_id_must_be_subscription_and_resource_group(outbound_client, account_id, complaint):
    with Azure(run("r1")).running() as az, pytest.raises(PollError, match="'<subscriptionId>/<resourceGroup>'") as bad:
        az.poll(outbound_client, account_id=account_id)
    assert complaint in str(bad.value)
    assert az.tokens.requests == [] and az.arm.requests == []


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"<html>", "not valid JSON"),
        ([], "expected a JSON object"),
        ({"items": []}, "value: expected a JSON array"),
        ({"value": [{"properties": {"status": "Succeeded"}}]}, "name must be a non-empty string"),
        ({"value": [{"name": "r1"}]}, "properties: expected a JSON object"),
        ({"value": [{"name": "r1", "properties": {"startTime": "2026-05-01T10:00:00Z"}}]}, "status must be"),
        ({"value": [{"name": "r1", "properties": {"status": "Succeeded"}}]}, "startTime must be"),
        ({"value": [{"name": "r1", "properties": {"status": "Failed", "startTime": "yesterday"}}]}, "ISO 8601"),
        ({"value": [run("r1", "Failed", error="boom")]}, "error: expected a JSON object"),
        ({"value": [], "nextLink": 7}, "nextLink must be a string"),
    ],
)
def test_a_malformed_runs_answer_is_a_poll_error(outbound_client, body, complaint):
    with Azure().running() as az:
        az.arm.override("GET", RUNS, lambda r, m: Answer(200, body))
        with pytest.raises(PollError, match=complaint) as bad:
            az.poll(outbound_client)
    assert "Azure Logic Apps" in str(bad.value) and CLIENT_SECRET not in str(bad.value)


def test_a_malformed_workflow_answer_is_a_poll_error(outbound_client):
    with Azure().running() as az:
        az.arm.override("GET", WORKFLOWS + "/invoice-sync", lambda r, m: Answer(200, {"name": "invoice-sync"}))
        with pytest.raises(PollError, match="workflow invoice-sync: properties: expected a JSON object"):
            az.poll(outbound_client)


def test_a_workflow_azure_does_not_have_is_a_poll_error(outbound_client):
    with Azure().running() as az, pytest.raises(PollError, match="workflow nightly-gl: unexpected HTTP 404"):
        az.poll(outbound_client, ref="nightly-gl")


def test_discover_lists_every_workflow_of_the_resource_group_page_after_page(outbound_client):
    names = ["invoice-sync", "orders-to-erp", "payroll-export"]
    with Azure(
        workflows=[workflow(n, "Disabled" if n == "payroll-export" else "Enabled") for n in names], page_size=2
    ).running() as az:
        found = azure.discover(az.target(ref=""), outbound_client)
    assert found == [DiscoveredProcess(ref=n, name=n) for n in names]
    assert [c.query.get("$skiptoken") for c in az.arm.requests_to(WORKFLOWS)] == [None, "2"]


def test_the_adapter_is_registered_without_replay():
    assert get_adapter("azure-logic-apps") is azure
    assert no_replay_reason("azure-logic-apps") == azure.NO_REPLAY


# Through the pipeline ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_discovery_finds_a_workflow_no_spec_describes():
    from monitoring.ingest.discovery import discover_platforms
    from monitoring.models import ObservedConnection

    with Azure(workflows=[workflow("invoice-sync"), workflow("shadow-export")]).running() as az:
        account = monitored(az).health_account
        report = discover_platforms()
    assert report.errors == {} and report.seen == 2
    assert set(ObservedConnection.objects.filter(account=account).values_list("ref", flat=True)) == {
        "invoice-sync",
        "shadow-export",
    }


@pytest.mark.django_db
def test_a_disabled_workflow_polled_through_the_pipeline_is_down_with_its_reason():
    from monitoring.ingest.polling import poll_source
    from monitoring.models import Run
    from tests.monitoring.conftest import source_of

    now = dt.datetime.now(dt.UTC)
    started = (now - dt.timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    with Azure(run("r1", "Succeeded", started)).running() as az:
        integration = monitored(az)
        poll_source(integration.pk)
        up = source_of(integration)
        az.arm.workflows[0]["properties"]["state"] = "Disabled"
        poll_source(integration.pk)
    assert up.state == "up"
    assert (source_of(integration).state, source_of(integration).platform_stopped) == (
        "down",
        "disabled on Azure Logic Apps: workflow invoice-sync is Disabled",
    )
    assert list(Run.objects.filter(integration=integration).values_list("external_id", flat=True)) == ["r1"]


# On a real worker ----------------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_polls_the_workflow_through_the_stand_ins_and_stores_its_runs():
    from monitoring import tasks
    from monitoring.models import HealthSource, Run
    from tests.celery_worker import celery_worker, redis_broker
    from tests.monitoring.conftest import source_of
    from tests.monitoring.test_workers import wait_for

    now = dt.datetime.now(dt.UTC)

    def ago(minutes: int) -> str:
        return (now - dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")

    error = {"code": "ActionFailed", "message": "The GL posting was rejected"}
    az = Azure(
        run("r1", "Succeeded", ago(50)),
        run("r2", "Failed", ago(35), error=error),
        run("r3", "Succeeded", ago(20)),
        run("r4", "Running", ago(5)),
        page_size=2,
    )
    with az.running():
        integration = monitored(az)
        HealthSource.objects.filter(integration=integration).update(next_poll_at=now - dt.timedelta(minutes=1))
        worker_env = {"PLUMBLINE_OUTBOUND_ALLOW": "127.0.0.1/32", ENV: f"{CLIENT_ID}:{CLIENT_SECRET}"}
        with celery_worker("azure-poll", **worker_env), redis_broker():
            tasks.poll_due_sources.delay()
            assert wait_for(lambda: Run.objects.filter(integration=integration).count() == 4)
            assert wait_for(lambda: HealthSource.objects.get(integration=integration).cursor is not None)

    stored = {r.external_id: (r.status, r.message) for r in Run.objects.filter(integration=integration)}
    assert stored == {
        "r1": ("success", ""),
        "r2": ("failed", "The GL posting was rejected"),
        "r3": ("success", ""),
        "r4": ("running", ""),
    }
    # The cursor waits 1 ms before the run still running, so the next poll reads it again.
    assert source_of(integration).cursor == (now - dt.timedelta(minutes=5, milliseconds=1)).isoformat(
        timespec="microseconds"
    ).replace("+00:00", "Z")
    assert az.tokens.token_requests >= 1 and len(az.runs_calls()) == 2
