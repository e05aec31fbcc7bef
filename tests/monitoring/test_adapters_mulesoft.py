"""The MuleSoft adapter against a stand-in CloudHub API (application status as a heartbeat run)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest

from monitoring.platforms.contract import DiscoveredProcess, PollError, PollTarget
from monitoring.platforms.mulesoft import adapter as mulesoft
from tests.monitoring.standins import MuleSoftStandIn

TOKEN = "anypoint-access-token"
ENV = "PLUMBLINE_CRED_TEST_MULESOFT"
ORG = "0a1b2c3d-org"
ENV_ID = "9f8e7d6c-env"
UPDATED_MS = 1_777_630_000_000


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


def standin(*apps: dict) -> MuleSoftStandIn:
    return MuleSoftStandIn(token=TOKEN, org_id=ORG, env_id=ENV_ID, apps=list(apps) or [app("invoice-sync")])


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
    request = server.requests[0]
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


def test_an_unknown_application_is_a_poll_error(outbound_client):
    with standin() as base_url, pytest.raises(PollError, match="unexpected HTTP 404"):
        mulesoft.poll(target(base_url, ref="nope"), outbound_client)


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
