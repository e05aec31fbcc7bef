"""/graph/ and its downloads, the render cache, and `manage.py draw_graph`, with the real `dot`."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Case, CharField, IntegerField, Value, When
from django.test import Client

from catalog import health
from catalog.choices import HealthState
from catalog.graph import drawing
from catalog.models import GoLive, GoLiveIntegration, Integration, Person, System

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
HOSTILE = '<script>alert(1)</script>"q"\\N{b}&amp;&'


@pytest.fixture(autouse=True)
def graph_cache(settings: Any, tmp_path: Path) -> Path:
    settings.PLUMBLINE_GRAPH_CACHE_DIR = tmp_path / "graph-cache"
    return Path(settings.PLUMBLINE_GRAPH_CACHE_DIR)


@pytest.fixture
def states(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Health states by integration key, read through catalog.health as monitoring would serve them."""
    by_key: dict[str, str] = {}

    def read(ids: Any) -> dict[int, health.HealthFacts]:
        keys = dict(Integration.objects.filter(id__in=list(ids)).values_list("id", "key"))
        return {i: health.HealthFacts(kind="heartbeat", state=by_key[k]) for i, k in keys.items() if k in by_key}

    def annotate(integrations: Any) -> Any:
        """The same states in the database, as monitoring's annotator reads them (the graph's version)."""
        states = [When(key=k, then=Value(s)) for k, s in by_key.items()]
        ranks = [When(key=k, then=Value(health.WORST_FIRST.index(HealthState(s)))) for k, s in by_key.items()]
        return integrations.annotate(
            health_state=Case(*states, default=Value(None), output_field=CharField()),
            health_rank=Case(*ranks, default=Value(health.UNMONITORED_RANK), output_field=IntegerField()),
        )

    monkeypatch.setattr(health, "_health_reader", read)
    monkeypatch.setattr(health, "_health_annotator", annotate)
    monkeypatch.setattr(health, "_observed_reader", list)
    return by_key


@pytest.fixture
def estate(states: dict[str, str]) -> dict[str, System]:
    ana = Person.objects.create(email="ana@example.com", name="Ana Lopez")
    raj = Person.objects.create(email="raj@example.com", name="Raj Patel")
    systems = {
        key: System.objects.create(key=key, name=name, category=category, owner=ana)
        for key, name, category in [
            ("netsuite", "NetSuite", "erp"),
            ("salesforce", "Salesforce", "crm"),
            ("snowflake", "Snowflake", "data-warehouse"),
            ("adp", "ADP", "payroll"),
            ("evil", HOSTILE, "other"),
        ]
    }

    def integration(key: str, source: str, target: str, **kw: Any) -> Integration:
        return Integration.objects.create(
            key=key, name=kw.pop("name", key), source=systems[source], target=systems[target], **kw
        )

    integration(
        "salesforce-to-netsuite",
        "salesforce",
        "netsuite",
        owner=raj,
        data_objects=["customer"],
        health_kind="heartbeat",
    )
    gl = integration("netsuite-to-snowflake", "netsuite", "snowflake", owner=ana, data_objects=["journal-entry"])
    integration("adp-to-netsuite", "adp", "netsuite", phase="phase-two", completeness_missing=",mappings,")
    integration("evil-to-netsuite", "evil", "netsuite", name=HOSTILE, data_objects=[HOSTILE])
    golive = GoLive.objects.create(key="go-2027", name="Go-live 2027")
    GoLiveIntegration.objects.create(golive=golive, integration=gl)
    states["salesforce-to-netsuite"] = "up"
    return systems


def test_a_user_without_a_role_may_not_see_the_graph(client: Client, estate: Any) -> None:
    client.force_login(User.objects.create_user("norole@example.com", "norole@example.com"))
    assert client.get("/graph/").status_code == 403
    assert client.get("/graph/estate.dot").status_code == 403


@pytest.fixture
def dot_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts real dot runs (the formats asked for)."""
    runs: list[str] = []
    real = drawing.run_dot

    def counting(source: str, fmt: str, **kw: Any) -> bytes:
        runs.append(fmt)
        return real(source, fmt, **kw)

    monkeypatch.setattr(drawing, "run_dot", counting)
    return runs


def parse(svg: str | bytes) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output; parsing it is the test)


def inline_svg(html: str) -> ET.Element:
    """The <svg> element inlined in the page, parsed as XML (it must be well-formed)."""
    match = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert match, "no inline svg"
    return parse(match.group(0))


def system_ids(root: ET.Element) -> set[str]:
    return {e.get("id", "") for e in root.iter(f"{SVG}g") if e.get("id", "").startswith("system-")}


def links(root: ET.Element) -> set[str]:
    """Where the links go (an <a> with no href only carries a tooltip, e.g. on a platform hub)."""
    return {a.get(f"{XLINK}href", "") for a in root.iter(f"{SVG}a")} - {""}


# --- the page ----------------------------------------------------------------------------------


def test_graph_page_needs_a_login(client: Client) -> None:
    response = client.get("/graph/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_downloads_need_a_login(client: Client) -> None:
    assert client.get("/graph/estate.svg").status_code == 302


def test_graph_page_inlines_an_svg_with_every_system(viewer: Client, estate: dict[str, System]) -> None:
    response = viewer.get("/graph/")
    assert response.status_code == 200
    assert system_ids(inline_svg(response.content.decode())) == {f"system-{key}" for key in estate}


def test_every_system_and_integration_links_to_its_page(viewer: Client, estate: dict[str, System]) -> None:
    root = inline_svg(viewer.get("/graph/").content.decode())
    expected = {f"/systems/{key}/" for key in estate} | {
        f"/integrations/{key}/" for key in Integration.objects.values_list("key", flat=True)
    }
    assert links(root) == expected


def test_hostile_names_are_inert_on_the_page(viewer: Client, estate: dict[str, System]) -> None:
    html = viewer.get("/graph/").content.decode()
    assert "<script>alert" not in html
    root = inline_svg(html)
    node = root.find(".//*[@id='system-evil']")
    assert node is not None
    assert [t.text for t in node.iter(f"{SVG}text")] == [HOSTILE]
    assert not [e for e in root.iter() if str(e.tag).endswith("script")]


@pytest.mark.parametrize("query", ["?system=evil", "?blast=evil", "?system=evil&hubs=1"])
def test_hostile_names_are_inert_in_every_view(viewer: Client, estate: dict[str, System], query: str) -> None:
    html = viewer.get(f"/graph/{query}").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_focus_on_a_system_draws_its_neighbours_only(viewer: Client, estate: dict[str, System]) -> None:
    root = inline_svg(viewer.get("/graph/?system=salesforce&depth=1").content.decode())
    assert system_ids(root) == {"system-salesforce", "system-netsuite"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("owner=raj@example.com", {"system-salesforce", "system-netsuite"}),
        ("golive=go-2027", {"system-netsuite", "system-snowflake"}),
        ("lifecycle=live&connector=&health=up", {"system-salesforce", "system-netsuite"}),
        ("gaps=1", {"system-adp", "system-netsuite"}),
    ],
)
def test_filters_narrow_the_drawing(viewer: Client, estate: dict[str, System], query: str, expected: set[str]) -> None:
    response = viewer.get(f"/graph/?{query}")
    assert response.status_code == 200
    assert system_ids(inline_svg(response.content.decode())) == expected


def test_submitting_the_form_with_every_filter_empty_draws_the_whole_estate(
    viewer: Client, estate: dict[str, System]
) -> None:
    response = viewer.get("/graph/?system=&depth=&owner=&golive=&lifecycle=&connector=&health=&blast=")
    assert response.status_code == 200
    assert system_ids(inline_svg(response.content.decode())) == {f"system-{key}" for key in estate}


def test_unknown_filter_is_a_400_naming_it(viewer: Client, estate: dict[str, System]) -> None:
    response = viewer.get("/graph/?colour=red")
    assert response.status_code == 400
    assert "colour" in response.content.decode()


@pytest.mark.parametrize("query", ["system=nope", "depth=0", "lifecycle=zombie", "owner=x@example.com", "blast=nope"])
def test_bad_filter_value_is_a_400(viewer: Client, estate: dict[str, System], query: str) -> None:
    assert viewer.get(f"/graph/?{query}").status_code == 400


def test_blast_radius_is_drawn_and_listed(viewer: Client, estate: dict[str, System]) -> None:
    response = viewer.get("/graph/?blast=salesforce")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["summary"]["blast"]["systems"] == [
        {
            "key": "netsuite",
            "name": "NetSuite",
            "hops": 1,
            "via": [{"key": "salesforce-to-netsuite", "name": "salesforce-to-netsuite"}],
        },
        {
            "key": "snowflake",
            "name": "Snowflake",
            "hops": 2,
            "via": [{"key": "netsuite-to-snowflake", "name": "netsuite-to-snowflake"}],
        },
    ]
    assert 'href="/systems/snowflake/"' in html
    assert "Blast radius of" in html


def test_failing_dot_is_an_error_page_not_a_500(viewer: Client, estate: dict[str, System], settings: Any) -> None:
    settings.PLUMBLINE_DOT = "/nonexistent/dot"
    response = viewer.get("/graph/")
    assert response.status_code == 503
    assert "could not be drawn" in response.content.decode()


def test_failing_dot_on_download_is_a_503_with_the_reason(
    viewer: Client, estate: dict[str, System], settings: Any
) -> None:
    settings.PLUMBLINE_DOT = "/nonexistent/dot"
    response = viewer.get("/graph/estate.png")
    assert response.status_code == 503
    assert b"could not be started" in response.content


# --- downloads ---------------------------------------------------------------------------------


def test_svg_download_is_a_standalone_svg_with_every_system(viewer: Client, estate: dict[str, System]) -> None:
    response = viewer.get("/graph/estate.svg")
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"] == 'attachment; filename="plumbline-estate.svg"'
    assert system_ids(parse(response.content)) == {f"system-{key}" for key in estate}


def test_png_download_is_a_png(viewer: Client, estate: dict[str, System]) -> None:
    response = viewer.get("/graph/estate.png?system=netsuite")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="plumbline-estate-netsuite.png"'
    assert response.content.startswith(b"\x89PNG")


def test_dot_download_is_the_dot_source(viewer: Client, estate: dict[str, System]) -> None:
    response = viewer.get("/graph/estate.dot")
    assert response.content.startswith(b"digraph estate {")
    assert b'id="system-netsuite"' in response.content


def test_unknown_download_format_is_a_404(viewer: Client, estate: dict[str, System]) -> None:
    assert viewer.get("/graph/estate.pdf").status_code == 404


def test_download_links_keep_the_filters(viewer: Client, estate: dict[str, System]) -> None:
    html = viewer.get("/graph/?system=netsuite&depth=2&hubs=on").content.decode()
    assert 'href="/graph/estate.svg?system=netsuite&amp;depth=2&amp;hubs=1"' in html


# --- caching -----------------------------------------------------------------------------------


def test_a_repeat_visit_runs_no_dot(viewer: Client, estate: dict[str, System], dot_runs: list[str]) -> None:
    viewer.get("/graph/")
    viewer.get("/graph/")
    assert dot_runs == ["svg"]


def test_cached_svg_serves_the_download_too(viewer: Client, estate: dict[str, System], dot_runs: list[str]) -> None:
    viewer.get("/graph/")
    viewer.get("/graph/estate.svg")
    assert dot_runs == ["svg"]


def test_renaming_a_system_redraws(viewer: Client, estate: dict[str, System], dot_runs: list[str]) -> None:
    viewer.get("/graph/")
    System.objects.filter(key="adp").update(name="ADP Workforce Now")  # update() skips auto_now
    System.objects.get(key="adp").save()
    html = viewer.get("/graph/").content.decode()
    assert dot_runs == ["svg", "svg"]
    assert "ADP Workforce Now" in html


def test_a_health_flip_redraws(
    viewer: Client, estate: dict[str, System], dot_runs: list[str], states: dict[str, str]
) -> None:
    viewer.get("/graph/")
    states["salesforce-to-netsuite"] = "down"
    viewer.get("/graph/")
    assert dot_runs == ["svg", "svg"]


def test_a_change_that_is_not_drawn_reuses_the_render(
    viewer: Client, estate: dict[str, System], dot_runs: list[str]
) -> None:
    viewer.get("/graph/")
    integration = Integration.objects.get(key="salesforce-to-netsuite")
    integration.documentation = "https://wiki.example.com/sf"
    integration.save()
    viewer.get("/graph/")
    assert dot_runs == ["svg"]


def test_cached_page_costs_a_fixed_handful_of_queries(
    viewer: Client, estate: dict[str, System], django_assert_max_num_queries: Callable[..., Any]
) -> None:
    viewer.get("/graph/")
    with django_assert_max_num_queries(14):
        viewer.get("/graph/")


# --- manage.py draw_graph ----------------------------------------------------------------------


def draw(*args: str) -> str:
    out = io.StringIO()
    call_command("draw_graph", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_draw_graph_prints_svg_by_default(estate: dict[str, System]) -> None:
    root = parse(draw().encode())
    assert system_ids(root) == {f"system-{key}" for key in estate}


def test_draw_graph_dot_format(estate: dict[str, System]) -> None:
    assert draw("--format", "dot").startswith("digraph estate {")


def test_draw_graph_focus_and_depth(estate: dict[str, System]) -> None:
    assert system_ids(parse(draw("--system", "salesforce", "--depth", "1").encode())) == {
        "system-salesforce",
        "system-netsuite",
    }
    assert "system-snowflake" in system_ids(parse(draw("--system", "salesforce", "--depth", "2").encode()))


def test_draw_graph_writes_png_to_a_file(estate: dict[str, System], tmp_path: Path) -> None:
    out = tmp_path / "estate.png"
    call_command("draw_graph", "--format", "png", "--out", str(out), stderr=io.StringIO())
    assert out.read_bytes().startswith(b"\x89PNG")


def test_draw_graph_unknown_system_is_an_error(estate: dict[str, System]) -> None:
    with pytest.raises(CommandError, match="No system with the key"):
        draw("--system", "nope")


def test_draw_graph_reports_dot_failure(estate: dict[str, System], settings: Any) -> None:
    settings.PLUMBLINE_DOT = "/nonexistent/dot"
    with pytest.raises(CommandError, match="could not be started"):
        draw()
