from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Login failure counters live in the cache, which outlives a test's transaction.
    cache.clear()
