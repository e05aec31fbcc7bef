"""How long evaluating every finding takes for a 10,000-integration estate, and how many queries.

Run from the project root: `.venv/bin/python bench/findings_bench.py [--quick] [--keep]`. It builds a
throwaway SQLite database in a temporary folder (never the configured one), measures at 1,000
integrations and again at 10,000 (over 500 systems, each integration carrying two of 36 data objects,
most with a declared master; half with mappings, one of them a lookup through one of 60 value maps, a
third of those not reviewed lately, every seventh lookup naming none; phase-two items with a weekly
workaround cadence) to show the query count does not grow, and
times a stored-findings refresh too. Targets: evaluation under 2 s at 10,000, and the same number of
queries at 1,000 as at 10,000. Checked at any size: the first refresh stores every finding and the
steady one changes none. --quick: 20 then 50 integrations, nothing judged but the checks.
Exits 1 when a check fails or (outside --quick) a target is missed.
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
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from database import setup_django  # noqa: E402  (bench/database.py)
from verdicts import Verdicts  # noqa: E402

TARGET_SECONDS = 2.0
SNAPSHOT_TARGET_SECONDS = 1.0  # the daily estate snapshot of the whole estate
SNAPSHOT_MAX_QUERIES = 12  # a fixed number of aggregate queries, whatever the estate's size
SIZES = {"full": (1_000, 10_000, 500, 200), "quick": (20, 50, 10, 10)}  # small, big, systems, people
# Data objects every integration carries two of (one of the first three, one of the rest): a DataObject
# document for each, a master on all but every fifth, so NO_MASTER and CONFLICTING_WRITERS both fire.
OBJECTS = [
    "customer",
    "vendor",
    "item",
    "invoice",
    "payment",
    "journal-entry",
    "employee",
    *(f"object-{n:02d}" for n in range(29)),
]


def declare_objects(systems: list) -> None:
    from catalog.models import DataObject

    DataObject.objects.bulk_create(
        DataObject(
            key=key,
            name=key.replace("-", " ").capitalize(),
            master=systems[n % len(systems)] if n % 5 else None,
            sequence_sensitive=n % 3 == 0,
        )
        for n, key in enumerate(OBJECTS)
    )


VALUE_MAPS = 60


def declare_value_maps(people: list) -> None:
    """Value maps of 200 rows each, every third not reviewed for a year (stale: STALE_SPEC names it)."""
    from catalog.models import ValueMap

    today = dt.date.today()
    rows = [{"source": f"{4000 + r}", "target": f"{40000 + r}"} for r in range(200)]
    ValueMap.objects.bulk_create(
        ValueMap(
            key=f"map-{n:02d}",
            owner=people[n % len(people)],
            reviewed_at=today - dt.timedelta(days=400 if n % 3 == 0 else 30),
            rows=rows,
            row_count=len(rows),
        )
        for n in range(VALUE_MAPS)
    )


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
                source=systems[n % len(systems)],
                target=systems[(n * 7 + 1) % len(systems)],
                # A common object and one of the rest; a bidirectional sixth writes its source too, so a
                # system gets an object from two sources (the ends of a one-way pair follow from n).
                direction="bidirectional" if n % 6 == 0 else "one-way",
                data_objects=[OBJECTS[n % 3], OBJECTS[3 + n % (len(OBJECTS) - 3)]],
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
                error_notify=[people[n % len(people)].email],
                resync=["replay-in-order", "current-state", "manual", "none"][n % 4],
                owner=people[n % len(people)] if n % 50 else None,
                backup_owner=people[(n + 3) % len(people)] if n % 3 else None,
                reviewed_at=today - dt.timedelta(days=n % 400) if n % 11 else None,
                deferred_since=today - dt.timedelta(days=n % 365) if deferred else None,
                target_date=today + dt.timedelta(days=30 - n % 60) if deferred else None,
                workaround_description="Weekly CSV export" if deferred else "",
                workaround_performed_by=people[n % len(people)] if deferred else None,
                workaround_hours_per_month=4 + n % 8 if deferred else None,
                workaround_every="weekly" if deferred else "",
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
    # A lookup on each: through a value map, or (every seventh) through none, an incomplete mapping.
    mappings += [
        Mapping(
            integration=i,
            position=2,
            source="line.account",
            target="line.glAccount",
            transform="lookup",
            value_map="" if n % 7 == 0 else f"map-{n % VALUE_MAPS:02d}",
        )
        for n, i in enumerate(created[::2], start=start)
    ]
    Mapping.objects.bulk_create(mappings, batch_size=2000)


def measure(label: str) -> tuple[float, int, int]:
    """(best seconds of three, queries, findings) of evaluating the whole estate."""
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
    return best, queries, len(findings)


def data_object_findings() -> tuple[bool, str]:
    """Both data-object codes are raised (the bench would time nothing of them otherwise)."""
    from collections import Counter

    from catalog.rules import evaluate_estate

    codes = Counter(f.code for f in evaluate_estate() if f.subject_type == "data_object")
    return codes["NO_MASTER"] > 0 and codes["CONFLICTING_WRITERS"] > 0, ", ".join(f"{n} {c}" for c, n in codes.items())


def value_map_findings() -> tuple[bool, str]:
    """Stale value maps and lookups without one are found (the bench would time nothing of them otherwise)."""
    from catalog.rules import evaluate_estate

    findings = evaluate_estate()
    stale = sum(f.code == "STALE_SPEC" and "value map" in f.message.lower() for f in findings)
    open_lookups = sum(f.code == "SPEC_INCOMPLETE" and "lookup without a value map" in f.message for f in findings)
    missed = sum(f.code == "WORKAROUND_MISSED" for f in findings)
    found = f"{stale} STALE_SPEC naming a value map, {open_lookups} lookups without one, {missed} WORKAROUND_MISSED"
    return stale > 0 and open_lookups > 0 and missed > 0, found


def time_refresh(findings: int, verdicts: Verdicts) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.rules.store import refresh_findings

    reports = []
    for label in ("first refresh (all new)", "steady refresh (unchanged)"):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            report = refresh_findings()
            took, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        print(f"{label}: {took:.3f} s (CPU {cpu:.3f} s), {len(captured)} queries, {report.as_dict()}")
        reports.append(report)
    first, steady = reports
    verdicts.check("first refresh stores every finding", first.created == findings, f"{first.created} of {findings}")
    verdicts.check(
        "steady refresh changes nothing",
        steady.unchanged == findings and steady.created == steady.updated == steady.resolved == 0,
        str(steady.as_dict()),
    )


def time_snapshot(count: int, verdicts: Verdicts) -> None:
    """The daily estate snapshot (catalog/trend/snapshot.py) of the whole estate, taken twice: the
    second updates the day's row. Judged: the time, and a query count that stays fixed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.models import EstateSnapshot
    from catalog.trend.snapshot import take_snapshot

    timings = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            take_snapshot()
            timings.append(time.perf_counter() - started)
    snapshot = EstateSnapshot.objects.get()
    print(
        f"estate snapshot: {snapshot.integrations:,} integrations, {snapshot.findings_critical:,} critical and "
        f"{snapshot.findings_warning:,} warning findings, {len(captured)} queries"
    )
    verdicts.check("one snapshot row after two", EstateSnapshot.objects.count() == 1, str(snapshot.taken_on))
    verdicts.check("snapshot counts every integration", snapshot.integrations == count, f"{snapshot.integrations:,}")
    verdicts.figure(f"snapshot {count:,} integrations", min(timings), "<", SNAPSHOT_TARGET_SECONDS, "s", digits=3)
    verdicts.check(
        "snapshot queries", len(captured) <= SNAPSHOT_MAX_QUERIES, f"{len(captured)} (at most {SNAPSHOT_MAX_QUERIES})"
    )


def main() -> int:
    quick = "--quick" in sys.argv
    small, big, system_count, people_count = SIZES["quick" if quick else "full"]
    verdicts = Verdicts(quick)
    folder = tempfile.mkdtemp(prefix="plumbline-bench-")
    try:
        setup_django(folder)
        from catalog.models import Person, System

        people = Person.objects.bulk_create(
            [
                Person(email=f"person{n}@example.com", name=f"Person {n}", active=n % 25 != 0)
                for n in range(people_count)
            ]
        )
        systems = System.objects.bulk_create(
            [
                System(key=f"system-{n:03d}", name=f"System {n}", version="1.0", owner=people[n % people_count])
                for n in range(system_count)
            ]
        )
        declare_objects(systems)
        declare_value_maps(people)
        build(0, small, people, systems)
        _, small_queries, _ = measure("evaluate_estate")
        build(small, big, people, systems)
        took, big_queries, findings = measure("evaluate_estate")
        verdicts.check(f"findings at {big:,} integrations", findings > 0, f"{findings:,} raised")
        verdicts.check(f"data-object findings at {big:,} integrations", *data_object_findings())
        verdicts.check(f"value-map and workaround findings at {big:,} integrations", *value_map_findings())
        time_refresh(findings, verdicts)
        verdicts.figure(f"evaluate {big:,} integrations", took, "<", TARGET_SECONDS, "s", digits=3)
        verdicts.figure(f"queries at {big:,} integrations beside {small:,}", big_queries, "==", small_queries, digits=0)
        time_snapshot(big, verdicts)
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        return verdicts.exit_code()
    finally:
        if "--keep" in sys.argv:
            print(f"database kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
