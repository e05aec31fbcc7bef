"""The phase-two register's runs done vs due and hours logged, the running cost on the dashboard and
system pages (in money with an hourly rate, in hours without), and their query counts staying flat."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.cost import estate_running_cost, system_running_cost
from catalog.models import Integration, System, WorkaroundRun
from catalog.rules.phase_two import register_totals
from catalog.workarounds.runs import cadence_for, confirm, register_tallies, register_window
from plumbline.settings import _hourly_rate
from tests.catalog.workaround_support import PERFORMER, deferred_integration

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


def confirm_runs(integration: Integration, *, skip: int, hours: float) -> list[dt.datetime]:
    """Confirm every run due in the register's window but the newest `skip`; returns the due times."""
    cadence = cadence_for(integration)
    assert cadence is not None
    now = timezone.now()
    tomorrow = cadence.day_start(cadence.local_day(now) + dt.timedelta(days=1))
    due = cadence.between(register_window(integration, now), tomorrow)
    for at in due[skip:]:
        confirm(integration, via="page", by=PERFORMER, hours=hours, due_at=at, now=at)
    return due


def test_the_register_counts_runs_done_against_due_since_deferral():
    # Weekly on Mondays, deferred 20 days ago: the Mondays since then are due (three or so).
    integration = deferred_integration(every="weekly", deferred_since=timezone.localdate() - dt.timedelta(days=20))
    due = confirm_runs(integration, skip=1, hours=1.5)
    since = timezone.now() - dt.timedelta(days=20)
    in_window = [at for at in due if at >= since.replace(hour=0, minute=0, second=0, microsecond=0)]
    assert in_window == due
    [tally] = register_tallies([integration], timezone.now()).values()
    assert tally.due == len(in_window) and tally.done == len(in_window) - 1
    assert tally.unconfirmed == 1
    assert tally.hours_logged == pytest.approx(1.5 * (len(in_window) - 1))
    assert tally.since == integration.deferred_since


def test_the_register_shows_runs_done_due_and_hours_logged(viewer: Client):
    integration = deferred_integration(every="0 9 * * *")
    due = confirm_runs(integration, skip=2, hours=0.5)
    body = viewer.get("/phase-two/").content.decode()
    assert f"{len(due) - 2} / {len(due)}" in body
    assert "2 not confirmed" in body
    assert f"{0.5 * (len(due) - 2):g} h" in body and "(6/month declared)" in body


def test_without_a_cadence_the_register_says_so(viewer: Client):
    deferred_integration(every="")
    assert "no cadence" in viewer.get("/phase-two/").content.decode()


def test_the_register_compares_workaround_and_build_cost_in_money_with_a_rate(viewer: Client, settings):
    settings.PLUMBLINE_HOURLY_RATE = 100.0
    deferred_integration(deferred_since=timezone.localdate() - dt.timedelta(days=365), build_estimate_hours=40)
    body = viewer.get("/phase-two/").content.decode()
    hours = register_totals(timezone.localdate())["hours_to_date"]
    assert 71 < hours < 73  # 6 h a month for a year
    assert f"Workarounds have cost <strong>USD {hours * 100:,.0f}</strong> to date" in body
    assert "estimated at <strong>USD 4,000</strong>" in body


def test_the_register_compares_in_hours_without_a_rate(viewer: Client, settings):
    settings.PLUMBLINE_HOURLY_RATE = None
    deferred_integration(deferred_since=timezone.localdate() - dt.timedelta(days=365), build_estimate_hours=40)
    body = viewer.get("/phase-two/").content.decode()
    assert "Workarounds have cost <strong>72 h</strong> to date" in body
    assert "estimated at <strong>40 h</strong>" in body and "Set PLUMBLINE_HOURLY_RATE" in body


def costed_estate() -> System:
    netsuite = System.objects.create(key="netsuite", name="NetSuite")
    salesforce = System.objects.create(key="salesforce", name="Salesforce")
    Integration.objects.create(
        key="a", source=salesforce, target=netsuite, cost_licence_per_month=450, cost_maintenance_hours_per_month=3
    )
    Integration.objects.create(key="b", source=netsuite, target=salesforce, cost_licence_per_month=100.5)
    Integration.objects.create(key="c", cost_maintenance_hours_per_month=2)  # neither system
    Integration.objects.create(key="gone", lifecycle="retired", target=netsuite, cost_licence_per_month=999)
    deferred_integration(key="d", target=netsuite)  # 6 workaround hours a month
    return netsuite


def test_running_cost_is_licences_plus_hours_at_the_rate(settings):
    settings.PLUMBLINE_HOURLY_RATE = 80.0
    netsuite = costed_estate()
    by_lifecycle, estate = estate_running_cost()
    assert by_lifecycle == {"live": 3, "retired": 1, "planned": 1}
    assert (estate.licence, estate.maintenance_hours, estate.workaround_hours) == (550.5, 5.0, 6.0)
    assert estate.total == pytest.approx(550.5 + 11 * 80)
    assert (estate.integrations, estate.with_cost) == (4, 3)
    system = system_running_cost(netsuite)
    assert (system.licence, system.hours, system.total) == (550.5, 9.0, pytest.approx(550.5 + 9 * 80))


def test_without_a_rate_the_hours_are_not_priced(settings):
    settings.PLUMBLINE_HOURLY_RATE = None
    costed_estate()
    assert estate_running_cost()[1].total is None


def test_the_dashboard_and_system_page_show_the_running_cost(viewer: Client, settings):
    settings.PLUMBLINE_HOURLY_RATE = 80.0
    settings.PLUMBLINE_CURRENCY = "EUR"
    costed_estate()
    dashboard = viewer.get("/").content.decode()
    assert re.search(r'id="running-cost-total">EUR 1,430</div>', dashboard)  # 550.5 + 11 h x 80
    system = viewer.get("/systems/netsuite/").content.decode()
    assert re.search(r'id="running-cost-total">EUR 1,270</div>', system)  # 550.5 + 9 h x 80
    settings.PLUMBLINE_HOURLY_RATE = None
    dashboard = viewer.get("/").content.decode()
    assert re.search(r'id="running-cost-total">EUR 550 \+ 11 h</div>', dashboard)
    assert "set PLUMBLINE_HOURLY_RATE" in dashboard


def test_a_system_with_no_costed_integration_says_so(viewer: Client):
    System.objects.create(key="bare", name="Bare")
    assert "declares a cost yet" in viewer.get("/systems/bare/").content.decode()


def grow(count: int, prefix: str) -> None:
    for n in range(count):
        integration = deferred_integration(key=f"{prefix}-{n:03d}", every="0 9 * * 1-5", cost_licence_per_month=10)
        confirm_runs(integration, skip=n % 3, hours=1.0)


def queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/", "/phase-two/", "/systems/netsuite/"])
def test_query_count_does_not_grow_with_workarounds_and_their_runs(viewer: Client, path):
    System.objects.create(key="netsuite", name="NetSuite")
    grow(2, "a")
    small = queries(viewer, path)
    grow(12, "b")
    assert WorkaroundRun.objects.count() > 500
    assert queries(viewer, path) == small <= MAX_QUERIES


def test_the_register_csv_appends_runs_due_done_and_hours_logged(viewer: Client):
    integration = deferred_integration(every="0 9 * * *")
    due = confirm_runs(integration, skip=1, hours=0.25)
    rows = list(csv.DictReader(io.StringIO(viewer.get("/phase-two/?format=csv").content.decode())))
    [row] = rows
    assert list(row)[-4:] == ["runs_since", "runs_due", "runs_done", "hours_logged"]
    assert (row["runs_due"], row["runs_done"]) == (str(len(due)), str(len(due) - 1))
    assert float(row["hours_logged"]) == pytest.approx(0.25 * (len(due) - 1))
    assert row["runs_since"] == integration.deferred_since.isoformat()


@pytest.mark.parametrize(("raw", "expected"), [("", None), ("85", 85.0), ("0", 0.0), (" 72.5 ", 72.5)])
def test_the_hourly_rate_setting_reads_a_number(raw, expected):
    assert _hourly_rate(raw) == expected


@pytest.mark.parametrize("raw", ["-5", "nan", "inf", "eighty"])
def test_an_hourly_rate_that_is_no_price_stops_start_up(raw):
    with pytest.raises(ValueError, match="PLUMBLINE_HOURLY_RATE must be a number, 0 or more"):
        _hourly_rate(raw)
