"""/integrations/ answers "which are broken?": a health column that sorts worst first, a health
filter, the observed interval beside the declared one, and health and open findings in the CSV;
all read through catalog/health.py, with queries that do not grow with the page."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.choices import HealthState
from catalog.models import StoredFinding, Waiver
from catalog.rules.store import refresh_findings
from monitoring.models import HealthSource
from tests.monitoring.conftest import make_integration
from tests.pages.estate import bulk_integrations

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(estate: Any, client_for: Any) -> Client:
    """The page estate (two integrations, neither monitored) and monitored ones in three states."""
    for key, state in [("up-feed", HealthState.UP), ("down-feed", HealthState.DOWN), ("late-feed", HealthState.LATE)]:
        make_integration(key, kind="heartbeat", interval=15)
        HealthSource.objects.filter(integration__key=key).update(state=state)
    return client_for("viewer")


def keys_in(body: str) -> list[str]:
    return re.findall(r'<div class="key">([a-z0-9-]+)</div></th>', body)


def csv_rows(client: Client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_sorting_by_health_puts_the_worst_first_and_unmonitored_last(viewer):
    body = viewer.get("/integrations/?ordering=health").content.decode()
    assert keys_in(body)[:3] == ["down-feed", "late-feed", "up-feed"]
    assert set(keys_in(body)[3:]) == {"chargebee-invoices-to-netsuite", "shopify-orders-to-netsuite"}
    assert 'aria-sort="ascending"><a class="sort" href="?ordering=-health">Health' in body


def test_the_health_filter_narrows_to_one_state(viewer):
    body = viewer.get("/integrations/?health=down").content.decode()
    assert keys_in(body) == ["down-feed"]
    assert "1 integration match these filters." in body


def test_the_health_filter_finds_unmonitored_integrations(viewer):
    body = viewer.get("/integrations/?health=unmonitored").content.decode()
    assert sorted(keys_in(body)) == ["chargebee-invoices-to-netsuite", "shopify-orders-to-netsuite"]


def test_a_bad_health_value_is_a_400_naming_it(viewer):
    response = viewer.get("/integrations/?health=sideways")
    assert response.status_code == 400
    assert "<code>health</code>: Select a valid choice." in response.content.decode()


def test_the_observed_interval_shows_beside_the_declared_one(viewer):
    HealthSource.objects.filter(integration__key="late-feed").update(
        observed_median_minutes=42.5, observed_p95_minutes=60
    )
    body = viewer.get("/integrations/?q=late-feed").content.decode()
    assert '<th scope="col">Observed interval</th>' in body
    assert '42.5 min</span><div class="key">declared 15 min</div>' in body
    assert 'title="median over the last 7 days; p95 60 min"' in body
    up = viewer.get("/integrations/?q=up-feed").content.decode()
    assert "not observed (declared 15 min)" in up


def test_the_csv_carries_health_and_open_findings(viewer):
    refresh_findings()
    down_findings = StoredFinding.objects.filter(subject_type="integration", subject_key="down-feed")
    first = down_findings.first()
    assert first is not None
    Waiver.objects.create(
        code=first.code, subject_type="integration", subject_key="down-feed", reason="accepted", expires_on="2999-01-01"
    )
    rows = {row["key"]: row for row in csv_rows(viewer, "/integrations/?format=csv")}
    assert rows["down-feed"]["health"] == "down"
    assert rows["up-feed"]["health"] == "up"
    assert rows["shopify-orders-to-netsuite"]["health"] == "unmonitored"
    assert rows["down-feed"]["open_findings"] == str(down_findings.count() - 1)
    shopify = StoredFinding.objects.filter(subject_type="integration", subject_key="shopify-orders-to-netsuite")
    assert rows["shopify-orders-to-netsuite"]["open_findings"] == str(shopify.count()) != "0"


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("url", ["/integrations/?ordering=health", "/integrations/?health=unmonitored"])
def test_health_sorting_and_filtering_keep_the_query_count_flat(viewer, url):
    bulk_integrations(5, prefix="few")
    few = queries(viewer, url)
    bulk_integrations(45, prefix="many")
    many = queries(viewer, url)
    assert few == many
    assert many <= 12


def test_the_csv_query_count_is_flat(viewer):
    bulk_integrations(5, prefix="few")
    few = queries(viewer, "/integrations/?format=csv")
    bulk_integrations(45, prefix="many")
    assert queries(viewer, "/integrations/?format=csv") == few
