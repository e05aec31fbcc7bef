"""How long evaluating every finding takes for a 10,000-integration estate, and how many queries.

Run from the project root: `.venv/bin/python bench/findings_bench.py [--keep]`. It builds a
throwaway SQLite database in a temporary folder (never the configured one), measures at 1,000
integrations and again at 10,000 (over 500 systems) to show the query count does not grow, and
times a stored-findings refresh too. Target: evaluation under 2 s at 10,000.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 2.0
PEOPLE = 200
SYSTEMS = 500


def setup_django(folder: str) -> None:
    os.environ["PLUMBLINE_VAR_DIR"] = folder
    os.environ.pop("DATABASE_URL", None)  # never touch a real database
    os.environ["DJANGO_SETTINGS_MODULE"] = "plumbline.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(start: int, stop: int, people: list, systems: list) -> None:
    """Integrations start..stop-1 with a spread of problems, and mappings for half of them."""
    from catalog.models import Integration, Mapping

    today = dt.date.today()
    rows = []
    for n in range(start, stop):
        deferred = n % 9 == 0
        rows.append(
            Integration(
                key=f"integration-{n:05d}",
                name=f"Integration {n}",
                source=systems[n % SYSTEMS],
                target=systems[(n * 7 + 1) % SYSTEMS],
                data_objects=["invoice", "payment"] if n % 2 else ["customer"],
                lifecycle=["live", "live", "live", "planned", "building", "deprecated", "retired"][n % 7],
                phase="phase-two" if deferred else "go-live",
                connector_type=["ipaas", "custom-api", "file-transfer", "native", "manual"][n % 5],
                connector_platform="celigo" if n % 5 == 0 else "",
                maintained_by="" if n % 4 == 0 else "internal",
                compatibility_sla_days=None if n % 6 == 0 else 30,
                api_retirement_date=today + dt.timedelta(days=n % 200) if n % 10 == 0 else None,
                sync_trigger=["schedule", "polling", "event", "manual"][n % 4],
                interval_minutes=5 + n % 60,
                max_latency_minutes=1 + n % 10,
                vendor_claim="real-time" if n % 8 == 0 else "",
                error_surface=["alert", "monitored-channel", "log-file", "none"][n % 4],
                error_notify=[people[n % PEOPLE].email],
                resync=["replay-in-order", "current-state", "manual", "none"][n % 4],
                owner=people[n % PEOPLE] if n % 50 else None,
                backup_owner=people[(n + 3) % PEOPLE] if n % 3 else None,
                reviewed_at=today - dt.timedelta(days=n % 400) if n % 11 else None,
                deferred_since=today - dt.timedelta(days=n % 365) if deferred else None,
                target_date=today + dt.timedelta(days=30 - n % 60) if deferred else None,
                workaround_description="Weekly CSV export" if deferred else "",
                workaround_performed_by=people[n % PEOPLE] if deferred else None,
                workaround_hours_per_month=4 + n % 8 if deferred else None,
                build_estimate_hours=40 if deferred else None,
                health_kind="heartbeat" if n % 3 else "none",
            )
        )
    created = Integration.objects.bulk_create(rows, batch_size=1000)
    mappings = [
        Mapping(integration=i, position=p, source=f"src.f{p}", target=f"dst.f{p}")
        for i in created[::2]
        for p in range(2)
    ]
    Mapping.objects.bulk_create(mappings, batch_size=2000)


def measure(label: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Integration
    from catalog.rules import evaluate_estate

    count = Integration.objects.count()
    best = cpu = float("inf")
    queries = 0
    findings = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            findings = evaluate_estate()
            best = min(best, time.perf_counter() - started)
            cpu = min(cpu, time.process_time() - started_cpu)
        queries = len(captured)
    print(
        f"{label}: {count:>6} integrations -> {len(findings):>6} findings in {best:.3f} s "
        f"(CPU {cpu:.3f} s), {queries} queries"
    )
    return best, queries


def time_refresh() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.rules.store import refresh_findings

    for label in ("first refresh (all new)", "steady refresh (unchanged)"):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            report = refresh_findings()
            took, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        print(f"{label}: {took:.3f} s (CPU {cpu:.3f} s), {len(captured)} queries, {report.as_dict()}")


def main() -> int:
    folder = tempfile.mkdtemp(prefix="plumbline-bench-")
    try:
        setup_django(folder)
        from catalog.models import Person, System

        people = Person.objects.bulk_create(
            [Person(email=f"person{n}@example.com", name=f"Person {n}", active=n % 25 != 0) for n in range(PEOPLE)]
        )
        systems = System.objects.bulk_create(
            [
                System(key=f"system-{n:03d}", name=f"System {n}", version="1.0", owner=people[n % PEOPLE])
                for n in range(SYSTEMS)
            ]
        )
        build(0, 1_000, people, systems)
        _, small_queries = measure("evaluate_estate")
        build(1_000, 10_000, people, systems)
        took, big_queries = measure("evaluate_estate")
        time_refresh()
        same = "same" if small_queries == big_queries else "DIFFERENT"
        verdict = "OK" if took < TARGET_SECONDS else "OVER TARGET"
        print(f"queries at 1,000 vs 10,000: {small_queries} vs {big_queries} ({same})")
        print(f"evaluation at 10,000: {took:.3f} s, target {TARGET_SECONDS:.1f} s: {verdict}")
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        return 0 if took < TARGET_SECONDS and small_queries == big_queries else 1
    finally:
        if "--keep" in sys.argv:
            print(f"database kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
