"""Issue 18: every page and API list makes the same few queries (at most 15) whatever the estate's
size. The estate and the pages are bench/web_bench.py's own (its populate() and pages()), built
small, measured, replaced by one five times larger and measured again: a page whose queries grow
with the estate (one per row: N+1) fails here, whatever the machine's speed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import ChangeRecord, GoLive, Integration, Person, PlatformAccount, StoredFinding, System
from monitoring.models import ObservedConnection
from plumbline.accounts.roles import ADMIN
from tests.pages.estate import make_user

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import web_bench  # bench/web_bench.py, found through the path above

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15
SMALL = {"count": 20, "systems": 8, "people": 12}
LARGE = {"count": 100, "systems": 40, "people": 60}
# The graph has tests of its own (a drawing is cached on disk, so its first and later views differ).
NOT_HERE = ("graph",)


def wipe() -> None:
    """Everything populate() made, so the next estate starts from nothing."""
    for model in (StoredFinding, ChangeRecord, GoLive, Integration, ObservedConnection, PlatformAccount, System):
        model.objects.all().delete()
    Person.objects.all().delete()


def queries_of_every_page(client: Client, size: dict[str, int]) -> dict[str, int]:
    web_bench.populate(size["count"], systems=size["systems"], people=size["people"])
    counts = {}
    for label, url, _ in web_bench.pages(size["count"], systems=size["systems"], people=size["people"]):
        if any(word in label for word in NOT_HERE):
            continue
        client.get(url)  # once first: caches a first view fills are not what is measured
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (label, url, response.status_code)
        counts[label] = len(captured)
    return counts


def test_every_page_makes_the_same_few_queries_at_two_estate_sizes(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client = Client()
    admin: Any = make_user("admin@example.com", ADMIN)
    client.force_login(admin)
    small = queries_of_every_page(client, SMALL)
    wipe()
    large = queries_of_every_page(client, LARGE)
    assert len(small) >= 38  # every page of the bench but the graph's
    assert {label: n for label, n in large.items() if n > MAX_QUERIES} == {}
    assert {label: (small[label], n) for label, n in large.items() if n != small[label]} == {}
