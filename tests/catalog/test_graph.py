"""The graph's pure parts: which view a filter selects, the blast radius, and the DOT it builds."""

from __future__ import annotations

import re

import pytest

from catalog.graph.blast import blast_radius
from catalog.graph.build import LARGE_VIEW_EDGES, to_dot
from catalog.graph.escape import quote, quote_tooltip
from catalog.graph.model import Estate, IntegrationEdge, ObservedEdge, SystemNode
from catalog.graph.view import GraphFilter, UnknownSystem, neighbourhood, select


def system(id: int, key: str, category: str = "other", **kw: str) -> SystemNode:
    return SystemNode(id=id, key=key, name=kw.pop("name", key.title()), category=category, **kw)


def edge(id: int, key: str, source: int | None, target: int | None, **kw: object) -> IntegrationEdge:
    return IntegrationEdge(id=id, key=key, name=key, source_id=source, target_id=target, **kw)  # type: ignore[arg-type]


@pytest.fixture
def estate() -> Estate:
    """crm -> erp -> warehouse, bank <-> erp, hr -> payroll (separate), a planned erp -> bi."""
    systems = [
        system(1, "crm", "crm", owner_email="ana@example.com"),
        system(2, "erp", "erp"),
        system(3, "warehouse", "data-warehouse"),
        system(4, "bank", "banking"),
        system(5, "hr", "hr"),
        system(6, "payroll", "payroll", owner_email="ana@example.com"),
        system(7, "bi", "other"),
        system(8, "boomi-atomsphere", "ipaas", name="Boomi AtomSphere"),
    ]
    integrations = [
        edge(1, "crm-to-erp", 1, 2, owner_email="ana@example.com", data_objects=("customer",), health="up"),
        edge(2, "erp-to-warehouse", 2, 3, connector_type="ipaas", platform="boomi", golives=("go-2027",)),
        edge(3, "bank-erp", 4, 2, bidirectional=True, health="down", spec_gaps=("mappings",)),
        edge(4, "hr-to-payroll", 5, 6, phase="phase-two", connector_type="file-transfer"),
        edge(5, "erp-to-bi", 2, 7, lifecycle="planned"),
        edge(6, "half-written", 1, None, spec_gaps=("systems",)),
    ]
    return Estate(
        systems={s.id: s for s in systems},
        integrations=integrations,
        observed=[ObservedEdge(source="celigo-prod", ref="f-1", name="Mystery flow", platform="celigo")],
    )


def keys(items: list[SystemNode] | list[IntegrationEdge]) -> set[str]:
    return {item.key for item in items}


# --- which view a filter selects ---------------------------------------------------------------


def test_whole_estate_draws_every_system_and_every_integration_with_both_ends(estate: Estate) -> None:
    view = select(estate, GraphFilter())
    assert keys(view.systems) == {s.key for s in estate.systems.values()}
    assert keys(view.integrations) == {"crm-to-erp", "erp-to-warehouse", "bank-erp", "hr-to-payroll", "erp-to-bi"}
    assert view.undrawable == 1
    assert len(view.observed) == 1


def test_focus_on_a_system_keeps_neighbours_within_depth_in_either_direction(estate: Estate) -> None:
    view = select(estate, GraphFilter(system="crm", depth=1))
    assert keys(view.systems) == {"crm", "erp"}
    assert keys(view.integrations) == {"crm-to-erp"}
    assert view.focus is not None and view.focus.key == "crm"
    assert view.observed == []


def test_depth_two_reaches_systems_two_integrations_away(estate: Estate) -> None:
    view = select(estate, GraphFilter(system="crm", depth=2))
    assert keys(view.systems) == {"crm", "erp", "warehouse", "bank", "bi"}
    assert "hr-to-payroll" not in keys(view.integrations)


def test_owner_filter_keeps_their_integrations_and_the_systems_they_own(estate: Estate) -> None:
    view = select(estate, GraphFilter(owner="ana@example.com"))
    assert keys(view.integrations) == {"crm-to-erp"}
    assert keys(view.systems) == {"crm", "erp", "payroll"}
    assert view.observed == []


def test_golive_filter_keeps_integrations_in_its_scope(estate: Estate) -> None:
    view = select(estate, GraphFilter(golive="go-2027"))
    assert keys(view.integrations) == {"erp-to-warehouse"}
    assert keys(view.systems) == {"erp", "warehouse"}


@pytest.mark.parametrize(
    ("graph_filter", "expected"),
    [
        (GraphFilter(lifecycle="planned"), {"erp-to-bi"}),
        (GraphFilter(connector="file-transfer"), {"hr-to-payroll"}),
        (GraphFilter(health="down"), {"bank-erp"}),
        (GraphFilter(health="unmonitored"), {"erp-to-warehouse", "hr-to-payroll", "erp-to-bi"}),
        (GraphFilter(gaps=True), {"bank-erp"}),
    ],
)
def test_integration_filters_keep_only_matching_integrations(
    estate: Estate, graph_filter: GraphFilter, expected: set[str]
) -> None:
    assert keys(select(estate, graph_filter).integrations) == expected


def test_spec_gaps_filter_still_draws_undocumented_connections(estate: Estate) -> None:
    assert len(select(estate, GraphFilter(gaps=True)).observed) == 1


def test_unknown_focus_system_is_an_error(estate: Estate) -> None:
    with pytest.raises(UnknownSystem):
        select(estate, GraphFilter(system="nope"))


def test_neighbourhood_stops_at_depth() -> None:
    chain = [edge(i, f"e{i}", i, i + 1) for i in range(1, 6)]
    assert neighbourhood(1, chain, 2) == {1, 2, 3}


def test_blast_view_adds_the_blast_radius_to_a_narrow_view(estate: Estate) -> None:
    view = select(estate, GraphFilter(system="crm", depth=1, blast="crm"))
    assert {"warehouse", "bank"} <= keys(view.systems)
    assert {"erp-to-warehouse", "bank-erp"} <= keys(view.integrations)


# --- blast radius -------------------------------------------------------------------------------


def test_blast_radius_follows_data_downstream_transitively(estate: Estate) -> None:
    radius = blast_radius(estate, estate.systems[1])
    hops = {a.system.key: a.hops for a in radius.systems}
    assert hops == {"erp": 1, "warehouse": 2, "bank": 2}
    effects = {a.integration.key: (a.hops, a.stops) for a in radius.integrations}
    assert effects == {"crm-to-erp": (1, True), "erp-to-warehouse": (2, False), "bank-erp": (2, False)}


def test_blast_radius_ignores_integrations_that_do_not_run(estate: Estate) -> None:
    radius = blast_radius(estate, estate.systems[2])
    assert "bi" not in {a.system.key for a in radius.systems}
    assert "erp-to-bi" not in {a.integration.key for a in radius.integrations}


def test_integration_into_a_down_system_stops_but_does_not_spread_upstream(estate: Estate) -> None:
    radius = blast_radius(estate, estate.systems[2])
    assert ("crm-to-erp", True) in {(a.integration.key, a.stops) for a in radius.integrations}
    assert "crm" not in {a.system.key for a in radius.systems}


def test_bidirectional_integration_spreads_both_ways(estate: Estate) -> None:
    radius = blast_radius(estate, estate.systems[4])
    assert {a.system.key for a in radius.systems} == {"erp", "warehouse"}


def test_a_down_ipaas_stops_every_integration_on_its_platform(estate: Estate) -> None:
    radius = blast_radius(estate, estate.systems[8])
    assert {a.integration.key for a in radius.integrations} == {"erp-to-warehouse"}
    assert [a.system.key for a in radius.systems] == ["warehouse"]


def test_blast_radius_records_the_integration_that_carried_it(estate: Estate) -> None:
    radius = blast_radius(estate, estate.systems[1])
    warehouse = next(a for a in radius.systems if a.system.key == "warehouse")
    assert [e.key for e in warehouse.via] == ["erp-to-warehouse"]


def test_a_system_nothing_depends_on_has_an_empty_blast_radius(estate: Estate) -> None:
    radius = blast_radius(estate, estate.systems[7])
    assert radius.systems == () and radius.integrations == ()


# --- escaping -----------------------------------------------------------------------------------


def test_quote_escapes_quotes_backslashes_and_entities() -> None:
    assert quote('say "hi" \\N & &amp;') == '"say \\"hi\\" \\\\N &amp; &amp;amp;"'


def test_quote_replaces_control_characters() -> None:
    assert quote("a\nb\x00c") == '"a b c"'


def test_quoted_text_never_ends_a_dot_string_early() -> None:
    hostile = 'x" ] ; evil [label="pwned'
    quoted = quote(hostile)
    # Every quote inside is escaped: the only unescaped quotes are the two delimiters.
    assert len(re.findall(r'(?<!\\)"', quoted)) == 2


def test_tooltip_doubles_backslashes_twice_and_joins_lines_with_dot_newlines() -> None:
    assert quote_tooltip(["a\\b", "c"]) == '"a\\\\\\\\b\\nc"'


# --- the DOT source -----------------------------------------------------------------------------


def dot_of(estate: Estate, graph_filter: GraphFilter | None = None) -> str:
    return to_dot(select(estate, graph_filter or GraphFilter()))


def line_of(dot: str, marker: str) -> str:
    return next(line for line in dot.splitlines() if marker in line)


def test_dot_uses_generated_node_names_and_links_each_system_to_its_page(estate: Estate) -> None:
    line = line_of(to_dot(select(estate, GraphFilter())), 'id="system-crm"')
    assert line.lstrip().startswith("s1 [")
    assert 'URL="/systems/crm/"' in line


def test_erp_is_emphasised(estate: Estate) -> None:
    line = line_of(dot_of(estate), 'id="system-erp"')
    assert "penwidth=2.5" in line and "Helvetica-Bold" in line


def test_bidirectional_integration_has_arrows_at_both_ends(estate: Estate) -> None:
    assert "dir=both" in line_of(dot_of(estate), 'id="integration-bank-erp"')


def test_phase_two_integration_is_dashed(estate: Estate) -> None:
    assert "style=dashed" in line_of(dot_of(estate), 'id="integration-hr-to-payroll"')


def test_planned_integration_is_grey(estate: Estate) -> None:
    assert 'color="#a8b0bc"' in line_of(dot_of(estate), 'id="integration-erp-to-bi"')


def test_edge_colour_follows_health_state(estate: Estate) -> None:
    dot = dot_of(estate)
    assert 'color="#1a7f37"' in line_of(dot, 'id="integration-crm-to-erp"')
    assert 'color="#b42318"' in line_of(dot, 'id="integration-bank-erp"')


def test_edge_is_labelled_with_its_data_objects(estate: Estate) -> None:
    assert 'label="customer"' in line_of(dot_of(estate), 'id="integration-crm-to-erp"')


def test_undocumented_connection_is_a_red_dotted_edge_to_an_unknown_node(estate: Estate) -> None:
    line = line_of(dot_of(estate), 'id="observed-0"')
    assert "style=dotted" in line and 'color="#b42318"' in line and "-> u0" in line


def test_hubs_route_ipaas_integrations_through_their_platform(estate: Estate) -> None:
    dot = dot_of(estate, GraphFilter(hubs=True))
    # boomi-atomsphere is an iPaaS system, so it is the Boomi hub (s8).
    assert line_of(dot, 'id="integration-erp-to-warehouse"').lstrip().startswith("s2 -> s8")
    assert line_of(dot, 'id="integration-erp-to-warehouse:out"').lstrip().startswith("s8 -> s3")


def test_hubs_without_a_matching_system_get_a_platform_node(estate: Estate) -> None:
    dot = dot_of(estate, GraphFilter(hubs=True))
    assert 'id="platform-celigo"' in dot  # the observed Celigo flow hangs off the Celigo hub


def test_legend_in_the_heading_lists_the_styles_in_the_view(estate: Estate) -> None:
    heading = line_of(dot_of(estate), "graph [")
    for text in ("ERP", "health up", "health down", "phase two", "planned or retired", "observed, no spec"):
        assert text in heading


def test_legend_leaves_out_styles_the_view_does_not_use(estate: Estate) -> None:
    heading = line_of(dot_of(estate, GraphFilter(system="crm", depth=1)), "graph [")
    assert "health up" in heading
    assert "phase two" not in heading and "health down" not in heading


def test_heading_title_is_escaped_for_an_html_label() -> None:
    systems = {1: system(1, "evil", name='<b>&"\\N')}
    heading = line_of(to_dot(select(Estate(systems=systems), GraphFilter(system="evil"))), "graph [")
    assert "within 1 of &lt;b&gt;&amp;&quot;\\\\N" in heading


def test_large_views_put_labels_beside_edges_and_limit_the_layout_search() -> None:
    systems = {i: system(i, f"s{i}") for i in range(1, 41)}
    edges = [
        edge(n, f"i{n}", 1 + n % 40, 1 + (n * 7) % 40, data_objects=("invoice",))
        for n in range(LARGE_VIEW_EDGES + 1)
        if n % 40 != (n * 7) % 40
    ] + [edge(1000 + n, f"x{n}", 1, 2, data_objects=("invoice",)) for n in range(40)]
    dot = to_dot(select(Estate(systems=systems, integrations=edges), GraphFilter()))
    assert "nslimit=1" in dot
    assert 'xlabel="invoice"' in dot and ' label="invoice"' not in dot


def test_blast_view_marks_origin_and_affected_systems(estate: Estate) -> None:
    dot = dot_of(estate, GraphFilter(blast="crm"))
    assert 'fillcolor="#fde2e1"' in line_of(dot, 'id="system-crm"')
    assert 'fillcolor="#fff1d6"' in line_of(dot, 'id="system-warehouse"')
    assert 'color="#c4cad3"' in line_of(dot, 'id="system-hr"')  # not affected: faded
