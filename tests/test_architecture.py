"""The layering ARCHITECTURE.md describes, checked on the source: a change that breaks it fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from catalog.choices import HealthState, Platform

ROOT = Path(__file__).resolve().parent.parent


def sources(folder: str, *, migrations: bool = False) -> list[Path]:
    return sorted(
        path for path in (ROOT / folder).rglob("*.py") if migrations or "migrations" not in path.relative_to(ROOT).parts
    )


def imported_modules(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Every module an import in `path` names (relative imports resolved), anywhere in the file or
    only in its module body."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def offending(folder: str, forbidden: tuple[str, ...], *, migrations: bool = False) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sources(folder, migrations=migrations)
        for module in sorted(imported_modules(path))
        if module.startswith(forbidden)
    ]


def test_catalog_never_imports_monitoring():
    assert offending("catalog", ("monitoring",), migrations=True) == []


def test_accounts_imports_nothing_from_catalog_or_monitoring():
    assert offending("plumbline/accounts", ("catalog", "monitoring"), migrations=True) == []


def test_platform_adapters_never_touch_the_database():
    forbidden = ("django.db", "catalog.models", "monitoring.models", "monitoring.health", "monitoring.ingest")
    assert offending("monitoring/platforms", forbidden) == []


def test_health_state_decisions_are_pure():
    """Enums aside, state.py reaches no model, query or transaction."""
    path = ROOT / "monitoring/health/state.py"
    forbidden = ("django.db", "catalog.models", "monitoring.models", "monitoring.health", "monitoring.alerting")
    imported = [
        m for m in imported_modules(path) if not m.startswith(("monitoring.models.choices", "monitoring.health.state"))
    ]
    assert [module for module in imported if module.startswith(forbidden)] == []


def test_monitoring_modules_import_each_other_without_cycles():
    """Module-level imports only: a function-level import is how an edge reaches a task lazily."""
    graph: dict[str, set[str]] = {}
    for path in sources("monitoring"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        graph[name] = {m for m in imported_modules(path, top_level_only=True) if m.startswith("monitoring")}
    for name in graph:
        graph[name] = {target for target in graph[name] if target in graph and target != name}
    cycles = []
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    # A package's __init__ importing its own modules (the platform registry) is not a cycle back.
    cycles = [c for c in cycles if not re.fullmatch(r"(monitoring(\.\w+)*) -> \1\.\w+.* -> \1", c)]
    assert cycles == []


VOCABULARY = {state.value for state in HealthState} | {platform.value for platform in Platform}
# The same spelling meaning something else.
HOMONYMS = {
    ("catalog/filters.py", "unknown"): "what Django's NullBooleanSelect sends for neither yes nor no",
    ("monitoring/views/health.py", "paused"): "the HealthSource field name, in update_fields",
    ("monitoring/ingest/plain_pings.py", "paused"): "the HealthSource field name, in the columns it reads",
    ("catalog/trend/chart.py", "up"): "a trend line's direction: up 27 points",
    ("catalog/trend/chart.py", "down"): "a trend line's direction: down 9",
}


def bare_vocabulary(path: Path) -> list[str]:
    """String literals (docstrings aside) that spell a health state or a platform name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and node.value in VOCABULARY
        and id(node) not in docstrings
        and (str(path.relative_to(ROOT)), node.value) not in HOMONYMS
    ]


@pytest.mark.parametrize("folder", ["catalog", "monitoring", "plumbline"])
def test_health_states_and_platforms_are_spelled_only_in_the_vocabulary(folder):
    vocabulary = ROOT / "catalog/choices.py"
    demo = ROOT / "catalog/demo"  # the demo estate is data, written as a customer would write it
    found = [
        line
        for path in sources(folder)
        if path != vocabulary and demo not in path.parents
        for line in bare_vocabulary(path)
    ]
    assert found == []


def test_templates_link_through_url_names_only():
    pattern = re.compile(r"""\b(href|action|src)\s*=\s*["']/""")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert found == []
