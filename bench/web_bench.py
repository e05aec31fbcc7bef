"""Web page benchmark: median server time and query count of the catalog pages over a
10,000-integration estate in a throwaway SQLite database.

    .venv/bin/python bench/web_bench.py [--integrations N] [--runs R]

Pages are requested in-process with django.test.Client (logged in as an admin), so the time
is Django's: middleware, queries, rendering; no network. Targets (issue 3, pages): every page
under 100 ms median and 15 queries. The API list is measured when /api/v1/integrations/
exists and skipped when it answers 404. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 100.0
TARGET_QUERIES = 15
CATEGORIES = ["erp", "crm", "billing", "payroll", "ecommerce", "banking", "hr", "ipaas"]
CONNECTORS = ["ipaas", "ipaas", "native", "custom-api", "file-transfer", "manual"]
LIFECYCLES = ["live", "live", "live", "planned", "building", "deprecated"]


def setup_django(var_dir: str) -> None:
    os.environ["PLUMBLINE_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)  # always the throwaway SQLite file under var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def populate(count: int) -> None:
    """People, systems, `count` integrations with two mappings each, and some history."""
    import datetime as dt

    from django.utils import timezone

    from catalog.completeness import refresh_completeness
    from catalog.models import ChangeRecord, Integration, Mapping, Person, System

    people = Person.objects.bulk_create(
        Person(email=f"person{i}@bench.example.com", name=f"Person {i}", team=f"Team {i % 9}") for i in range(200)
    )
    systems = System.objects.bulk_create(
        System(key=f"system-{i:03d}", name=f"System {i}", category=CATEGORIES[i % len(CATEGORIES)], owner=people[i])
        for i in range(100)
    )
    today = dt.date.today()
    Integration.objects.bulk_create(
        (
            Integration(
                key=f"integration-{i:05d}",
                name=f"Integration {i}",
                source=systems[i % 100],
                target=systems[(i * 7 + 1) % 100],
                lifecycle=LIFECYCLES[i % len(LIFECYCLES)],
                connector_type=CONNECTORS[i % len(CONNECTORS)],
                maintained_by="internal" if i % 3 else "",
                compatibility_sla_days=30 if i % 3 else None,
                sync_trigger="schedule",
                interval_minutes=15,
                error_surface="alert",
                error_notify=["#alerts"],
                resync="replay-in-order" if i % 4 else "",
                owner=people[i % 200],
                backup_owner=people[(i + 1) % 200] if i % 2 else None,
                reviewed_at=today - dt.timedelta(days=i % 400),
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    ids = Integration.objects.values_list("id", flat=True)
    Mapping.objects.bulk_create(
        (Mapping(integration_id=pk, position=n, source=f"a.f{n}", target=f"b.f{n}") for pk in ids for n in range(2)),
        batch_size=5000,
    )
    now = timezone.now()
    ChangeRecord.objects.bulk_create(
        ChangeRecord(
            at=now - dt.timedelta(hours=n),
            via="import",
            kind="Integration",
            key="integration-05000",
            action="update",
            before={"sync": {"interval_minutes": 15 + n}},
            after={"sync": {"interval_minutes": 16 + n}},
        )
        for n in range(20)
    )
    refresh_completeness()


def admin_client() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from plumbline.accounts.roles import assign_role

    user = get_user_model().objects.create_user("bench@example.com", "bench@example.com", "bench-password-1")
    assign_role(user, "admin")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def measure(client: Any, url: str, runs: int) -> tuple[int, float, int]:
    """(status, median milliseconds, queries of one request)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm caches (templates, session, URL resolver)
    if response.status_code != 200:
        return response.status_code, 0.0, 0
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return 200, statistics.median(times), len(captured.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--integrations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="plumbline-web-bench-") as var_dir:
        setup_django(var_dir)
        started = time.perf_counter()
        populate(args.integrations)
        print(f"Populated {args.integrations} integrations in {time.perf_counter() - started:.1f} s ({var_dir})")
        client = admin_client()
        pages = [
            ("integration list", "/integrations/", True),
            ("filtered list", "/integrations/?lifecycle=live&connector_type=ipaas&ordering=-completeness", True),
            ("searched list, page 3", "/integrations/?q=integration-0&ordering=owner&page=3", True),
            ("integration detail", "/integrations/integration-05000/", True),
            ("system detail", "/systems/system-042/", False),
            ("system list", "/systems/", False),
            ("people list", "/people/", False),
            ("API integration list", "/api/v1/integrations/", True),
            ("CSV export (all rows)", "/integrations/?format=csv", False),
        ]
        print(f"{'page':<24} {'median ms':>10} {'queries':>8}  target")
        missed = 0
        for label, url, targeted in pages:
            status, median_ms, queries = measure(client, url, args.runs)
            if status == 404 and url.startswith("/api/"):
                print(f"{label:<24} {'skipped: /api/v1/integrations/ answers 404':>30}")
                continue
            if status != 200:
                print(f"{label:<24} HTTP {status}")
                missed += 1
                continue
            ok = median_ms < TARGET_MS and queries <= TARGET_QUERIES
            verdict = ("ok" if ok else "MISSED") if targeted else "(not targeted)"
            missed += 0 if ok or not targeted else 1
            print(f"{label:<24} {median_ms:>10.1f} {queries:>8}  {verdict}")
        print(f"Targets: under {TARGET_MS:.0f} ms median and at most {TARGET_QUERIES} queries.")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
