"""The MuleSoft adapter against a stand-in Anypoint Platform: CloudHub 1.0 applications and Application Manager
deployments (CloudHub 2.0, Runtime Fabric) read as heartbeat runs, with a bearer token or a connected app."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from urllib.parse import parse_qs

import pytest
from django.core.cache import cache

from monitoring.platforms.contract import DiscoveredProcess, PollError, PollTarget
from monitoring.platforms.mulesoft import adapter as mulesoft
from monitoring.platforms.mulesoft.access import token_cache_key
from tests.monitoring.standins import REFUSED, Answer, MuleSoftStandIn, StandIn

TOKEN = "anypoint-access-token"
ENV = "PLUMBLINE_CRED_TEST_MULESOFT"
ORG = "0a1b2c3d-org"
ENV_ID = "9f8e7d6c-env"
UPDATED_MS = 1_777_630_000_000
MODIFIED_MS = 1_777_640_000_000
CLIENT_ID = "5e1f0c2a9b7d4e3f8a6b"
CLIENT_SECRET = "Zq8-connected-app-secret-7Yw"
CONNECTED_APP = f"{CLIENT_ID}:{CLIENT_SECRET}"
AMC_LIST = f"/amc/application-manager/api/v2/organizations/{ORG}/environments/{ENV_ID}/deployments"
TOKEN_PATH = "/accounts/api/v2/oauth2/token"


@pytest.fixture(autouse=True)
def loopback_allowed(settings, monkeypatch):
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    monkeypatch.setenv(ENV, TOKEN)


def app(domain: str, status: str = "STARTED", updated: int | str = UPDATED_MS, **extra) -> dict:
    return {
        "domain": domain,
        "fullDomain": f"{domain}.us-e2.cloudhub.io",
        "status": status,
        "lastUpdateTime": updated,
        "muleVersion": {"version": "4.6.0"},
        "workers": {"amount": 1, "type": {"name": "Micro"}},
        **extra,
    }


def deployment(
    name: str,
    status: str = "APPLIED",
    app_status: str | None = "RUNNING",
    modified: int | str = MODIFIED_MS,
    desired: str = "STARTED",
) -> dict:
    """An Application Manager deployment as GET .../deployments/{id} returns it (the list shows a part)."""
    return {
        "id": f"dep-{name}",
        "name": name,
        "creationDate": MODIFIED_MS - 86_400_000,
        "lastModifiedDate": modified,
        "desiredVersion": "7c3e-version",
        "currentRuntimeVersion": "4.6.0:40e-java17",
        "status": status,
        "target": {"provider": "MC", "targetId": "cloudhub-us-east-2", "replicas": 1},
        "replicas": [{"id": f"{name}-6d9f", "state": "STARTED", "reason": ""}],
        "application": {
            **({"status": app_status} if app_status is not None else {}),
            "desiredState": desired,
            "ref": {"groupId": ORG, "artifactId": name, "version": "1.0.3", "packaging": "jar"},
            "vCores": 0.1,
        },
    }


def standin(*apps: dict, deployments: list[dict] | None = None, **extra) -> MuleSoftStandIn:
    if not apps and deployments is None:
        apps = (app("invoice-sync"),)
    return MuleSoftStandIn(
        token=TOKEN,
        org_id=ORG,
        env_id=ENV_ID,
        apps=list(apps),
        deployments=deployments or [],
        clients={CLIENT_ID: CLIENT_SECRET},
        **extra,
    )


def amc(*deployments: dict, **extra) -> MuleSoftStandIn:
    return standin(deployments=list(deployments), **extra)


def target(base_url: str, ref: str = "invoice-sync", account_id: str = f"{ORG}/{ENV_ID}") -> PollTarget:
    return PollTarget(kind="mulesoft", ref=ref, base_url=base_url, account_id=account_id, secret_env=ENV)


def test_a_started_application_is_a_successful_heartbeat_run(outbound_client):
    server = standin()
    with server as base_url:
        before = dt.datetime.now(dt.UTC)
        result = mulesoft.poll(target(base_url), outbound_client)
    [run] = result.runs
    assert run.external_id == f"invoice-sync@{UPDATED_MS}"
    assert run.status == "success"
    assert run.started_at == dt.datetime.fromtimestamp(UPDATED_MS / 1000, tz=dt.UTC)
    assert run.finished_at is not None and run.finished_at >= before
    assert run.message == "application status STARTED"
    assert result.cursor == str(UPDATED_MS)
    looked_in_amc_first, request = server.requests
    assert looked_in_amc_first.path == AMC_LIST
    assert request.path == "/cloudhub/api/v2/applications/invoice-sync"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert (request.headers["x-anypnt-org-id"], request.headers["x-anypnt-env-id"]) == (ORG, ENV_ID)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("STARTED", "success"),
        ("RUNNING", "success"),
        ("DEPLOYING", "running"),
        ("UNDEPLOYING", "running"),
        ("FAILED", "failed"),
        ("DEPLOY_FAILED", "failed"),
        ("UNDEPLOYED", "failed"),
    ],
)
def test_application_statuses_map_to_run_statuses(outbound_client, status, expected):
    with standin(app("invoice-sync", status)) as base_url:
        assert mulesoft.poll(target(base_url), outbound_client).runs[0].status == expected


def test_a_failed_application_finished_when_its_status_changed(outbound_client):
    with standin(app("invoice-sync", "DEPLOY_FAILED")) as base_url:
        [run] = mulesoft.poll(target(base_url), outbound_client).runs
    assert run.finished_at == dt.datetime.fromtimestamp(UPDATED_MS / 1000, tz=dt.UTC)


def test_a_repeat_poll_without_a_status_change_upserts_the_same_run(outbound_client):
    server = standin()
    with server as base_url:
        first = mulesoft.poll(target(base_url), outbound_client)
        second = mulesoft.poll(dataclasses.replace(target(base_url), cursor=first.cursor), outbound_client)
    assert [r.external_id for r in second.runs] == [r.external_id for r in first.runs]


def test_a_status_change_is_a_new_run(outbound_client):
    server = standin()
    with server as base_url:
        first = mulesoft.poll(target(base_url), outbound_client)
        server.apps[0] = app("invoice-sync", "FAILED", UPDATED_MS + 60_000)
        second = mulesoft.poll(target(base_url), outbound_client)
    assert second.runs[0].external_id != first.runs[0].external_id
    assert second.runs[0].status == "failed"


def test_refused_credentials_are_a_poll_error_without_the_secret(outbound_client, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(ENV, "wrong-anypoint-secret")
    with standin() as base_url, pytest.raises(PollError, match=r"credentials refused \(HTTP 401\)") as raised:
        mulesoft.poll(target(base_url), outbound_client)
    assert "wrong-anypoint-secret" not in str(raised.value)
    assert "wrong-anypoint-secret" not in caplog.text


def test_a_wrong_environment_is_refused_as_credentials(outbound_client):
    with standin() as base_url, pytest.raises(PollError, match=r"credentials refused \(HTTP 403\)"):
        mulesoft.poll(target(base_url, account_id=f"{ORG}/other-env"), outbound_client)


@pytest.mark.parametrize("account_id", ["", "just-an-org", "/env", "org/"])
def test_account_id_must_name_org_and_environment(outbound_client, account_id):
    with pytest.raises(PollError, match='account_id must be "<orgId>/<envId>"'):
        mulesoft.poll(target("http://127.0.0.1:9", account_id=account_id), outbound_client)


def test_an_application_in_neither_api_is_a_poll_error_saying_so(outbound_client):
    with standin() as base_url, pytest.raises(PollError) as raised:
        mulesoft.poll(target(base_url, ref="nope"), outbound_client)
    assert str(raised.value) == (
        "MuleSoft application nope: not found, neither among the Application Manager's deployments "
        "(CloudHub 2.0, Runtime Fabric) nor among the CloudHub 1.0 applications"
    )


@pytest.mark.parametrize(
    ("record", "complaint"),
    [
        (app("invoice-sync", "HIBERNATING"), "unknown status 'HIBERNATING'"),
        (app("invoice-sync", updated="yesterday"), "lastUpdateTime must be a non-negative integer"),
        ({"domain": "invoice-sync", "lastUpdateTime": UPDATED_MS}, "status must be a non-empty string"),
    ],
)
def test_a_malformed_application_is_a_poll_error(outbound_client, record, complaint):
    with standin(record) as base_url, pytest.raises(PollError, match=complaint):
        mulesoft.poll(target(base_url), outbound_client)


def test_discover_lists_every_application(outbound_client):
    with standin(app("invoice-sync"), app("payroll-export", "UNDEPLOYED")) as base_url:
        found = mulesoft.discover(target(base_url), outbound_client)
    assert found == [
        DiscoveredProcess(ref="invoice-sync", name="invoice-sync"),
        DiscoveredProcess(ref="payroll-export", name="payroll-export"),
    ]


@pytest.mark.parametrize("status", ["STOPPED", "UNDEPLOYED"])
def test_an_application_switched_off_is_stopped_on_mulesoft(outbound_client, status):
    with standin(app("invoice-sync", status)) as base_url:
        result = mulesoft.poll(target(base_url), outbound_client)
    assert result.stopped == f"stopped on MuleSoft: application invoice-sync is {status}"


@pytest.mark.django_db
def test_a_stopped_application_is_down_at_the_next_poll_with_its_reason_and_up_once_started():
    from catalog.models import PlatformAccount
    from monitoring.ingest.polling import poll_source
    from monitoring.models import Flip
    from tests.monitoring.conftest import make_integration, source_of

    server = standin(app("invoice-sync", "STARTED"))
    with server as base_url:
        account = PlatformAccount.objects.create(
            key="anypoint-prod", platform="mulesoft", base_url=base_url, account_id=f"{ORG}/{ENV_ID}", secret_env=ENV
        )
        # A long interval and grace: lateness alone would say nothing for days.
        integration = make_integration(
            kind="mulesoft", health_account=account, health_ref="invoice-sync", interval=1440, grace=1440
        )
        poll_source(integration.pk)
        assert source_of(integration).state == "up"
        server.apps[0] = app("invoice-sync", "STOPPED", updated=UPDATED_MS + 60_000)
        poll_source(integration.pk)
        stopped = source_of(integration)
        server.apps[0] = app("invoice-sync", "STARTED", updated=UPDATED_MS + 120_000)
        poll_source(integration.pk)
    assert (stopped.state, stopped.platform_stopped) == (
        "down",
        "stopped on MuleSoft: application invoice-sync is STOPPED",
    )
    flips = list(Flip.objects.filter(integration=integration).order_by("id").values_list("to_state", "reason"))
    assert flips[-2:] == [
        ("down", "stopped on MuleSoft: application invoice-sync is STOPPED"),
        ("up", "last run succeeded"),
    ]


# Application Manager (CloudHub 2.0, Runtime Fabric) ---------------------------------------------------------


def test_a_cloudhub_2_application_running_in_amc_is_a_successful_heartbeat_run(outbound_client):
    server = amc(deployment("payroll-export", modified=MODIFIED_MS - 5), deployment("invoice-sync"))
    with server as base_url:
        before = dt.datetime.now(dt.UTC)
        result = mulesoft.poll(target(base_url), outbound_client)
    [run] = result.runs
    assert run.external_id == f"invoice-sync@{MODIFIED_MS}:APPLIED/RUNNING"
    assert run.status == "success"
    assert run.started_at == dt.datetime.fromtimestamp(MODIFIED_MS / 1000, tz=dt.UTC)
    assert run.finished_at is not None and run.finished_at >= before
    assert run.message == "deployment APPLIED, application RUNNING"
    assert (result.cursor, result.stopped) == ("amc:dep-invoice-sync", "")
    assert [r.path for r in server.requests] == [AMC_LIST, f"{AMC_LIST}/dep-invoice-sync"]
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_a_later_poll_gets_the_known_deployment_without_listing(outbound_client):
    server = amc(deployment("invoice-sync"))
    with server as base_url:
        first = mulesoft.poll(target(base_url), outbound_client)
        server.requests.clear()
        second = mulesoft.poll(dataclasses.replace(target(base_url), cursor=first.cursor), outbound_client)
    assert [r.path for r in server.requests] == [f"{AMC_LIST}/dep-invoice-sync"]
    assert second.runs == [dataclasses.replace(first.runs[0], finished_at=second.runs[0].finished_at)]


def test_a_stale_cursor_finds_the_deployment_again_by_name(outbound_client):
    server = amc(deployment("invoice-sync"))
    with server as base_url:
        result = mulesoft.poll(
            dataclasses.replace(target(base_url), cursor="amc:dep-deleted-long-ago"), outbound_client
        )
    assert result.cursor == "amc:dep-invoice-sync"
    assert [r.path for r in server.requests] == [
        f"{AMC_LIST}/dep-deleted-long-ago",
        AMC_LIST,
        f"{AMC_LIST}/dep-invoice-sync",
    ]


def test_the_deployment_list_is_read_page_after_page(outbound_client):
    others = [deployment(f"app-{n}") for n in range(4)]
    server = amc(*others, deployment("invoice-sync"), page_size=2)
    with server as base_url:
        result = mulesoft.poll(target(base_url), outbound_client)
    assert result.runs[0].status == "success"
    assert [r.query.get("offset") for r in server.requests_to(AMC_LIST) if r.path == AMC_LIST] == [None, "2", "4"]


@pytest.mark.parametrize(
    ("status", "app_status", "expected"),
    [
        ("APPLIED", "RUNNING", "success"),
        ("PARTIALLY_STARTED", "RUNNING", "success"),
        ("APPLYING", "RUNNING", "running"),
        ("DEPLOYING", None, "running"),
        ("APPLIED", "NOT_RUNNING", "failed"),
        ("FAILED", "NOT_RUNNING", "failed"),
        ("DEPLOYMENT_FAILED", "NOT_RUNNING", "failed"),
    ],
)
def test_amc_statuses_map_to_run_statuses(outbound_client, status, app_status, expected):
    with amc(deployment("invoice-sync", status, app_status)) as base_url:
        result = mulesoft.poll(target(base_url), outbound_client)
    assert (result.runs[0].status, result.stopped) == (expected, "")


def test_a_running_amc_deployment_has_not_finished(outbound_client):
    with amc(deployment("invoice-sync", "APPLYING", "RUNNING")) as base_url:
        [run] = mulesoft.poll(target(base_url), outbound_client).runs
    assert run.finished_at is None


@pytest.mark.parametrize(
    ("status", "app_status", "desired", "shown"),
    [
        ("APPLIED", "NOT_RUNNING", "STOPPED", "STOPPED"),
        ("APPLIED", "STOPPED", "STOPPED", "STOPPED"),
        ("STOPPED", "NOT_RUNNING", "STOPPED", "STOPPED"),
        ("UNDEPLOYED", "NOT_RUNNING", "STARTED", "UNDEPLOYED"),
    ],
)
def test_a_stopped_amc_application_is_down_as_stopped_on_mulesoft(outbound_client, status, app_status, desired, shown):
    with amc(deployment("invoice-sync", status, app_status, desired=desired)) as base_url:
        result = mulesoft.poll(target(base_url), outbound_client)
    assert result.runs[0].status == "failed"
    assert result.stopped == f"stopped on MuleSoft: application invoice-sync is {shown}"


def test_an_application_that_stops_running_is_a_new_failed_run_though_its_deployment_did_not_change(outbound_client):
    server = amc(deployment("invoice-sync", "APPLIED", "RUNNING"))
    with server as base_url:
        first = mulesoft.poll(target(base_url), outbound_client)
        server.deployments[0] = deployment("invoice-sync", "APPLIED", "NOT_RUNNING")
        second = mulesoft.poll(dataclasses.replace(target(base_url), cursor=first.cursor), outbound_client)
    assert second.runs[0].external_id != first.runs[0].external_id
    assert second.runs[0].status == "failed"
    # Seen after the success, so it is the latest run even though lastModifiedDate is older than both polls.
    assert second.runs[0].finished_at is not None and first.runs[0].finished_at is not None
    assert second.runs[0].finished_at >= first.runs[0].finished_at


@pytest.mark.parametrize(
    ("record", "complaint"),
    [
        (deployment("invoice-sync", "HIBERNATING"), "unknown deployment status 'HIBERNATING'"),
        (deployment("invoice-sync", app_status="DREAMING"), "unknown application status 'DREAMING'"),
        (deployment("invoice-sync", app_status=None), "application.status must be a non-empty string"),
        (deployment("invoice-sync", modified="yesterday"), "lastModifiedDate must be a non-negative integer"),
    ],
)
def test_a_malformed_deployment_is_a_poll_error(outbound_client, record, complaint):
    with amc(record) as base_url, pytest.raises(PollError, match=complaint):
        mulesoft.poll(target(base_url), outbound_client)


def test_an_application_only_in_cloudhub_1_is_found_through_the_fallback(outbound_client):
    server = standin(app("invoice-sync", "STARTED"), deployments=[deployment("payroll-export")])
    with server as base_url:
        result = mulesoft.poll(target(base_url), outbound_client)
    assert result.runs[0].external_id == f"invoice-sync@{UPDATED_MS}"
    assert result.runs[0].status == "success"
    assert [r.path for r in server.requests] == [AMC_LIST, "/cloudhub/api/v2/applications/invoice-sync"]


@pytest.mark.parametrize("refusal", [404, 403])
def test_an_account_without_the_application_manager_falls_back_to_cloudhub_1(outbound_client, refusal):
    server = standin(app("invoice-sync", "STARTED"))
    server.override("GET", AMC_LIST, lambda request, match: Answer(refusal, {"message": "no"}))
    with server as base_url:
        result = mulesoft.poll(target(base_url), outbound_client)
    assert result.runs[0].status == "success"


def test_an_application_manager_server_error_is_a_poll_error_not_a_fallback(outbound_client):
    server = standin(app("invoice-sync", "STARTED"))
    server.override("GET", AMC_LIST, lambda request, match: Answer(500, {"message": "boom"}))
    with server as base_url, pytest.raises(PollError, match=r"deployment list: server error \(HTTP 500\)"):
        mulesoft.poll(target(base_url), outbound_client)
    assert server.requests_to("/cloudhub") == []


# Connected apps ----------------------------------------------------------------------------------------------


def test_a_connected_app_makes_one_token_request_for_several_polls(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, CONNECTED_APP)
    server = amc(deployment("invoice-sync"))
    with server as base_url:
        results = [mulesoft.poll(target(base_url), outbound_client) for _ in range(3)]
    assert [r.runs[0].status for r in results] == ["success"] * 3
    assert server.token_requests == 1
    [exchange] = server.requests_to(TOKEN_PATH)
    assert exchange.method == "POST"
    assert exchange.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(exchange.body.decode(), strict_parsing=True) == {
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
        "grant_type": ["client_credentials"],
    }
    calls = [r for r in server.requests if r.path != TOKEN_PATH]
    assert {r.headers["authorization"] for r in calls} == {"Bearer issued-1"}


def test_the_token_is_shared_through_the_cache_under_a_digest_never_the_client_secret(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, CONNECTED_APP)
    with amc(deployment("invoice-sync")) as base_url:
        mulesoft.poll(target(base_url), outbound_client)
        key = token_cache_key(base_url, CLIENT_ID, CLIENT_SECRET)
    assert cache.get(key) == "issued-1"
    assert CLIENT_SECRET not in key and CLIENT_ID not in key


def test_a_token_cached_by_another_worker_is_used_without_a_token_request(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, CONNECTED_APP)
    server = amc(deployment("invoice-sync"))
    with server as base_url:
        server.issued["issued-by-another-worker"] = float("inf")
        cache.set(token_cache_key(base_url, CLIENT_ID, CLIENT_SECRET), "issued-by-another-worker", timeout=600)
        mulesoft.poll(target(base_url), outbound_client)
    assert server.token_requests == 0
    assert server.requests[0].headers["authorization"] == "Bearer issued-by-another-worker"


def test_a_revoked_token_is_renewed_once_and_the_poll_succeeds(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, CONNECTED_APP)
    server = amc(deployment("invoice-sync"))
    with server as base_url:
        first = mulesoft.poll(target(base_url), outbound_client)
        server.revoke_tokens()
        server.requests.clear()
        result = mulesoft.poll(dataclasses.replace(target(base_url), cursor=first.cursor), outbound_client)
    assert result.runs[0].status == "success"
    assert server.token_requests == 1
    assert [(r.path, r.headers.get("authorization")) for r in server.requests] == [
        (f"{AMC_LIST}/dep-invoice-sync", "Bearer issued-1"),
        (TOKEN_PATH, None),
        (f"{AMC_LIST}/dep-invoice-sync", "Bearer issued-2"),
    ]


def test_a_second_refusal_after_renewal_is_a_poll_error(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, CONNECTED_APP)
    server = amc(deployment("invoice-sync"))
    server.override("GET", AMC_LIST, lambda request, match: REFUSED)
    with server as base_url, pytest.raises(PollError, match=r"deployment list: credentials refused \(HTTP 401\)"):
        mulesoft.poll(target(base_url), outbound_client)
    assert server.token_requests == 2
    assert server.requests_to("/cloudhub") == []


def test_a_token_expiring_within_the_renewal_margin_is_not_reused(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, CONNECTED_APP)
    server = amc(deployment("invoice-sync"), token_lifetime=45)
    with server as base_url:
        for _ in range(2):
            mulesoft.poll(target(base_url), outbound_client)
    assert server.token_requests == 2


def test_a_token_answer_without_expires_in_is_reused(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, CONNECTED_APP)
    server = amc(deployment("invoice-sync"), token_lifetime=None)
    with server as base_url:
        for _ in range(2):
            mulesoft.poll(target(base_url), outbound_client)
    assert server.token_requests == 1


def test_a_plain_bearer_token_makes_no_token_request(outbound_client):
    server = amc(deployment("invoice-sync"))
    with server as base_url:
        mulesoft.poll(target(base_url), outbound_client)
    assert server.token_requests == 0
    assert {r.headers["authorization"] for r in server.requests} == {f"Bearer {TOKEN}"}


def test_refused_client_credentials_are_a_poll_error_naming_the_call_never_the_secret(
    outbound_client, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(ENV, f"{CLIENT_ID}:Wrong-Secret-Value-4Rz")
    with amc(deployment("invoice-sync")) as base_url, pytest.raises(PollError) as raised:
        mulesoft.poll(target(base_url), outbound_client)
    assert str(raised.value) == "MuleSoft connected-app token request: credentials refused (HTTP 401)"
    assert "Wrong-Secret-Value-4Rz" not in caplog.text


def test_a_broken_token_answer_is_a_poll_error_without_the_secret(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, CONNECTED_APP)
    server = amc(deployment("invoice-sync"))
    server.override("POST", TOKEN_PATH, lambda request, match: Answer(200, {"token_type": "bearer"}))
    with server as base_url, pytest.raises(PollError) as raised:
        mulesoft.poll(target(base_url), outbound_client)
    assert str(raised.value) == "MuleSoft connected-app token request: access_token must be a non-empty string"


def test_the_client_secret_is_not_sent_along_a_redirect_to_another_origin(outbound_client, monkeypatch):
    monkeypatch.setenv(ENV, CONNECTED_APP)
    elsewhere = StandIn()
    server = amc(deployment("invoice-sync"))
    with elsewhere as other_url, server as base_url:
        server.override(
            "POST", TOKEN_PATH, lambda request, match: Answer(307, headers={"Location": f"{other_url}{TOKEN_PATH}"})
        )
        with pytest.raises(
            PollError, match=r"redirects to .*, another origin; the credential is sent only to"
        ) as raised:
            mulesoft.poll(target(base_url), outbound_client)
    assert elsewhere.requests == []
    assert CLIENT_SECRET not in str(raised.value)


@pytest.mark.parametrize("value", [f":{CLIENT_SECRET}", f"{CLIENT_ID}:"])
def test_a_colon_needs_both_client_id_and_secret(outbound_client, monkeypatch, value):
    monkeypatch.setenv(ENV, value)
    with pytest.raises(PollError) as raised:
        mulesoft.poll(target("http://127.0.0.1:9"), outbound_client)
    assert str(raised.value) == (
        f"environment variable {ENV} holds a colon but not a connected app's client_id:client_secret"
    )


# Discovery ---------------------------------------------------------------------------------------------------


def test_discover_lists_the_apps_of_both_apis_each_once(outbound_client):
    server = standin(
        app("payroll-export", "UNDEPLOYED"),
        app("legacy-ftp"),
        deployments=[deployment("invoice-sync"), deployment("payroll-export")],
    )
    with server as base_url:
        found = mulesoft.discover(target(base_url), outbound_client)
    assert [p.ref for p in found] == ["invoice-sync", "payroll-export", "legacy-ftp"]
    assert found[0] == DiscoveredProcess(ref="invoice-sync", name="invoice-sync")


@pytest.mark.parametrize("refusal", [404, 403])
@pytest.mark.parametrize(
    ("closed", "expected"), [(AMC_LIST, ["legacy-ftp"]), ("/cloudhub/api/v2/applications", ["invoice-sync"])]
)
def test_discover_uses_the_other_api_when_one_is_not_open(outbound_client, refusal, closed, expected):
    server = standin(app("legacy-ftp"), deployments=[deployment("invoice-sync")])
    server.override("GET", closed, lambda request, match: Answer(refusal, {"message": "no"}))
    with server as base_url:
        assert [p.ref for p in mulesoft.discover(target(base_url), outbound_client)] == expected


def test_discover_fails_only_when_both_apis_fail(outbound_client):
    server = standin(app("legacy-ftp"), deployments=[deployment("invoice-sync")])
    server.override("GET", AMC_LIST, lambda request, match: Answer(404, {"message": "no"}))
    server.override("GET", "/cloudhub/api/v2/applications", lambda request, match: Answer(403, {"message": "no"}))
    with server as base_url, pytest.raises(PollError, match="MuleSoft discovery: neither API is open to this account"):
        mulesoft.discover(target(base_url), outbound_client)


# Through the pipeline ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cloudhub_2_app_polled_through_the_pipeline_is_down_while_stopped_with_one_token_request(monkeypatch):
    from catalog.models import PlatformAccount
    from monitoring.ingest.polling import poll_source
    from monitoring.models import Flip
    from tests.monitoring.conftest import make_integration, source_of

    monkeypatch.setenv(ENV, CONNECTED_APP)
    server = amc(deployment("invoice-sync"))
    with server as base_url:
        account = PlatformAccount.objects.create(
            key="anypoint-prod", platform="mulesoft", base_url=base_url, account_id=f"{ORG}/{ENV_ID}", secret_env=ENV
        )
        integration = make_integration(
            kind="mulesoft", health_account=account, health_ref="invoice-sync", interval=1440, grace=1440
        )
        poll_source(integration.pk)
        up = source_of(integration)
        server.deployments[0] = deployment("invoice-sync", "APPLIED", "NOT_RUNNING", MODIFIED_MS + 60_000, "STOPPED")
        poll_source(integration.pk)
        stopped = source_of(integration)
        server.deployments[0] = deployment("invoice-sync", "APPLIED", "RUNNING", MODIFIED_MS + 120_000)
        poll_source(integration.pk)
    assert (up.state, up.cursor) == ("up", "amc:dep-invoice-sync")
    assert (stopped.state, stopped.platform_stopped) == (
        "down",
        "stopped on MuleSoft: application invoice-sync is STOPPED",
    )
    assert source_of(integration).state == "up"
    assert server.token_requests == 1
    flips = list(Flip.objects.filter(integration=integration).order_by("id").values_list("to_state", "reason"))
    assert flips[-2:] == [
        ("down", "stopped on MuleSoft: application invoice-sync is STOPPED"),
        ("up", "last run succeeded"),
    ]


@pytest.mark.parametrize("value", [TOKEN, CONNECTED_APP])
def test_a_connection_never_shows_its_credential(outbound_client, monkeypatch, value):
    from monitoring.platforms.mulesoft.access import connect

    monkeypatch.setenv(ENV, value)
    shown = repr(connect(target("http://127.0.0.1:9"), outbound_client))
    assert TOKEN not in shown and CLIENT_SECRET not in shown
