"""Spec import/export benchmark: generates a large plumbline/v1 estate as YAML files and times
import_specs, a second (all unchanged) import_specs and export_specs against a throwaway database.

    .venv/bin/python bench/import_bench.py [--quick] [--integrations N --systems M]
        [--database-url postgres://postgres@127.0.0.1:5432/plumbline_bench] [--profile] [--tracemalloc]

SQLite runs in a temporary PLUMBLINE_VAR_DIR. With --database-url the named PostgreSQL database
is created for the run and dropped afterwards (an existing database is never touched).
Targets (issue "Fast at the size of a large estate"): 10,000 integrations import in under 15 s and
export in under 5 s on a 2-core machine, with memory that does not keep growing between phases
(judged: the peak resident memory of the whole run at most 10% above the peak of the first import).
Checked at any size: the second import changes nothing. --quick: 30 integrations, nothing timed.
Exits 1 when a check fails or (outside --quick) a target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from database import create_database, drop_database, setup_django  # noqa: E402  (bench/database.py)
from verdicts import Verdicts  # noqa: E402

IMPORT_TARGET_SECONDS = 15.0
EXPORT_TARGET_SECONDS = 5.0
MEMORY_GROWTH_TARGET = 10.0  # percent: the peak after every phase beside the peak after the first import

CATEGORIES = [
    "erp",
    "crm",
    "payroll",
    "billing",
    "ecommerce",
    "banking",
    "hr",
    "procurement",
    "data-warehouse",
    "ipaas",
    "other",
]
PLATFORMS = ["boomi", "workato", "celigo", "mulesoft"]
BASE_URLS = {
    "boomi": "https://api.boomi.com",
    "workato": "https://www.workato.com",
    "celigo": "https://api.integrator.io",
    "mulesoft": "https://anypoint.mulesoft.com",
}
DATA_OBJECTS = [
    "invoice",
    "payment",
    "customer",
    "vendor",
    "sales-order",
    "journal-entry",
    "employee",
    "bank-transaction",
    "item",
    "credit-memo",
]
LIFECYCLES = ["live"] * 6 + ["planned", "building", "deprecated", "retired"]
CONNECTORS = ["ipaas"] * 4 + ["native"] * 2 + ["custom-api"] * 2 + ["file-transfer"] * 1 + ["manual"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny estate; checks it works, judges no target")
    parser.add_argument("--integrations", type=int, help="default 10,000 (30 with --quick)")
    parser.add_argument("--systems", type=int, help="default 500 (10 with --quick)")
    parser.add_argument("--files", type=int, help="YAML files to spread the estate over (default 50, 5 with --quick)")
    parser.add_argument("--database-url", help="postgres://… of a database to create for the run and drop after")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the first import and the export and print the top calls"
    )
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also report tracemalloc peaks (slows every phase ~2x)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (estate, export, profile)")
    args = parser.parse_args()
    quick = args.quick
    args.integrations = args.integrations or (30 if quick else 10_000)
    args.systems = args.systems or (10 if quick else 500)
    args.files = args.files or (5 if quick else 50)
    if args.systems < 2 or args.integrations < 1 or args.files < 5:
        parser.error("need at least 2 systems, 1 integration and 5 files")
    return args


# The generated estate


def _doc(kind: str, key: str, **fields: Any) -> dict[str, Any]:
    return {"apiVersion": "plumbline/v1", "kind": kind, "key": key, **fields}


def people(count: int) -> list[dict[str, Any]]:
    docs = []
    for i in range(count):
        fields: dict[str, Any] = {"name": f"Person {i}", "team": f"Team {i % 17}"}
        if i:
            fields["manager"] = f"person{(i - 1) // 5}@bench.example.com"
        if i % 50 == 49:
            fields["active"] = False
        docs.append(_doc("Person", f"person{i}@bench.example.com", **fields))
    return docs


def systems(count: int, person_count: int) -> list[dict[str, Any]]:
    return [
        _doc(
            "System",
            f"system-{i:04d}",
            name=f"System {i}",
            category=CATEGORIES[i % len(CATEGORIES)],
            vendor=f"Vendor {i % 37}",
            version=f"{2020 + i % 7}.{i % 4}",
            owner=f"person{i % person_count}@bench.example.com",
        )
        for i in range(count)
    ]


def accounts() -> list[dict[str, Any]]:
    docs = []
    for platform in PLATFORMS:
        for env in ("prod", "sandbox"):
            fields: dict[str, Any] = {"platform": platform, "base_url": BASE_URLS[platform]}
            if platform in ("boomi", "mulesoft"):
                fields["account_id"] = f"{platform}-{env}-account"
            fields["secret_env"] = f"PLUMBLINE_CRED_{platform.upper()}_{env.upper()}"
            docs.append(_doc("PlatformAccount", f"{platform}-{env}", **fields))
    return docs


def integration(i: int, rng: random.Random, system_count: int, person_count: int, today: dt.date) -> dict[str, Any]:
    key = f"integration-{i:05d}"
    source = rng.randrange(system_count)
    target = (source + 1 + rng.randrange(system_count - 1)) % system_count
    person = [f"person{rng.randrange(person_count)}@bench.example.com" for _ in range(3)]
    connector_type = CONNECTORS[i % len(CONNECTORS)]
    connector: dict[str, Any] = {"type": connector_type}
    health: dict[str, Any] = {"kind": "heartbeat", "grace_minutes": 30}
    if connector_type == "ipaas":
        platform = PLATFORMS[i % len(PLATFORMS)]
        connector["platform"] = platform
        health = {"kind": platform, "grace_minutes": 60, "account": f"{platform}-prod", "ref": f"ref-{i}"}
    elif connector_type == "custom-api":
        health = {"kind": "http", "grace_minutes": 15, "url": f"https://status.example.com/bench/{key}"}
    elif connector_type == "manual":
        health = {"kind": "none"}
    if connector_type in ("native", "ipaas", "custom-api"):
        connector.update(
            maintained_by=rng.choice(["source-vendor", "target-vendor", "ipaas-vendor", "internal", "partner"]),
            compatibility_sla_days=rng.choice([5, 14, 30]),
            api_version=f"v{rng.randrange(40, 66)}.0",
            api_retirement_date=today + dt.timedelta(days=rng.randrange(30, 900)),
        )
    trigger = "manual" if connector_type == "manual" else rng.choice(["event", "polling", "schedule"])
    sync: dict[str, Any] = {"trigger": trigger}
    if trigger == "event":
        sync["max_latency_minutes"] = rng.choice([1, 5, 15])
    elif trigger != "manual":
        sync["interval_minutes"] = rng.choice([5, 15, 60, 1440])
        sync["vendor_claim"] = "real-time"
        sync["min_records_per_run"] = 1
    objects = rng.sample(DATA_OBJECTS, 2)
    phase_two = i % 5 == 0
    doc = _doc(
        "Integration",
        key,
        name=f"Integration {i}",
        description=f"Generated integration {i} moving {' and '.join(objects)}.",
        source=f"system-{source:04d}",
        target=f"system-{target:04d}",
        direction=rng.choice(["one-way", "bidirectional"]),
        data_objects=objects,
        lifecycle="planned" if phase_two else LIFECYCLES[i % len(LIFECYCLES)],
        phase="phase-two" if phase_two else "go-live",
        connector=connector,
        sync=sync,
        ordering_key=f"{objects[0]}.createdAt",
        idempotency_key=f"{objects[0]}.id",
        error_handling={
            "surface": rng.choice(["alert", "monitored-channel", "log-file"]),
            "notify": [person[0], "#integration-alerts"],
            "resync": rng.choice(["replay-in-order", "current-state", "manual"]),
        },
        owner=person[0],
        backup_owner=person[1],
        documentation=f"https://wiki.example.com/integrations/{key}",
        reviewed_at=today - dt.timedelta(days=rng.randrange(0, 400)),
    )
    if phase_two:
        doc["deferred_since"] = today - dt.timedelta(days=rng.randrange(10, 300))
        doc["target_date"] = today + dt.timedelta(days=rng.randrange(-30, 200))
    doc["workaround"] = {
        "description": f"Manual CSV export and load for {key}.",
        "performed_by": person[2],
        "hours_per_month": rng.choice([2, 4, 6.5, 10]),
    }
    doc["build_estimate_hours"] = rng.choice([16, 40, 80])
    doc["mappings"] = [
        {
            "source": f"{objects[0]}.field{m}",
            "target": f"{objects[1]}.field{m}",
            **({"required": True} if m < 2 else {}),
            **({"transform": "uppercase"} if m % 3 == 2 else {}),
        }
        for m in range(rng.randrange(3, 9))
    ]
    doc["health"] = health
    return doc


def golives(count: int, integration_count: int, person_count: int, today: dt.date) -> list[dict[str, Any]]:
    size = max(1, min(200, integration_count // 10))
    return [
        _doc(
            "GoLive",
            f"go-live-{g}",
            name=f"Go-live {g}",
            date=today + dt.timedelta(days=30 * (g + 1)),
            approver=f"person{g % person_count}@bench.example.com",
            integrations=[f"integration-{(g * size + n) % integration_count:05d}" for n in range(size)],
        )
        for g in range(count)
    ]


def write_estate(folder: Path, args: argparse.Namespace) -> int:
    """Write the estate as YAML files; returns the number of documents."""
    from catalog.spec.exporter import dump_documents

    rng = random.Random(20261126)
    today = dt.date.today()
    person_count = max(12, args.systems // 2)
    folder.mkdir(parents=True)
    fixed = {
        "people.yaml": people(person_count),
        "systems.yaml": systems(args.systems, person_count),
        "platform-accounts.yaml": accounts(),
        "golives.yaml": golives(3, args.integrations, person_count, today),
    }
    for name, docs in fixed.items():
        (folder / name).write_text(dump_documents(docs), encoding="utf-8")
    total = sum(len(docs) for docs in fixed.values())
    files = args.files - len(fixed)
    per_file = -(-args.integrations // files)
    for f in range(files):
        numbers = range(f * per_file, min((f + 1) * per_file, args.integrations))
        docs = [integration(i, rng, args.systems, person_count, today) for i in numbers]
        if docs:
            (folder / f"integrations-{f:03d}.yaml").write_text(dump_documents(docs), encoding="utf-8")
            total += len(docs)
    return total


# Measuring


def rss_mb() -> float:
    """Resident memory now (not the peak), from /proc; 0 where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def measured(label: str, results: list[dict[str, Any]], args: argparse.Namespace) -> Iterator[None]:
    from django.db import connection

    counter = QueryCounter()
    if args.tracemalloc:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    with connection.execute_wrapper(counter):
        yield
    seconds, cpu = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    row: dict[str, Any] = {
        "phase": label,
        "seconds": seconds,
        "user": cpu.ru_utime - cpu_started.ru_utime,
        "sys": cpu.ru_stime - cpu_started.ru_stime,
        "queries": counter.count,
    }
    if args.tracemalloc:
        row["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    row["rss_mb"] = rss_mb()
    row["peak_rss_mb"] = peak_rss_mb()
    results.append(row)


@contextmanager
def profiled(profiler: cProfile.Profile | None) -> Iterator[None]:
    if profiler is None:
        yield
        return
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()


def run_command(name: str, *args: str) -> str:
    from django.core.management import call_command

    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue().strip()


# Main


def main() -> int:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="plumbline-bench-"))
    if args.database_url:
        create_database(args.database_url)
    try:
        setup_django(work / "var", args.database_url)
        return benchmark(args, work)
    finally:
        from django.db import connections

        connections.close_all()
        if args.database_url:
            drop_database(args.database_url)
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def benchmark(args: argparse.Namespace, work: Path) -> int:
    from django.conf import settings

    database = settings.DATABASES["default"]
    print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
    started = time.perf_counter()
    estate = work / "estate"
    documents = write_estate(estate, args)
    size_mb = sum(p.stat().st_size for p in estate.iterdir()) / 2**20
    print(
        f"estate: {args.integrations} integrations over {args.systems} systems, {documents} documents "
        f"in {len(list(estate.iterdir()))} files ({size_mb:.1f} MB), generated in "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(f"memory before import: rss {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB")

    results: list[dict[str, Any]] = []
    profilers = {"import": cProfile.Profile(), "export": cProfile.Profile()} if args.profile else {}
    with measured("import", results, args), profiled(profilers.get("import")):
        first = run_command("import_specs", str(estate))
    with measured("re-import", results, args):
        second = run_command("import_specs", str(estate))
    with measured("export", results, args), profiled(profilers.get("export")):
        exported = run_command("export_specs", str(work / "export"))
    print(f"import:    {first}\nre-import: {second}\nexport:    {exported}")

    # Wall seconds are what the targets are about; CPU seconds (this process only: user, and sys,
    # which creating 10,000 files on a busy disk inflates) show how much of them a busy machine added.
    print(
        f"\n{'phase':<10} {'seconds':>8} {'user s':>8} {'sys s':>8} {'queries':>8} {'rss MB':>8} {'peak MB':>8}", end=""
    )
    print(f" {'traced peak MB':>15}" if args.tracemalloc else "")
    for row in results:
        line = (
            f"{row['phase']:<10} {row['seconds']:>8.2f} {row['user']:>8.2f} {row['sys']:>8.2f} {row['queries']:>8} "
            f"{row['rss_mb']:>8.0f} "
        )
        line += f"{row['peak_rss_mb']:>8.0f}"
        if args.tracemalloc:
            line += f" {row['traced_peak_mb']:>15.0f}"
        print(line)
    if args.tracemalloc:
        print("(timings include tracemalloc overhead)")

    for phase, profiler in profilers.items():
        path = work / f"{phase}.prof"
        profiler.dump_stats(path)
        for order in ("cumulative", "tottime"):
            print(f"\n== {phase}, top 25 by {order}")
            pstats.Stats(str(path)).strip_dirs().sort_stats(order).print_stats(25)

    verdicts = Verdicts(args.quick)
    phases = {row["phase"]: row for row in results}
    verdicts.figure(
        f"import {args.integrations:,} integrations",
        phases["import"]["seconds"],
        "<",
        IMPORT_TARGET_SECONDS,
        "s",
    )
    verdicts.figure(
        f"export {args.integrations:,} integrations",
        phases["export"]["seconds"],
        "<",
        EXPORT_TARGET_SECONDS,
        "s",
    )
    growth = (results[-1]["peak_rss_mb"] / phases["import"]["peak_rss_mb"] - 1) * 100
    verdicts.figure("peak memory growth after the first import", growth, "<=", MEMORY_GROWTH_TARGET, "%")
    verdicts.check(f"first import creates all {documents} documents", f"{documents} created," in first, repr(first))
    verdicts.check("second import changes nothing", "0 created, 0 updated" in second, repr(second))
    return verdicts.exit_code()


if __name__ == "__main__":
    sys.exit(main())
