"""A graph that scales: a large whole-estate view is drawn as one edge per pair of systems (count,
worst health, categories as clusters, linked to the integrations behind it); a focus draws each
integration; a failed drawing is cached and says what to do."""

from __future__ import annotations

import re
import stat
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from catalog.graph.aggregate import AGGREGATE_ABOVE_EDGES, pairs, worst_health
from catalog.graph.build import to_dot
from catalog.graph.model import UNMONITORED, Estate, IntegrationEdge, SystemNode
from catalog.graph.render import run_dot, safe_svg
from catalog.graph.style import GREY, HEALTH_COLOURS
from catalog.graph.view import GraphFilter, select
from catalog.models import Integration, Person, System

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
HOSTILE = '<script>alert(1)</script>"q"\\N{b}&amp;&'
NOT_FLOWING = frozenset({"planned", "retired"})


def parse(svg: str | bytes) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output; parsing it is the test)


def by_id(root: ET.Element, element_id: str) -> ET.Element:
    found = root.find(f".//*[@id='{element_id}']")
    assert found is not None, element_id
    return found


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def edge(number: int, source: int | None, target: int, **kw: Any) -> IntegrationEdge:
    return IntegrationEdge(
        number, kw.pop("key", f"i-{number:04d}"), kw.pop("name", f"I {number}"), source, target, **kw
    )


def large_estate(extra: list[IntegrationEdge] | None = None) -> Estate:
    """ERP 1 with CRM 2 (many integrations), billing 3 and a hostile system 4: one more than the
    aggregation threshold, mostly from the CRM to the ERP."""
    systems = {
        1: SystemNode(1, "erp", "ERP", "erp"),
        2: SystemNode(2, "crm", "CRM", "crm"),
        3: SystemNode(3, "billing", "Billing", "billing"),
        4: SystemNode(4, "evil", HOSTILE, "crm"),
    }
    extra = extra or []
    filler = [edge(100 + n, 2, 1, health="up") for n in range(AGGREGATE_ABOVE_EDGES + 1 - len(extra))]
    return Estate(systems=systems, integrations=[*extra, *filler])


# --- the decisions ------------------------------------------------------------------------------


def test_worst_health_puts_down_before_failing_late_and_up() -> None:
    assert worst_health(["up", "late", "down", "failing"]) == "down"
    assert worst_health(["up", UNMONITORED, "late"]) == "late"
    assert worst_health(["up", UNMONITORED]) == "up"
    assert worst_health([]) == ""


def test_pairs_count_the_integrations_of_each_source_target_pair_in_each_direction() -> None:
    edges = [edge(1, 2, 1), edge(2, 2, 1), edge(3, 1, 2), edge(4, 3, 1), edge(5, None, 1)]
    counted = {(p.source_id, p.target_id): p.count for p in pairs(edges, NOT_FLOWING)}
    assert counted == {(2, 1): 2, (1, 2): 1, (3, 1): 1}


def test_pair_health_is_the_worst_of_the_integrations_that_move_data() -> None:
    edges = [
        edge(1, 2, 1, health="up"),
        edge(2, 2, 1, health="late"),
        edge(3, 2, 1, health="down", lifecycle="planned"),  # moves nothing: not counted
    ]
    (pair,) = pairs(edges, NOT_FLOWING)
    assert pair.health == "late"
    assert pair.health_counts() == [("late", 1), ("up", 1)]


def test_a_pair_of_only_planned_integrations_has_no_health() -> None:
    (pair,) = pairs([edge(1, 2, 1, lifecycle="planned", health="down")], NOT_FLOWING)
    assert pair.health == "" and pair.flowing_health == ()


def test_whole_estate_above_the_threshold_is_aggregated() -> None:
    assert select(large_estate(), GraphFilter()).aggregated


def test_whole_estate_at_the_threshold_is_drawn_in_detail() -> None:
    estate = large_estate()
    estate.integrations = estate.integrations[:AGGREGATE_ABOVE_EDGES]
    assert not select(estate, GraphFilter()).aggregated


def test_a_focus_is_drawn_in_detail_however_many_integrations() -> None:
    view = select(large_estate(), GraphFilter(system="crm"))
    assert len(view.integrations) > AGGREGATE_ABOVE_EDGES and not view.aggregated


# --- the aggregated drawing (real dot) -------------------------------------------------------------


@pytest.fixture
def aggregated_svg() -> ET.Element:
    estate = large_estate(
        [
            edge(1, 3, 1, health="up", name="Invoices"),
            edge(2, 3, 1, health="down", name="Payments"),
            edge(3, 1, 3, lifecycle="planned", health="up"),
            edge(4, 4, 1, health="failing", name=HOSTILE),
        ]
    )
    view = select(estate, GraphFilter(lifecycle="", gaps=False))
    return parse(safe_svg(run_dot(to_dot(view), "svg"), title=view.title))


def edge_colour(group: ET.Element) -> str:
    path = group.find(f".//{SVG}path")
    assert path is not None
    return path.get("stroke", "")


def test_aggregated_drawing_has_one_edge_per_pair_labelled_with_its_count(aggregated_svg: ET.Element) -> None:
    pair_ids = {e.get("id") for e in aggregated_svg.iter(f"{SVG}g") if e.get("id", "").startswith("pair-")}
    assert pair_ids == {"pair-crm-to-erp", "pair-billing-to-erp", "pair-erp-to-billing", "pair-evil-to-erp"}
    assert texts(by_id(aggregated_svg, "pair-crm-to-erp")) == [str(AGGREGATE_ABOVE_EDGES + 1 - 4)]
    assert texts(by_id(aggregated_svg, "pair-billing-to-erp")) == ["2"]
    assert not any(e.get("id", "").startswith("integration-") for e in aggregated_svg.iter(f"{SVG}g"))


def test_aggregated_edge_is_coloured_by_the_worst_health_behind_it(aggregated_svg: ET.Element) -> None:
    assert edge_colour(by_id(aggregated_svg, "pair-billing-to-erp")) == HEALTH_COLOURS["down"]
    assert edge_colour(by_id(aggregated_svg, "pair-crm-to-erp")) == HEALTH_COLOURS["up"]
    assert edge_colour(by_id(aggregated_svg, "pair-erp-to-billing")) == GREY  # only planned


def test_aggregated_edge_links_to_the_integration_list_of_its_pair(aggregated_svg: ET.Element) -> None:
    link = by_id(aggregated_svg, "pair-billing-to-erp").find(f".//{SVG}a")
    assert link is not None
    assert link.get(f"{XLINK}href") == "/integrations/?source=billing&target=erp"
    title = link.find(f"{SVG}title")
    assert title is not None and title.text is not None
    assert title.text.startswith("2 integrations: Billing → ERP\nHealth: 1 down, 1 up\n")
    assert "Invoices" in title.text and "Payments" in title.text


def test_aggregated_drawing_groups_systems_in_one_cluster_per_category(aggregated_svg: ET.Element) -> None:
    crm = by_id(aggregated_svg, "category-crm")
    assert texts(crm) == ["CRM"]  # the cluster's own label
    assert {e.get("id") for e in aggregated_svg.iter(f"{SVG}g") if e.get("id", "").startswith("category-")} == {
        "category-erp",
        "category-crm",
        "category-billing",
    }


def test_hostile_names_in_an_aggregated_drawing_are_exactly_their_text(aggregated_svg: ET.Element) -> None:
    assert texts(by_id(aggregated_svg, "system-evil")) == [HOSTILE]
    title = by_id(aggregated_svg, "pair-evil-to-erp").find(f".//{SVG}a/{SVG}title")
    assert title is not None and title.text is not None
    assert title.text.splitlines()[:3] == [f"1 integration: {HOSTILE} → ERP", "Health: 1 failing", HOSTILE]
    assert not list(aggregated_svg.iter(f"{SVG}script")) and not list(aggregated_svg.iter("script"))


def test_aggregated_edge_carries_the_filters_the_integration_list_has() -> None:
    view = select(large_estate(), GraphFilter(lifecycle="live"))
    assert view.aggregated
    assert '"/integrations/?source=crm&amp;target=erp&amp;lifecycle=live"' in to_dot(view)
    narrowed = GraphFilter(owner="ana@example.com", connector="ipaas", gaps=True, health="down", golive="g")
    assert narrowed.integration_list_params() == {
        "owner": "ana@example.com",
        "connector_type": "ipaas",
        "complete": "false",
    }


# --- the page ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def graph_cache(settings: Any, tmp_path: Path) -> Path:
    settings.PLUMBLINE_GRAPH_CACHE_DIR = tmp_path / "graph-cache"
    return Path(settings.PLUMBLINE_GRAPH_CACHE_DIR)


def store_large_estate(settings: Any) -> None:
    """More integrations than the aggregation threshold, drawn inline (no worker in these tests)."""
    ana = Person.objects.create(email="ana@example.com", name="Ana")
    erp = System.objects.create(key="erp", name="ERP", category="erp", owner=ana)
    crm = System.objects.create(key="crm", name="CRM", category="crm", owner=ana)
    evil = System.objects.create(key="evil", name=HOSTILE, category="other", owner=ana)
    rows = [Integration(key=f"crm-{n:03d}", name=f"CRM {n}", source=crm, target=erp) for n in range(400)]
    rows.append(Integration(key="evil-1", name=HOSTILE, source=evil, target=erp))
    Integration.objects.bulk_create(rows)
    settings.PLUMBLINE_GRAPH_INLINE_MAX = 10_000


@pytest.mark.django_db
def test_the_page_says_the_view_is_aggregated_and_how_to_see_detail(viewer: Client, settings: Any) -> None:
    store_large_estate(settings)
    response = viewer.get("/graph/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Aggregated view." in html and "401 integrations are drawn as 2 edges" in html
    assert "focus on a system (the System field) to see each integration" in html
    assert 'id="pair-crm-to-erp"' in html
    assert "<script>alert" not in html


@pytest.mark.django_db
def test_the_list_behind_an_aggregated_edge_is_exactly_its_integrations(viewer: Client, settings: Any) -> None:
    store_large_estate(settings)
    html = viewer.get("/graph/").content.decode()
    (href,) = re.findall(r'id="pair-evil-to-erp".*?xlink:href="([^"]+)"', html, re.S)[:1]
    listing = viewer.get(href.replace("&amp;", "&"))
    assert listing.status_code == 200
    keys = set(re.findall(r'href="/integrations/([a-z0-9-]+)/"', listing.content.decode()))
    assert keys == {"evil-1"}


@pytest.mark.django_db
def test_a_focused_page_draws_each_integration(viewer: Client, settings: Any) -> None:
    store_large_estate(settings)
    html = viewer.get("/graph/?system=evil").content.decode()
    assert 'id="integration-evil-1"' in html and "Aggregated view." not in html


@pytest.fixture
def failing_dot(tmp_path: Path, settings: Any) -> Path:
    """A dot that counts its runs in a file and fails."""
    runs = tmp_path / "runs"
    script = tmp_path / "dot"
    script.write_text(f"#!/bin/sh\necho run >> {runs}\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    settings.PLUMBLINE_DOT = str(script)
    return runs


@pytest.mark.django_db
def test_a_failed_drawing_is_cached_and_says_what_to_do(
    viewer: Client, settings: Any, failing_dot: Path, stored_estate: Any
) -> None:
    first = viewer.get("/graph/")
    second = viewer.get("/graph/")
    assert (first.status_code, second.status_code) == (503, 503)
    assert failing_dot.read_text().count("run") == 1  # the second visit did not run dot again
    html = second.content.decode()
    assert "Graphviz failed (exit 1): Error: syntax error in line 1" in html
    assert "Focus on one system" in html and "This view will be drawn again if asked for in 5 minutes" in html
    assert 0 < int(second["Retry-After"]) <= 300


@pytest.mark.django_db
def test_a_failed_drawing_is_tried_again_once_its_time_is_up(
    viewer: Client, settings: Any, failing_dot: Path, stored_estate: Any
) -> None:
    settings.PLUMBLINE_GRAPH_FAILURE_SECONDS = 0
    viewer.get("/graph/")
    viewer.get("/graph/")
    assert failing_dot.read_text().count("run") == 2


@pytest.mark.django_db
def test_a_failed_download_is_cached_with_retry_after(
    viewer: Client, settings: Any, failing_dot: Path, stored_estate: Any
) -> None:
    responses = [viewer.get("/graph/estate.png") for _ in range(2)]
    assert [r.status_code for r in responses] == [503, 503]
    assert failing_dot.read_text().count("run") == 1
    assert b"Focus on a system" in responses[1].content and int(responses[1]["Retry-After"]) > 0


@pytest.mark.django_db
def test_a_user_without_a_role_gets_no_pending_drawing(client: Client, settings: Any, graph_cache: Path) -> None:
    store_large_estate(settings)
    settings.PLUMBLINE_GRAPH_INLINE_MAX = 0
    client.force_login(User.objects.create_user("norole@example.com", "norole@example.com"))
    assert client.get("/graph/").status_code == 403
    assert client.get("/graph/estate.svg").status_code == 403
    assert not list(graph_cache.glob("claim-*"))
