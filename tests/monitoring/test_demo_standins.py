"""The demo's newer platforms answer from stand-ins on 127.0.0.1 (monitoring/demo_standins.py): their
integrations are really polled and discovered, as bin/run's worker polls them, never from the internet."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.core.management import call_command

from catalog.models import Integration, PlatformAccount
from monitoring.demo import seed_demo_health
from monitoring.demo_standins import ACCOUNTS, CREDENTIALS, PLATFORMS, RUN_EVERY, DemoPlatform, serve
from monitoring.health.readers import undocumented
from monitoring.ingest.discovery import discover_platforms
from monitoring.ingest.polling import poll_source
from monitoring.models import HealthSource, Run

pytestmark = pytest.mark.django_db

DEMO_STANDIN_INTEGRATIONS = {
    "zendesk-refunds-to-netsuite-credit-memos": "up",
    "coupa-spend-to-snowflake": "up",
    "hubspot-contacts-to-snowflake": "up",
    # Failing for five hours: NetSuite refuses the subsidiary's new VAT code.
    "s4hana-intercompany-invoices-to-netsuite": "failing",
}


@contextmanager
def serving(now: Callable[[], dt.datetime]) -> Iterator[list[DemoPlatform]]:
    """The demo's stand-ins on free ports (bin/run's use fixed ones, which the demo specs name), the demo's
    accounts pointed at them."""
    stop, ready, platforms = threading.Event(), threading.Event(), []

    def started(platform: DemoPlatform) -> None:
        platforms.append(platform)
        if len(platforms) == len(PLATFORMS):
            ready.set()

    kwargs = {"now": now, "started": started, "fixed_ports": False}
    thread = threading.Thread(target=serve, args=(stop,), kwargs=kwargs)
    thread.start()
    try:
        assert ready.wait(10), platforms
        for platform in platforms:
            base_url, token_url = platform.urls()
            PlatformAccount.objects.filter(key=platform.account).update(base_url=base_url, token_url=token_url)
        yield platforms
    finally:
        stop.set()
        thread.join(60)


@pytest.fixture
def demo(settings, monkeypatch) -> None:
    settings.PLUMBLINE_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    call_command("seed_demo", verbosity=0)


@pytest.fixture
def standins(demo) -> Iterator[list[DemoPlatform]]:
    with serving(lambda: dt.datetime.now(dt.UTC)) as platforms:
        yield platforms


def test_the_demo_accounts_name_the_ports_bin_run_serves_the_standins_on(standins):
    call_command("seed_demo", verbosity=0)  # puts the specs' base_url and token_url back
    specs = {a.key: (a.base_url, a.token_url) for a in PlatformAccount.objects.filter(key__in=ACCOUNTS)}
    fixed = {}
    for make in PLATFORMS:
        platform = make(dt.datetime.now(dt.UTC))
        base = f"http://127.0.0.1:{platform.servers[0][1]}"
        token = f"http://127.0.0.1:{platform.servers[-1][1]}{platform.token_path}" if platform.token_path else ""
        fixed[platform.account] = (base, token)
    assert specs == fixed
    assert {platform.account for platform in standins} == ACCOUNTS


def test_each_demo_standin_integration_is_polled_from_127_0_0_1_with_two_days_of_runs(standins):
    seed_demo_health()
    integrations = Integration.objects.filter(key__in=DEMO_STANDIN_INTEGRATIONS)
    assert set(integrations.values_list("health_account__key", flat=True)) == ACCOUNTS
    # Never given made-up history: what they show comes from the polls below.
    assert not Run.objects.filter(integration__in=integrations).exists()
    expected_runs = int(dt.timedelta(hours=48) / RUN_EVERY)
    for integration in integrations:
        outcome = poll_source(integration.pk)
        assert (integration.key, outcome.error) == (integration.key, "")
        assert Run.objects.filter(integration=integration).count() == expected_runs
    states = dict(HealthSource.objects.filter(integration__in=integrations).values_list("integration__key", "state"))
    assert states == DEMO_STANDIN_INTEGRATIONS


def test_a_restarted_demo_serves_the_same_runs_and_polls_go_on_from_where_they_were(demo):
    """bin/run restarts the stand-ins with two days of history: run ids follow the time, so each
    integration's cursor still points at a run the stand-in has, and the next hour's run is its only new one."""
    seed_demo_health()
    integrations = Integration.objects.filter(key__in=DEMO_STANDIN_INTEGRATIONS)
    with serving(lambda: dt.datetime.now(dt.UTC)):
        for integration in integrations:
            first = poll_source(integration.pk)
            assert (first.error, first.recorded and first.recorded.new_runs) == ("", 48)
    before = Run.objects.count()
    an_hour_on = dt.datetime.now(dt.UTC) + RUN_EVERY
    with serving(lambda: an_hour_on):  # restarted an hour later: its history has one run more
        outcomes = {i.key: poll_source(i.pk) for i in integrations}
    assert {key: (o.error, o.recorded and o.recorded.new_runs) for key, o in outcomes.items()} == dict.fromkeys(
        DEMO_STANDIN_INTEGRATIONS, ("", 1)
    )
    assert Run.objects.count() == before + len(DEMO_STANDIN_INTEGRATIONS)


def test_discovery_finds_what_the_demo_standins_run_that_no_spec_describes(standins):
    report = discover_platforms()
    assert not ACCOUNTS & set(report.errors)  # (the demo's other accounts have no credentials set here)
    observed = {(c.account.key, c.ref) for c in undocumented().select_related("account") if c.account}
    assert {
        ("azure-finance", "svb-fx-rates-adhoc"),
        ("sap-emea", "Vendor_Master_S4_to_Coupa"),
        ("informatica-data", "0001AB0Z000000000077"),
    } <= observed
