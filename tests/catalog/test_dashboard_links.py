"""Every figure of the dashboard links to the list it counts, and that list shows the same number."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from catalog.choices import HealthState
from catalog.models import Integration
from catalog.rules.store import refresh_findings
from monitoring.models import HealthSource
from tests.conftest import EXAMPLE_ESTATE
from tests.monitoring.conftest import make_integration

pytestmark = pytest.mark.django_db

# A bar of includes/bars.html: its link, its label and its figure.
BAR = re.compile(r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th>.*?<td class="num">(\d+)</td>', re.S)


@pytest.fixture
def estate(db: Any) -> None:
    """The example estate, plus live monitored integrations in several states and a monitored one
    still being built (down, but not live: the dashboard's health counts only live ones)."""
    call_command("import_specs", str(EXAMPLE_ESTATE), verbosity=0)
    for key, state in [
        ("down-one", HealthState.DOWN),
        ("down-two", HealthState.DOWN),
        ("late-one", HealthState.LATE),
        ("up-one", HealthState.UP),
        ("paused-one", HealthState.PAUSED),
    ]:
        make_integration(key, kind="heartbeat")
        HealthSource.objects.filter(integration__key=key).update(state=state)
    make_integration("down-building", kind="heartbeat", lifecycle="building")
    HealthSource.objects.filter(integration__key="down-building").update(state=HealthState.DOWN)
    make_integration("not-watched", kind="none")
    refresh_findings()


def section(body: str, heading_id: str) -> str:
    start = body.index(f'id="{heading_id}"')
    return body[start : body.index("</section>", start)]


def bars_of(body: str, heading_id: str) -> list[tuple[str, str, int]]:
    return [(html.unescape(link), label, int(n)) for link, label, n in BAR.findall(section(body, heading_id))]


def listed_count(client: Client, link: str) -> int:
    """The number of rows the list at `link` says it holds."""
    response = client.get(link)
    assert response.status_code == 200, link
    body = response.content.decode()
    found = re.search(r"<p class=\"count\" role=\"status\">(\d+) ", body) or re.search(
        r"Export these (\d+) (?:findings )?as CSV", body
    )
    assert found, link
    return int(found.group(1))


def test_health_bars_open_the_health_board_filtered_by_their_state_among_live_integrations(estate, viewer):
    body = viewer.get("/").content.decode()
    bars = bars_of(body, "h-health")
    live = Integration.objects.filter(lifecycle="live")
    unwatched = live.count() - HealthSource.objects.filter(integration__in=live).count()
    assert [(label, n) for _, label, n in bars] == [
        ("down", 2),
        ("late", 1),
        ("up", 1),
        ("paused", 1),
        ("unmonitored", unwatched),
    ]
    assert bars[0][0] == "/health/?state=down&lifecycle=live"
    assert bars[-1][0] == "/integrations/?lifecycle=live&health=unmonitored"


@pytest.mark.parametrize("heading", ["h-health", "h-findings", "h-lifecycle", "h-connector", "h-missing"])
def test_each_bar_links_to_a_list_showing_its_figure(estate, viewer, heading):
    bars = bars_of(viewer.get("/").content.decode(), heading)
    assert bars
    for link, label, figure in bars:
        assert listed_count(viewer, link) == figure, (label, link)


def test_the_health_section_links_to_live_integrations_and_the_board(estate, viewer):
    health = section(viewer.get("/").content.decode(), "h-health")
    live = Integration.objects.filter(lifecycle="live").count()
    assert f'<a href="/integrations/?lifecycle=live">{live} live integrations</a>' in health
    assert 'href="/health/?lifecycle=live"' in health


def test_an_owners_critical_findings_link_to_them(estate, viewer):
    owners = section(viewer.get("/").content.decode(), "h-owners")
    critical = re.findall(r'<a href="(/findings/\?owner=[^"]+&amp;severity=critical)">(\d+)</a>', owners)
    assert critical
    for link, figure in critical:
        assert listed_count(viewer, html.unescape(link)) == int(figure)


def test_every_card_is_a_link(estate, viewer):
    body = viewer.get("/").content.decode()
    cards = body[body.index('<div class="cards">') : body.index("</div>\n\n")]
    assert cards.count('class="card"') == cards.count('<a class="card" href="') == 5
