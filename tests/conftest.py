"""Shared fixtures. Tests run against the database named by DATABASE_URL (SQLite by default)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
EXAMPLE_ESTATE = SHARED / "examples" / "estate.yaml"


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a dedented YAML spec file below tmp_path and return its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters and cached renderings must not leak from one test into another."""
    from django.core.cache import cache

    from catalog.views.search import forget_index

    cache.clear()
    forget_index()  # search's folded integrations, kept by the process
    yield
