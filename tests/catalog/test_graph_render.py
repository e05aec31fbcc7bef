"""The real `dot`: hostile names render as text, the SVG is rebuilt from an allowlist, and a
failing or slow dot is a RenderError."""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from catalog.graph.build import to_dot
from catalog.graph.model import Estate, IntegrationEdge, ObservedEdge, SystemNode
from catalog.graph.render import RenderError, run_dot, safe_svg
from catalog.graph.view import GraphFilter, select

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
SCRIPT = "<script>alert(1)</script>"
QUOTED = 'Q "x" \\N \\\\ {b} &amp; & \\l'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output; parsing it is the test)


@pytest.fixture
def hostile_svg() -> ET.Element:
    systems = {
        1: SystemNode(1, "evil", SCRIPT, "crm", owner=f"{SCRIPT} <x@example.com>"),
        2: SystemNode(2, "quoted", QUOTED, "erp"),
    }
    integrations = [
        IntegrationEdge(1, "evil-to-quoted", QUOTED, 1, 2, data_objects=(SCRIPT,), owner=QUOTED),
    ]
    observed = [ObservedEdge(source="heartbeat", ref="r", name=QUOTED)]
    view = select(Estate(systems=systems, integrations=integrations, observed=observed), GraphFilter())
    return parse(safe_svg(run_dot(to_dot(view), "svg"), title=view.title))


def by_id(root: ET.Element, element_id: str) -> ET.Element:
    found = root.find(f".//*[@id='{element_id}']")
    assert found is not None, element_id
    return found


def link_of(group: ET.Element) -> ET.Element:
    link = group.find(f".//{SVG}a")
    assert link is not None
    return link


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def test_hostile_system_name_is_exactly_its_text(hostile_svg: ET.Element) -> None:
    assert texts(by_id(hostile_svg, "system-evil")) == [SCRIPT]
    assert texts(by_id(hostile_svg, "system-quoted")) == [QUOTED]


def test_no_script_element_survives(hostile_svg: ET.Element) -> None:
    assert not [e for e in hostile_svg.iter() if str(e.tag).endswith("script")]


def test_hostile_edge_label_is_exactly_its_text(hostile_svg: ET.Element) -> None:
    assert SCRIPT in texts(by_id(hostile_svg, "integration-evil-to-quoted"))


def tooltip(link: ET.Element) -> list[str]:
    """Tooltips are <title> children of the links (every browser shows those)."""
    title = link.find(f"{SVG}title")
    assert title is not None
    return (title.text or "").splitlines()


def test_tooltips_keep_hostile_text_verbatim(hostile_svg: ET.Element) -> None:
    assert tooltip(link_of(by_id(hostile_svg, "system-evil")))[0] == f"{SCRIPT} (CRM)"
    assert tooltip(link_of(by_id(hostile_svg, "system-quoted")))[0] == f"{QUOTED} (ERP)"
    lines = tooltip(link_of(by_id(hostile_svg, "integration-evil-to-quoted")))
    assert lines[0] == QUOTED
    assert f"Owner: {QUOTED}" in lines


def test_system_tooltip_names_the_owner(hostile_svg: ET.Element) -> None:
    assert f"Owner: {SCRIPT} <x@example.com>" in tooltip(link_of(by_id(hostile_svg, "system-evil")))


def test_links_go_to_the_system_and_integration_pages_in_the_top_frame(hostile_svg: ET.Element) -> None:
    system_link = link_of(by_id(hostile_svg, "system-evil"))
    assert system_link.get(f"{XLINK}href") == "/systems/evil/"
    assert system_link.get("target") == "_top"
    assert link_of(by_id(hostile_svg, "integration-evil-to-quoted")).get(f"{XLINK}href") == (
        "/integrations/evil-to-quoted/"
    )


def test_undocumented_connection_name_is_text(hostile_svg: ET.Element) -> None:
    assert texts(by_id(hostile_svg, "observed-0")) == [QUOTED]


def test_dot_internal_node_names_are_not_shown_as_titles(hostile_svg: ET.Element) -> None:
    titles = {t.text for t in hostile_svg.iter(f"{SVG}title")}
    assert not {"s1", "s2", "s1->s2"} & titles


def test_safe_svg_drops_scripts_handlers_foreign_content_and_foreign_links() -> None:
    raw = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="x()">
      <script>alert(1)</script><foreignObject><div>hi</div></foreignObject>
      <g id="n" onclick="x()" style="fill:url(javascript:x)"><a xlink:href="javascript:alert(1)" target="_blank">
        <text>t</text></a><a xlink:href="//evil.example/"><text>u</text></a></g></svg>"""
    root = parse(safe_svg(raw))
    names = {str(e.tag).split("}")[-1] for e in root.iter()}
    assert names == {"svg", "g", "a", "text"}
    attributes = {name for e in root.iter() for name in e.attrib}
    assert not {"onload", "onclick", "style", "target", f"{XLINK}href"} & attributes


def test_safe_svg_refuses_what_is_not_svg() -> None:
    with pytest.raises(RenderError):
        safe_svg(b"<html><body/></html>")


def test_missing_dot_is_a_render_error(settings: pytest.FixtureRequest) -> None:
    settings.PLUMBLINE_DOT = "/nonexistent/dot"  # type: ignore[attr-defined]
    with pytest.raises(RenderError, match="could not be started"):
        run_dot("digraph { a }", "svg")


def test_dot_syntax_error_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="failed"):
        run_dot("digraph { a -> }", "svg")


def test_slow_dot_is_stopped_at_the_timeout(tmp_path: Path, settings: pytest.FixtureRequest) -> None:
    slow = tmp_path / "slow-dot"
    slow.write_text("#!/bin/sh\nexec sleep 10\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    settings.PLUMBLINE_DOT = str(slow)  # type: ignore[attr-defined]
    with pytest.raises(RenderError, match=r"longer than 0\.5 seconds"):
        run_dot("digraph { a }", "svg", timeout=0.5)


def test_png_is_a_png() -> None:
    assert run_dot("digraph { a -> b }", "png").startswith(b"\x89PNG")


def test_hostile_name_in_the_heading_is_exactly_its_text() -> None:
    systems = {1: SystemNode(1, "evil", QUOTED, "crm")}
    view = select(Estate(systems=systems), GraphFilter(system="evil"))
    root = parse(safe_svg(run_dot(to_dot(view), "svg")))
    assert f"Integration estate: within 1 of {QUOTED}" in [t.text for t in root.iter(f"{SVG}text")]
