"""Web page benchmark: median server time and query count of every page over a 10,000-integration
estate (with health sources and runs, stored findings, go-lives and observed connections) in a
throwaway SQLite database, or in a PostgreSQL database created for the run and dropped after.

    .venv/bin/python bench/web_bench.py [--quick] [--integrations N] [--runs R] [--only LABEL ...]
        [--database-url postgres://postgres@127.0.0.1:5432/plumbline_web_bench]

Pages are requested in-process with django.test.Client (logged in as an admin), so the time
is Django's: middleware, queries, rendering; no network. Targets (issue 18): every page at most
15 queries and under 100 ms median at 10,000 integrations; the CSV export of every row is measured,
not judged. The graph is measured uncached (its render cache emptied before each request, at most
3 requests: a large estate answers 202 at once and leaves the drawing to a worker) and cached (after
drawing it in process as the worker would). Checked at any size: every page answers 200.
--quick: 30 integrations and 2 requests a page, nothing judged but the checks.
--only: measure only the pages whose label or URL contains one of the given words (e.g. --only
dashboard phase-two); the others are not requested.
Exits 1 when a check fails or (outside --quick) a target is missed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from database import create_database, drop_database, setup_django  # noqa: E402  (bench/database.py)
from verdicts import Verdicts  # noqa: E402

TARGET_MS = 100.0
TARGET_QUERIES = 15
UNCACHED_RUNS = 3
CATEGORIES = ["erp", "crm", "billing", "payroll", "ecommerce", "banking", "hr", "ipaas"]
CONNECTORS = ["ipaas", "ipaas", "native", "custom-api", "file-transfer", "manual"]
LIFECYCLES = ["live", "live", "live", "planned", "building", "deprecated"]
HEALTH_STATES = ["up", "up", "up", "late", "down", "failing", "unknown"]
GOLIVES = 3


def populate(count: int, *, systems: int = 100, people: int = 200) -> None:
    """People, systems, `count` integrations with two mappings each (a tenth deferred to phase two,
    half monitored by heartbeat with three runs each), go-lives, findings, observed connections and history.
    tests/pages/test_every_page_flat.py builds its two estates with this too."""
    import datetime as dt

    from django.utils import timezone

    from catalog.completeness import refresh_completeness
    from catalog.models import ChangeRecord, GoLive, GoLiveIntegration, Integration, Mapping, Person, System
    from catalog.rules.store import refresh_findings
    from monitoring.health.specs import sync_sources

    person_count, system_count = people, systems
    staff = Person.objects.bulk_create(
        Person(email=f"person{i}@bench.example.com", name=f"Person {i}", team=f"Team {i % 9}")
        for i in range(person_count)
    )
    hosts = System.objects.bulk_create(
        System(key=f"system-{i:03d}", name=f"System {i}", category=CATEGORIES[i % len(CATEGORIES)], owner=staff[i])
        for i in range(system_count)
    )
    today = dt.date.today()
    Integration.objects.bulk_create(
        (
            Integration(
                key=f"integration-{i:05d}",
                name=f"Integration {i}",
                source=hosts[i % system_count],
                target=hosts[(i * 7 + 1) % system_count],
                lifecycle="planned" if i % 10 == 0 else LIFECYCLES[i % len(LIFECYCLES)],
                phase="phase-two" if i % 10 == 0 else "go-live",
                deferred_since=today - dt.timedelta(days=i % 200) if i % 10 == 0 else None,
                target_date=today + dt.timedelta(days=i % 90 - 30) if i % 10 == 0 else None,
                workaround_description="Weekly CSV export" if i % 10 == 0 else "",
                workaround_performed_by=staff[i % person_count] if i % 10 == 0 else None,
                workaround_hours_per_month=4 if i % 10 == 0 else None,
                connector_type=CONNECTORS[i % len(CONNECTORS)],
                maintained_by="internal" if i % 3 else "",
                compatibility_sla_days=30 if i % 3 else None,
                sync_trigger="schedule",
                interval_minutes=15,
                error_surface="alert",
                error_notify=["#alerts"],
                resync="replay-in-order" if i % 4 else "",
                owner=staff[i % person_count],
                backup_owner=staff[(i + 1) % person_count] if i % 2 else None,
                reviewed_at=today - dt.timedelta(days=i % 400),
                health_kind="heartbeat" if i % 2 == 0 else "none",
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    ids = list(Integration.objects.order_by("id").values_list("id", flat=True))
    Mapping.objects.bulk_create(
        (Mapping(integration_id=pk, position=n, source=f"a.f{n}", target=f"b.f{n}") for pk in ids for n in range(2)),
        batch_size=5000,
    )
    size = max(1, min(200, count // 10))
    for g in range(GOLIVES):
        golive = GoLive.objects.create(
            key=f"go-live-{g}", name=f"Go-live {g}", date=today + dt.timedelta(days=30 * (g + 1)), approver=staff[g]
        )
        scope = ids[g * size : (g + 1) * size] or ids[:size]
        GoLiveIntegration.objects.bulk_create(
            GoLiveIntegration(golive=golive, integration_id=pk, position=n) for n, pk in enumerate(scope)
        )
    now = timezone.now()
    sync_sources(now=now)
    monitor_runs(now)
    observed_connections(now)
    ChangeRecord.objects.bulk_create(
        ChangeRecord(
            at=now - dt.timedelta(hours=n),
            via="import",
            kind="Integration",
            key=f"integration-{count // 2:05d}",
            action="update",
            before={"sync": {"interval_minutes": 15 + n}},
            after={"sync": {"interval_minutes": 16 + n}},
        )
        for n in range(20)
    )
    refresh_completeness()
    refresh_findings()


def monitor_runs(now: Any) -> None:
    """Three runs for every monitored integration, and its health state as if they had been recorded."""
    import datetime as dt

    from monitoring.models import HealthSource, Run

    sources = list(HealthSource.objects.order_by("id").values_list("id", "integration_id"))
    Run.objects.bulk_create(
        (
            Run(
                integration_id=integration,
                external_id=f"run-{k}",
                source_kind="heartbeat",
                status="failure" if k == 0 and n % 7 == 5 else "success",
                run_at=now - dt.timedelta(minutes=15 * k),
                finished_at=now - dt.timedelta(minutes=15 * k),
                records_out=10,
            )
            for n, (_, integration) in enumerate(sources)
            for k in range(3)
        ),
        batch_size=5000,
    )
    for n, state in enumerate(HEALTH_STATES):
        chosen = [pk for pk, _ in sources[n :: len(HEALTH_STATES)]]
        for start in range(0, len(chosen), 900):  # SQLite's limit on parameters
            HealthSource.objects.filter(pk__in=chosen[start : start + 900]).update(
                state=state, state_changed_at=now, last_success_at=now, last_run_at=now
            )


def observed_connections(now: Any) -> None:
    """Flows discovered on a platform account that no spec names, and heartbeats to unknown slugs."""
    from catalog.models import PlatformAccount
    from monitoring.models import ObservedConnection

    account = PlatformAccount.objects.create(key="celigo-prod", platform="celigo", base_url="https://api.integrator.io")
    ObservedConnection.objects.bulk_create(
        [
            *(
                ObservedConnection(
                    account=account, ref=f"flow-{n}", name=f"Flow {n}", first_seen_at=now, last_seen_at=now
                )
                for n in range(20)
            ),
            *(ObservedConnection(ref=f"unknown-slug-{n}", first_seen_at=now, last_seen_at=now) for n in range(5)),
        ]
    )


def data_present() -> dict[str, int]:
    from catalog.models import GoLive, StoredFinding
    from monitoring.models import HealthSource, ObservedConnection, Run

    return {
        "health sources": HealthSource.objects.count(),
        "runs": Run.objects.count(),
        "findings": StoredFinding.objects.count(),
        "go-lives": GoLive.objects.count(),
        "observed connections": ObservedConnection.objects.count(),
    }


def admin_client() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from plumbline.accounts.roles import ADMIN, assign_role

    user = get_user_model().objects.create_user("bench@example.com", "bench@example.com", "bench-password-1")
    assign_role(user, ADMIN)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def measure(
    client: Any, url: str, runs: int, before: Callable[[], None] = lambda: None, ok: tuple[int, ...] = (200,)
) -> tuple[int, float, int]:
    """(status, median milliseconds, queries of one request); `before` runs ahead of every request;
    a status not in `ok` is returned at once with no figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before()
    response = client.get(url)  # warm caches (templates, session, URL resolver)
    if response.status_code not in ok:
        return response.status_code, 0.0, 0
    times = []
    for _ in range(runs):
        before()
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    before()
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return 200, statistics.median(times), len(captured.captured_queries)


def empty_graph_cache() -> None:
    from catalog.graph.cache import cache_dir

    shutil.rmtree(cache_dir(), ignore_errors=True)


def analyse() -> None:
    """PostgreSQL: statistics for the planner, as autovacuum keeps them in a database in use (right
    after a bulk load it has none, and plans as if every table were empty)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def forget_search_index() -> None:
    from catalog.views.search import forget_index

    forget_index()


def draw_whole_estate() -> float:
    """What the worker does after an uncached /graph/ (this bench runs none): draw the whole estate
    into the graph cache, in process; its seconds (bench/graph_bench.py judges them with a worker)."""
    from dataclasses import asdict

    from catalog.graph.drawing import draw_in_worker, view_key
    from catalog.graph.view import GraphFilter

    whole = GraphFilter()
    started = time.perf_counter()
    outcome = draw_in_worker(asdict(whole), view_key(whole), "svg")
    if outcome != "drawn":
        raise SystemExit(f"the whole-estate graph was not drawn: {outcome}")
    return time.perf_counter() - started


def pages(count: int, *, systems: int = 100, people: int = 200) -> list[tuple[str, str, str]]:
    """(label, URL, how): how is "judged" or "measured" (never judged)."""
    key = f"integration-{count // 2:05d}"
    system = f"system-{min(42, systems - 1):03d}"
    person = f"person{min(7, people - 1)}@bench.example.com"
    return [
        ("dashboard", "/", "judged"),
        ("integration list", "/integrations/", "judged"),
        ("filtered list", "/integrations/?lifecycle=live&connector_type=ipaas&ordering=-completeness", "judged"),
        # A broad search: a tenth of the estate (integration-01000 to -01999), page 3 of it.
        ("searched list, page 3", "/integrations/?q=integration-01&ordering=owner&page=3", "judged"),
        # Every integration's key contains "integration-0": PostgreSQL estimates an unanchored LIKE at a few
        # rows whatever the statistics, and joins the owners and systems of all 10,000 in nested loops.
        (
            "searched list, every integration matches",
            "/integrations/?q=integration-0&ordering=owner&page=3",
            "measured",
        ),
        ("integration page", f"/integrations/{key}/", "judged"),
        ("integration health page", f"/integrations/{key}/health/", "judged"),
        ("system list", "/systems/", "judged"),
        ("system page", f"/systems/{system}/", "judged"),
        ("people list", "/people/", "judged"),
        ("person page", f"/people/{person}/", "judged"),
        ("platform account list", "/platform-accounts/", "judged"),
        ("findings", "/findings/", "judged"),
        ("phase-two register", "/phase-two/", "judged"),
        ("go-live list", "/golives/", "judged"),
        ("go-live page", "/golives/go-live-0/", "judged"),
        ("graph, uncached", "/graph/", "judged"),
        ("graph, cached", "/graph/", "judged"),
        ("observed connections", "/connections/observed/", "judged"),
        ("API integration list", "/api/v1/integrations/", "judged"),
        ("API run list", "/api/v1/runs/", "judged"),
        ("API finding list", "/api/v1/findings/", "judged"),
        ("API system list", "/api/v1/systems/", "judged"),
        ("API people list", "/api/v1/people/", "judged"),
        ("API go-live list", "/api/v1/golives/", "judged"),
        ("API integration", f"/api/v1/integrations/{key}/", "judged"),
        ("integration edit form", f"/integrations/{key}/edit/", "judged"),
        ("integration spec", f"/integrations/{key}/spec.yaml", "judged"),
        ("system maintenance", f"/systems/{system}/maintenance/", "judged"),
        ("findings by owner", "/findings/?group=owner", "judged"),
        ("findings by code, page 2", "/findings/?group=code&page=2", "judged"),
        ("go-live blockers", "/golives/go-live-0/?show=blockers", "judged"),
        ("reminders", "/reminders/", "judged"),
        ("my page", "/me/", "judged"),
        ("upload", "/upload/", "judged"),
        ("health board", "/health/", "judged"),
        ("health board, down", "/health/?state=down", "judged"),
        # Every integration's key starts "integration-0": the worst case, all 10,000 match.
        ("search, every integration matches", "/search/?q=integration-0", "judged"),
        ("search, one kind", "/search/?q=integration-0&kind=integrations", "judged"),
        ("search, a word", "/search/?q=person7", "judged"),
        # Integrations are kept folded per process until one changes: the search right after a change.
        ("search, first after a change", "/search/?q=person7", "measured"),
        ("CSV export (all rows)", "/integrations/?format=csv", "measured"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny estate; checks every page answers, judges nothing")
    parser.add_argument("--integrations", type=int, help="default 10,000 (30 with --quick)")
    parser.add_argument("--runs", type=int, help="requests a page (default 21, 2 with --quick)")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="LABEL",
        help="measure only the pages whose label or URL contains one of these words",
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database of the bench's own, created for the run and dropped after (default: SQLite)",
    )
    args = parser.parse_args()
    if args.database_url:
        create_database(args.database_url)
    try:
        return benchmark(args)
    finally:
        if args.database_url:
            from django.db import connections

            connections.close_all()
            drop_database(args.database_url)


def benchmark(args: argparse.Namespace) -> int:
    count = args.integrations or (30 if args.quick else 10_000)
    runs = args.runs or (2 if args.quick else 21)
    verdicts = Verdicts(args.quick)
    with tempfile.TemporaryDirectory(prefix="plumbline-web-bench-") as var_dir:
        setup_django(var_dir, args.database_url)
        started = time.perf_counter()
        populate(count)
        analyse()
        print(f"Populated {count} integrations in {time.perf_counter() - started:.1f} s ({var_dir})")
        present = data_present()
        verdicts.check(
            "data behind the pages", all(present.values()), ", ".join(f"{n:,} {k}" for k, n in present.items())
        )
        client = admin_client()
        for label, url, how in pages(count):
            if args.only and not any(word in label or word in url for word in args.only):
                continue
            name = f"{label} {url}"
            if label == "graph, uncached":
                # A large estate answers 202 at once (a worker draws it); a small one draws inline.
                uncached_runs = min(runs, UNCACHED_RUNS)
                status, median_ms, queries = measure(client, url, uncached_runs, empty_graph_cache, ok=(200, 202))
            elif label == "search, first after a change":
                status, median_ms, queries = measure(client, url, runs, forget_search_index)
            elif label == "graph, cached":
                print(f"(the whole estate drawn as the worker draws it, in process: {draw_whole_estate():.2f} s)")
                status, median_ms, queries = measure(client, url, runs)
            else:
                status, median_ms, queries = measure(client, url, runs)
            if status != 200:
                verdicts.check(f"{name} answers 200", False, f"HTTP {status}")
            elif how == "measured":
                print(f"{name}: {median_ms:.1f} ms median, {queries} queries (not a target)")
            else:
                verdicts.figure(f"{name} median", median_ms, "<", TARGET_MS, "ms")
                verdicts.figure(f"{name} queries", queries, "<=", TARGET_QUERIES, digits=0)
    return verdicts.exit_code()


if __name__ == "__main__":
    sys.exit(main())
