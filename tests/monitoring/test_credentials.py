"""Credentials only from credential variables, and only to their account's origin (issue 13 item 4).

A PlatformAccount names the variable its credential is read from and the base_url it is sent to,
so without these rules a spec could send SECRET_KEY to a host of its choosing. Every HTTP test
runs against real stand-in servers: the platform on 127.0.0.1, "elsewhere" on localhost.
"""

from __future__ import annotations

import ast
import base64
import dataclasses
import logging
import re
from pathlib import Path
from typing import TypeGuard

import pytest
from django.conf import settings as django_settings

from catalog.models import PlatformAccount
from catalog.spec.checks import not_a_credential_variable
from monitoring import conf
from monitoring.ingest.discovery import discover_platforms
from monitoring.ingest.polling import poll_source
from monitoring.models import HealthSource
from monitoring.platforms import get_adapter, outbound
from monitoring.platforms.contract import PollError, PollTarget
from tests.monitoring.conftest import make_integration
from tests.monitoring.standins import (
    Answer,
    BoomiStandIn,
    CeligoStandIn,
    MuleSoftStandIn,
    StandIn,
    StatusPage,
    WorkatoStandIn,
)
from tests.pages.estate import make_user

ROOT = Path(__file__).resolve().parent.parent.parent
ENV = "PLUMBLINE_CRED_TEST_ACCOUNT"
USER, TOKEN = "ana", "s3cr3t-platform-token"
SECRET = f"{USER}:{TOKEN}"  # Boomi wants user:token; the Bearer stand-ins take it whole
# For MuleSoft, "a:b" is a connected app's client_id:client_secret; a bearer token has no colon.
ENV_BEARER = "PLUMBLINE_CRED_TEST_BEARER"
DJANGO_SECRET = "django-secret-key-that-must-stay-home"
OWN_VARIABLE_REFUSED = (
    "SECRET_KEY is a variable Plumbline itself reads, never a credential: keep the credential in PLUMBLINE_CRED_<NAME>"
)


@pytest.fixture
def loopback_allowed(settings, monkeypatch):
    """The platform stand-in on 127.0.0.1 and "elsewhere" on localhost are both reachable."""
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32", "localhost"]
    monkeypatch.setenv(ENV, SECRET)
    monkeypatch.setenv(ENV_BEARER, TOKEN)


def on_localhost(base_url: str) -> str:
    """The same kind of stand-in address under another host name: another origin."""
    return base_url.replace("://127.0.0.1:", "://localhost:")


# --- which variables may hold a credential ------------------------------------------------------

ENV_HELPERS = {"env_str", "env_bool", "env_list"}


def _is_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _reads_environment(node: ast.AST) -> TypeGuard[ast.Subscript | ast.Call]:
    if isinstance(node, ast.Subscript):
        return _is_environ(node.value)
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in ENV_HELPERS
    return isinstance(func, ast.Attribute) and (
        func.attr == "getenv" or (func.attr in {"get", "setdefault", "pop"} and _is_environ(func.value))
    )


def _variable(node: ast.Subscript | ast.Call) -> str | None:
    arg = node.slice if isinstance(node, ast.Subscript) else (node.args[0] if node.args else None)
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def env_reads(path: Path) -> list[tuple[int, str | None]]:
    """(line, variable name) of every environment read in a file; None where the name is computed."""
    tree = ast.parse(path.read_text(), filename=str(path))
    helpers = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name in ENV_HELPERS]
    inside_helpers = {id(node) for helper in helpers for node in ast.walk(helper)}  # they read their argument
    return [
        (node.lineno, _variable(node))
        for node in ast.walk(tree)
        if _reads_environment(node) and id(node) not in inside_helpers
    ]


def test_settings_env_lists_every_variable_settings_py_reads():
    reads = env_reads(ROOT / "plumbline/settings.py")
    names = {name for _, name in reads}
    assert None not in names  # every read names its variable, so this list can be checked
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_HOST_PASSWORD", "PLUMBLINE_PING_KEY"} <= names
    assert sorted(names - django_settings.SETTINGS_ENV) == []


def test_only_the_credential_and_webhook_readers_compute_a_variable_name():
    """Elsewhere every environment read names a variable SETTINGS_ENV lists, so none is a credential."""
    unlisted, computed = [], []
    for folder in ("catalog", "monitoring", "plumbline"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, name in env_reads(path):
                where = f"{path.relative_to(ROOT)}:{line}"
                if name is None:
                    computed.append(str(path.relative_to(ROOT)))
                elif name not in django_settings.SETTINGS_ENV:
                    unlisted.append(f"{where} {name}")
    assert unlisted == []
    assert sorted(set(computed)) == ["monitoring/conf.py", "monitoring/platforms/outbound.py"]


def test_every_variable_the_readme_configures_is_refused_as_a_credential():
    section = (ROOT / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = [n.replace("<NAME>", "FINANCE") for n in re.findall(r"^\| `([A-Z_<>]+)` \|", section, re.MULTILINE)]
    assert {"DATABASE_URL", "SECRET_KEY", "PLUMBLINE_WEBHOOK_FINANCE", "PLUMBLINE_CRED_FINANCE"} <= set(names)
    refused = {name: not_a_credential_variable(name) for name in names if name != "PLUMBLINE_CRED_FINANCE"}
    assert [name for name, problem in refused.items() if problem is None] == []
    assert not_a_credential_variable("PLUMBLINE_CRED_FINANCE") is None


def test_webhook_variables_are_refused_as_credentials():
    name = conf.webhook_env_name("#finance-alerts")
    assert name == "PLUMBLINE_WEBHOOK_FINANCE_ALERTS"
    assert not_a_credential_variable(name) == (
        f"{name} is a variable Plumbline itself reads, never a credential: keep the credential in PLUMBLINE_CRED_<NAME>"
    )


def test_the_refusal_ignores_case_so_windows_spellings_do_not_slip_through(settings):
    settings.PLUMBLINE_CRED_PREFIX = "acme_"
    assert not_a_credential_variable("acme_secret_key") is None
    assert not_a_credential_variable("secret_key") == (
        "secret_key is a variable Plumbline itself reads, never a credential: keep the credential in acme_<NAME>"
    )


# --- read_secret: the rule again at call time -------------------------------------------------------


def test_read_secret_refuses_secret_key_and_never_shows_its_value(monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SECRET_KEY", DJANGO_SECRET)
    with pytest.raises(PollError) as raised:
        outbound.read_secret("SECRET_KEY")
    assert (
        str(raised.value) == f"the platform account's secret_env is refused, nothing was sent: {OWN_VARIABLE_REFUSED}"
    )
    assert DJANGO_SECRET not in caplog.text


def test_read_secret_refuses_a_set_variable_without_the_prefix(monkeypatch):
    monkeypatch.setenv("CELIGO_PROD_TOKEN", "celigo-value-123")
    with pytest.raises(PollError) as raised:
        outbound.read_secret("CELIGO_PROD_TOKEN")
    assert str(raised.value) == (
        "the platform account's secret_env is refused, nothing was sent: CELIGO_PROD_TOKEN does not start with "
        "PLUMBLINE_CRED_: credentials are read only from variables named PLUMBLINE_CRED_<NAME>; rename the variable"
    )


def test_read_secret_reads_a_credential_variable(monkeypatch):
    monkeypatch.setenv("PLUMBLINE_CRED_CELIGO_PROD", "celigo-value-123")
    assert outbound.read_secret("PLUMBLINE_CRED_CELIGO_PROD") == "celigo-value-123"


def test_read_secret_follows_the_prefix_setting(settings, monkeypatch):
    settings.PLUMBLINE_CRED_PREFIX = "ACME_PLATFORM_"
    monkeypatch.setenv("ACME_PLATFORM_CELIGO", "acme-value")
    monkeypatch.setenv("PLUMBLINE_CRED_CELIGO", "old-value")
    assert outbound.read_secret("ACME_PLATFORM_CELIGO") == "acme-value"
    with pytest.raises(PollError, match="PLUMBLINE_CRED_CELIGO does not start with ACME_PLATFORM_") as raised:
        outbound.read_secret("PLUMBLINE_CRED_CELIGO")
    assert "old-value" not in str(raised.value)


@pytest.mark.parametrize("value", ["tok\nen-line-break", "tok\ren-carriage-return", "t\u00f6ken-umlaut"])
def test_a_credential_a_header_cannot_carry_is_refused_without_showing_it(monkeypatch, value):
    monkeypatch.setenv(ENV, value)
    with pytest.raises(PollError) as raised:
        outbound.read_secret(ENV)
    assert str(raised.value) == f"environment variable {ENV} holds characters an HTTP header cannot carry"


# --- a row stored before the rule ------------------------------------------------------------------


@pytest.fixture
def stored_before_the_rule(db, loopback_allowed, monkeypatch):
    """A Celigo account written straight to the table (as before this rule) naming SECRET_KEY."""
    monkeypatch.setenv("SECRET_KEY", DJANGO_SECRET)
    server = CeligoStandIn(token=DJANGO_SECRET, jobs=[])
    with server as base_url:
        account = PlatformAccount.objects.create(
            key="celigo-old", platform="celigo", base_url=base_url, secret_env="SECRET_KEY"
        )
        integration = make_integration("invoices", kind="celigo", health_account=account, health_ref="flow-1")
        yield server, integration


def test_a_stored_account_naming_secret_key_is_refused_at_poll_time(stored_before_the_rule):
    server, integration = stored_before_the_rule
    outcome = poll_source(integration.pk)
    error = f"PollError: the platform account's secret_env is refused, nothing was sent: {OWN_VARIABLE_REFUSED}"
    assert outcome.error == error
    assert HealthSource.objects.get(integration=integration).last_poll_error == error
    assert server.requests == []


def test_the_health_page_shows_why_and_never_the_value(stored_before_the_rule, client):
    _, integration = stored_before_the_rule
    poll_source(integration.pk)
    client.force_login(make_user("viewer@example.com", "viewer"))
    page = client.get(f"/integrations/{integration.key}/health/").content.decode()
    assert "Last poll failed: PollError: the platform account&#x27;s secret_env is refused" in page
    assert "SECRET_KEY is a variable Plumbline itself reads" in page
    assert DJANGO_SECRET not in page
    assert django_settings.SECRET_KEY not in page


def test_discovery_refuses_the_stored_account_without_calling_it(stored_before_the_rule):
    server, _ = stored_before_the_rule
    report = discover_platforms()
    refused = f"PollError: the platform account's secret_env is refused, nothing was sent: {OWN_VARIABLE_REFUSED}"
    assert report.errors == {"celigo-old": refused}
    assert server.requests == []


# --- redirects: a credential never follows one to another origin ----------------------------------


def test_the_guarded_client_never_follows_a_redirect_by_itself(loopback_allowed):
    elsewhere = StatusPage({"runs": []})
    with elsewhere as elsewhere_url:
        platform = StandIn()
        platform.route(
            "GET", "/hop", lambda r, m: Answer(307, headers={"Location": f"{on_localhost(elsewhere_url)}/status"})
        )
        with platform as base_url, outbound.make_client() as client:
            response = client.get(f"{base_url}/hop", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 307
    assert elsewhere.requests == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_credentialed_call_redirected_to_another_host_is_refused(loopback_allowed, outbound_client, status):
    elsewhere = StatusPage({"runs": []})
    with elsewhere as elsewhere_url:
        other = on_localhost(elsewhere_url)
        platform = StandIn()
        platform.route("GET", "/hop", lambda r, m: Answer(status, headers={"Location": f"{other}/status?x=1"}))
        with platform as base_url, pytest.raises(PollError) as raised:
            outbound.send(
                outbound_client, "GET", f"{base_url}/hop", what="t", headers={"Authorization": f"Bearer {TOKEN}"}
            )
    assert str(raised.value) == (
        f"t: {base_url}/hop redirects to {other}/, another origin; "
        "the credential is sent only to the platform account's base_url"
    )
    assert [r.headers["authorization"] for r in platform.requests] == [f"Bearer {TOKEN}"]
    assert elsewhere.requests == []
    assert TOKEN not in str(raised.value)


def test_a_credentialed_call_redirected_to_another_port_of_the_same_host_is_refused(loopback_allowed, outbound_client):
    elsewhere = StatusPage({"runs": []})
    with elsewhere as elsewhere_url:
        platform = StandIn()
        platform.route("GET", "/hop", lambda r, m: Answer(302, headers={"Location": f"{elsewhere_url}/status"}))
        with platform as base_url, pytest.raises(PollError, match="another origin"):
            outbound.send(
                outbound_client, "GET", f"{base_url}/hop", what="t", headers={"Authorization": f"Bearer {TOKEN}"}
            )
    assert elsewhere.requests == []


def test_a_credentialed_call_keeps_its_credential_within_its_origin(loopback_allowed, outbound_client):
    platform = StatusPage({"runs": []})
    platform.route("GET", "/hop", lambda r, m: Answer(302, headers={"Location": "/status"}))
    with platform as base_url:
        reply = outbound.send(
            outbound_client, "GET", f"{base_url}/hop", what="t", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert reply.json("t") == {"runs": []}
    assert [(r.path, r.headers["authorization"]) for r in platform.requests] == [
        ("/hop", f"Bearer {TOKEN}"),
        ("/status", f"Bearer {TOKEN}"),
    ]


def test_a_call_without_a_credential_follows_a_redirect_to_another_host(loopback_allowed, outbound_client):
    elsewhere = StatusPage({"runs": []})
    with elsewhere as elsewhere_url:
        platform = StandIn()
        target = f"{on_localhost(elsewhere_url)}/status"
        platform.route("GET", "/hop", lambda r, m: Answer(302, headers={"Location": target}))
        with platform as base_url:
            reply = outbound.send(outbound_client, "GET", f"{base_url}/hop", what="status URL")
    assert (reply.json("t"), str(reply.url)) == ({"runs": []}, target)
    assert [("authorization" in r.headers, r.path) for r in elsewhere.requests] == [(False, "/status")]


# --- each adapter: its first call and its paging ------------------------------------------------------


def celigo() -> tuple[StandIn, str, str, PollTarget]:
    server = CeligoStandIn(token=SECRET, jobs=[])
    return server, "GET", "/v1/jobs", PollTarget(kind="celigo", ref="flow1", secret_env=ENV)


def workato() -> tuple[StandIn, str, str, PollTarget]:
    server = WorkatoStandIn(token=SECRET, jobs={"42": []})
    return server, "GET", r"/api/recipes/(\w+)/jobs", PollTarget(kind="workato", ref="42", secret_env=ENV)


def boomi() -> tuple[StandIn, str, str, PollTarget]:
    server = BoomiStandIn(account_id="acme-1", user=USER, token=TOKEN, executions=[])
    target = PollTarget(kind="boomi", ref="proc-1", account_id="acme-1", secret_env=ENV)
    return server, "POST", "/api/rest/v1/acme-1/ExecutionRecord/query", target


def mulesoft() -> tuple[StandIn, str, str, PollTarget]:
    server = MuleSoftStandIn(token=TOKEN, org_id="org-1", env_id="env-1", apps=[])
    target = PollTarget(kind="mulesoft", ref="orders-api", account_id="org-1/env-1", secret_env=ENV_BEARER)
    return server, "GET", "/amc/application-manager/api/v2/organizations/org-1/environments/env-1/deployments", target


AUTHORIZATION = {
    "boomi": "Basic " + base64.b64encode(SECRET.encode()).decode(),
    **dict.fromkeys(("celigo", "workato"), f"Bearer {SECRET}"),
    "mulesoft": f"Bearer {TOKEN}",
}


def with_base(target: PollTarget, base_url: str) -> PollTarget:
    return dataclasses.replace(target, base_url=base_url)


@pytest.mark.parametrize("platform", [celigo, workato, boomi, mulesoft])
def test_no_adapter_follows_a_redirect_to_another_host_with_its_credential(loopback_allowed, outbound_client, platform):
    elsewhere = StandIn()
    server, method, path, target = platform()
    with elsewhere as elsewhere_url:
        other = on_localhost(elsewhere_url)
        server.override(method, path, lambda r, m: Answer(307, headers={"Location": f"{other}/steal"}))
        with server as base_url, pytest.raises(PollError) as raised:
            get_adapter(target.kind).poll(with_base(target, base_url), outbound_client)
    assert f"redirects to {other}/, another origin" in str(raised.value)
    assert [r.headers["authorization"] for r in server.requests] == [AUTHORIZATION[target.kind]]
    assert elsewhere.requests == []
    assert TOKEN not in str(raised.value)


def test_a_celigo_next_page_link_to_another_host_is_not_followed(loopback_allowed, outbound_client):
    elsewhere = StandIn()
    server, _, _, target = celigo()
    with elsewhere as elsewhere_url:
        link = f'<{on_localhost(elsewhere_url)}/v1/jobs?skip=2>; rel="next"'
        server.override("GET", "/v1/jobs", lambda r, m: Answer(200, [], {"Link": link}))
        with server as base_url, pytest.raises(PollError) as raised:
            get_adapter("celigo").poll(with_base(target, base_url), outbound_client)
    assert str(raised.value) == f"Celigo jobs of flow flow1: next-page link leaves {base_url}"
    assert elsewhere.requests == []


def test_a_celigo_error_page_url_to_another_host_is_not_followed(loopback_allowed, outbound_client):
    elsewhere = StandIn()
    flow = {"_id": "flow1", "pageGenerators": [{"_exportId": "exp1"}]}
    job = {
        "_id": "j1",
        "_flowId": "flow1",
        "type": "flow",
        "status": "completed",
        "numError": 1,
        "createdAt": "2026-05-01T10:00:00.000Z",
    }
    server = CeligoStandIn(token=SECRET, jobs=[job], flows=[flow])
    with elsewhere as elsewhere_url:
        following = f"{on_localhost(elsewhere_url)}/v1/flows/flow1/exp1/errors?page=2"
        server.override(
            "GET", "/v1/flows/flow1/exp1/errors", lambda r, m: Answer(200, {"errors": [], "nextPageURL": following})
        )
        with server as base_url, pytest.raises(PollError, match="next-page link leaves"):
            get_adapter("celigo").poll(
                PollTarget(kind="celigo", ref="flow1", base_url=base_url, secret_env=ENV), outbound_client
            )
    assert elsewhere.requests == []


def test_a_boomi_query_more_redirected_to_another_host_is_refused(loopback_allowed, outbound_client):
    elsewhere = StandIn()
    executions = [
        {
            "executionId": f"e-{n}",
            "executionTime": f"2026-05-01T10:0{n}:00Z",
            "status": "COMPLETE",
            "processId": "proc-1",
        }
        for n in range(3)
    ]
    server = BoomiStandIn(account_id="acme-1", user=USER, token=TOKEN, executions=executions, page_size=2)
    _, _, _, target = boomi()
    with elsewhere as elsewhere_url:
        other = on_localhost(elsewhere_url)
        server.override(
            "POST",
            r"/api/rest/v1/acme-1/ExecutionRecord/queryMore",
            lambda r, m: Answer(307, headers={"Location": f"{other}/q"}),
        )
        with server as base_url, pytest.raises(PollError, match=f"redirects to {re.escape(other)}/, another origin"):
            get_adapter("boomi").poll(with_base(target, base_url), outbound_client)
    assert [r.path.rsplit("/", 1)[1] for r in server.requests] == ["query", "queryMore"]
    assert elsewhere.requests == []


def test_a_workato_older_page_redirected_to_another_host_is_refused(loopback_allowed, outbound_client):
    elsewhere = StandIn()
    server, _, _, target = workato()
    first_page = {"items": [{"id": "j-2", "status": "succeeded"}, {"id": "j-1", "status": "succeeded"}]}
    with elsewhere as elsewhere_url:
        other = on_localhost(elsewhere_url)

        def jobs(request, match):
            if "offset_job_id" in request.query:
                return Answer(302, headers={"Location": f"{other}/api/recipes/42/jobs"})
            return Answer(200, first_page)

        server.override("GET", r"/api/recipes/(\w+)/jobs", jobs)
        with server as base_url, pytest.raises(PollError, match="another origin"):
            get_adapter("workato").poll(with_base(target, base_url), outbound_client)
    assert [r.query.get("offset_job_id") for r in server.requests] == [None, "j-1"]
    assert elsewhere.requests == []
