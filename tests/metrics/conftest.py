from __future__ import annotations

import pytest

from tests.metrics.scrape import TOKEN


@pytest.fixture(autouse=True)
def metrics_on(settings):
    settings.PLUMBLINE_METRICS_TOKEN = TOKEN
    settings.PLUMBLINE_METRICS_ALLOW = []
