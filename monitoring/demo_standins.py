"""The demo's newer platforms on 127.0.0.1, so their health is really polled, never from the internet: each
is its platform's stand-in (monitoring/platforms/<name>/standin.py) on a fixed port that the demo's platform
accounts and integrations name (catalog/demo/specs/). `manage.py demo_standins` (bin/run starts it beside
the worker) serves them until stopped, with two days of runs and a new run every RUN_EVERY, so the worker's
polls find what a running integration would show. bin/run lets the worker reach 127.0.0.1
(PLUMBLINE_OUTBOUND_ALLOW) and sets the demo credentials below (CREDENTIALS) for it; neither is for production.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

from monitoring.platforms.azure_logic_apps import standin as azure
from monitoring.platforms.informatica import standin as informatica
from monitoring.platforms.json_runs import standin as json_runs
from monitoring.platforms.sap_integration_suite import standin as sap
from monitoring.platforms.standin import StandIn

RUN_EVERY = dt.timedelta(minutes=60)
HISTORY = dt.timedelta(hours=48)
HOST = "127.0.0.1"

# What bin/run puts in the worker's environment: the demo accounts' secret_env variables.
AZURE_CLIENT = ("halvard-demo-logic-apps", "demo-client-secret")
SAP_CLIENT = ("sb-halvard-demo!b12345|it!b543", "demo-sap-secret")
INFORMATICA_LOGIN = ("integration.reader@halvard.example.com", "demo-informatica-password")
AIRBYTE_TOKEN = "demo-airbyte-application-token"  # noqa: S105 (the demo stand-in's, not a secret)
CREDENTIALS = {
    "PLUMBLINE_CRED_AZURE_DEMO": ":".join(AZURE_CLIENT),
    "PLUMBLINE_CRED_SAP_DEMO": ":".join(SAP_CLIENT),
    "PLUMBLINE_CRED_INFORMATICA_DEMO": ":".join(INFORMATICA_LOGIN),
    "PLUMBLINE_CRED_AIRBYTE_DEMO": AIRBYTE_TOKEN,
}
# The demo platform accounts whose integrations these stand-ins answer for: polled for real, never given
# made-up history (monitoring/demo.py).
ACCOUNTS = frozenset({"azure-finance", "sap-emea", "informatica-data", "airbyte-cloud"})  # as PLATFORMS name them


@dataclass
class DemoPlatform:
    """One platform's stand-ins and how a run is added to it (at, failed)."""

    name: str
    account: str  # the demo platform account (catalog/demo/specs/platform-accounts.yaml) it answers for
    servers: list[tuple[StandIn, int]]  # each with its port; the first is the account's base_url
    add_run: Callable[[dt.datetime, bool], None]
    token_path: str = ""  # the account's token_url, on the server that issues tokens (the last one)
    inner: list[tuple[StandIn, int]] = field(default_factory=list)  # servers another one starts, with their ports
    failing_since: dt.datetime | None = None  # runs after this fail (the demo's story for it)
    added: list[dt.datetime] = field(default_factory=list)

    def urls(self) -> tuple[str, str]:
        """(base_url, token_url) as served now."""
        token_url = self.servers[-1][0].base_url + self.token_path if self.token_path else ""
        return self.servers[0][0].base_url, token_url

    def run_at(self, at: dt.datetime) -> None:
        self.add_run(at, self.failing_since is not None and at >= self.failing_since)
        self.added.append(at)


def _slot(at: dt.datetime) -> int:
    """A run's number: its hour since the epoch (every platform's run ids follow the time)."""
    return int(at.timestamp() // RUN_EVERY.total_seconds())


def _z(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def azure_logic_apps(now: dt.datetime) -> DemoPlatform:
    """Approved Zendesk refunds to NetSuite credit memos, through a workflow of that name."""
    tokens = azure.EntraTokenStandIn(tenant="halvard-tenant", clients=dict([AZURE_CLIENT]))
    workflow = "zendesk-refunds-to-netsuite-credit-memos"
    arm = azure.AzureLogicAppsStandIn(
        tokens=tokens,
        subscription="3c1e7a52-halvard",
        resource_group="rg-finance-integrations",
        workflows=[
            azure.workflow(workflow, subscription="3c1e7a52-halvard", group="rg-finance-integrations"),
            # Built in the portal for a quarter-end and never written down: discovery finds it.
            azure.workflow("svb-fx-rates-adhoc", subscription="3c1e7a52-halvard", group="rg-finance-integrations"),
        ],
        runs={workflow: []},
    )

    def add(at: dt.datetime, failed: bool) -> None:
        error = {"code": "ActionFailed", "message": "NetSuite rejected the credit memo: the invoice is fully credited"}
        start = at - dt.timedelta(seconds=95)
        arm.runs[workflow].append(
            azure.run(
                f"0858{int(at.timestamp())}",
                "Failed" if failed else "Succeeded",
                _z(start),
                _z(at),
                error=error if failed else None,
                workflow_name=workflow,
            )
        )

    return DemoPlatform("Azure Logic Apps", "azure-finance", [(arm, 18763), (tokens, 18764)], add, tokens.token_path)


def sap_integration_suite(now: dt.datetime) -> DemoPlatform:
    """Intercompany invoices from the acquired EMEA subsidiary's S/4HANA to NetSuite; failing for the last
    five hours: NetSuite refuses the subsidiary's new VAT code."""
    flow = "Intercompany_Invoices_S4_to_NetSuite"
    tenant = sap.SapIntegrationSuiteStandIn(
        clients=dict([SAP_CLIENT]),
        artifacts=[
            {"Id": flow, "Version": "1.4.2", "Name": "Intercompany invoices to NetSuite", "Type": "INTEGRATION_FLOW"},
            # Deployed by the subsidiary's partner, in no spec: discovery finds it.
            {
                "Id": "Vendor_Master_S4_to_Coupa",
                "Version": "1.0.0",
                "Name": "Vendor master to Coupa",
                "Type": "INTEGRATION_FLOW",
            },
        ],
    )

    def add(at: dt.datetime, failed: bool) -> None:
        ms = int(at.timestamp() * 1000)
        guid = f"AGm{ms:x}"
        tenant.logs.append(
            {
                "MessageGuid": guid,
                "CorrelationId": f"AGm{ms:x}-corr",
                "ApplicationMessageId": f"IC-{ms // 3_600_000 % 100000:05d}",
                "LogStart": sap.odata_date(ms - 4_000),
                "LogEnd": sap.odata_date(ms),
                "Sender": "S4HANA_EMEA",
                "Receiver": "NetSuite",
                "IntegrationFlowName": flow,
                "Status": "FAILED" if failed else "COMPLETED",
                "LogLevel": "INFO",
                "CustomStatus": "FAILED" if failed else "COMPLETED",
            }
        )
        if failed:
            tenant.errors[guid] = "NetSuite SOAP fault: Invalid taxcode reference key DE-VAT19-IC for subsidiary 7."

    platform = DemoPlatform("SAP Integration Suite", "sap-emea", [(tenant, 18761)], add, sap.TOKEN_PATH)
    platform.failing_since = now - dt.timedelta(hours=5)
    return platform


def informatica_idmc(now: dt.datetime) -> DemoPlatform:
    """Coupa spend to Snowflake, an Informatica mapping task the data team runs every hour."""
    task = "0001AB0Z000000000042"
    login = informatica.InformaticaStandIn(
        username=INFORMATICA_LOGIN[0],
        password=INFORMATICA_LOGIN[1],
        tasks={
            "MTT": [
                {"id": task, "name": "Coupa spend to Snowflake"},
                # Left from a proof of concept, still scheduled: discovery finds it.
                {"id": "0001AB0Z000000000077", "name": "POC Coupa suppliers to Snowflake"},
            ]
        },
    )

    def add(at: dt.datetime, failed: bool) -> None:
        n = _slot(at)  # ids follow the time, so a restarted demo serves the same runs under the same ids
        rows = 240 + n % 60
        login.log.insert(0, informatica.entry(f"{n}", task, at, run_id=n, rows=(rows, 0, rows, 0)))

    return DemoPlatform("Informatica IDMC", "informatica-data", [(login, 18765)], add, inner=[(login.pod, 18766)])


def airbyte_json(now: dt.datetime) -> DemoPlatform:
    """HubSpot contacts to Snowflake, an Airbyte Cloud connection read through `health.kind: json` (Airbyte's
    GET /v1/jobs, as docs/json-health.md describes it)."""
    api = json_runs.JsonRunsStandIn(runs=[], token=AIRBYTE_TOKEN, page_size=50)

    def add(at: dt.datetime, failed: bool) -> None:
        n = _slot(at)  # ids follow the time, so a restarted demo serves the same runs under the same ids
        rows = 1200 + n * 7 % 300
        api.runs.insert(  # newest first, as Airbyte lists them with orderBy=createdAt|DESC
            0,
            {
                "jobId": n,
                "status": "failed" if failed else "succeeded",
                "jobType": "sync",
                "startTime": _z(at - dt.timedelta(minutes=3)),
                "lastUpdatedAt": _z(at),
                "duration": "PT3M",
                "bytesSynced": rows * 512,
                "rowsSynced": rows,
            },
        )

    return DemoPlatform("Airbyte (a JSON run API)", "airbyte-cloud", [(api, 18767)], add)


PLATFORMS: list[Callable[[dt.datetime], DemoPlatform]] = [
    azure_logic_apps,
    sap_integration_suite,
    informatica_idmc,
    airbyte_json,
]


def history(platform: DemoPlatform, now: dt.datetime) -> None:
    """Runs on a RUN_EVERY grid over the last HISTORY, as if it had been running."""
    step = RUN_EVERY.total_seconds()
    first = int((now - HISTORY).timestamp() // step) + 1
    for slot in range(first, int(now.timestamp() // step) + 1):
        platform.run_at(dt.datetime.fromtimestamp(slot * step, tz=dt.UTC))


def serve(
    stop: threading.Event,
    *,
    now: Callable[[], dt.datetime],
    started: Callable[[DemoPlatform], None],
    fixed_ports: bool = True,
) -> None:
    """Start every demo platform, then add each run when its time comes until `stop` is set. Without
    `fixed_ports`, on any free ports (tests: the caller points the accounts at `platform.urls()`)."""
    platforms = [make(now()) for make in PLATFORMS]
    with ExitStack() as stack:
        for platform in platforms:
            history(platform, now())
            for server, port in platform.inner:
                server.port = port if fixed_ports else 0
            for server, port in platform.servers:
                server.port = port if fixed_ports else 0
                stack.enter_context(server)
            started(platform)
        while not stop.wait(timeout=30):
            for platform in platforms:
                due = platform.added[-1] + RUN_EVERY
                if now() >= due:
                    platform.run_at(due)
