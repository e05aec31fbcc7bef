"""History benchmark: a year of history. 20 million runs (2,000 heartbeat integrations, one run every
5 minutes, so 10,000 runs or about 35 days each) generated in the database, with a few failures,
failed records (open and resolved) and flips; then what must stay flat at that size, each a median
of several tries, beside its target:

    .venv/bin/python bench/history_bench.py [--quick] [--runs 20000000] [--integrations 2000]
        [--database-url postgres://postgres@127.0.0.1:5432/plumbline_history_bench] [--requests 9] [--keep]

- the integration health page /integrations/<key>/health/, the health board /health/ and the runs
  API with filters (/api/v1/runs/?integration=…&status=…&since=…), requested in-process with
  django.test.Client logged in as an admin (as bench/web_bench.py): under 100 ms, at most 15 queries;
- the lateness pass (monitoring/health/lateness.evaluate_due) with a tenth of the sources due, and
  the observed-interval recompute of one source (a week of its successes): under 100 ms;
- the nightly prune of one day's runs (monitoring/health/retention.prune_history, 576,000 runs at
  full size): under 30 s, while a thread keeps accepting pings (monitoring.ingest.heartbeats.
  accept_ping_to): the slowest ping accepted during the prune under 250 ms; then a second night
  with another thread applying the pings as well, measured (the applier holds the state rows it
  applies to: issue 18's item 4, not the prune);
- the bytes stored per run (the runs table with its indexes and TOAST over its rows; PostgreSQL), measured.

Full size runs on PostgreSQL: the named database is created for the run and dropped afterwards
(--keep leaves it). Generating 20 million runs takes minutes and about 6 GB; --runs scales down
(e.g. --runs 2000000 for a quicker look). --quick: 20 integrations x 300 runs on a throwaway SQLite
file (or on --database-url), in seconds; checks only (every page answers, the prune deletes what it
should and keeps what it must, every ping accepted), no timing judged.
Exits 1 when a check fails or (outside --quick) a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from database import create_database, drop_database, setup_django  # noqa: E402  (bench/database.py)
from verdicts import Verdicts  # noqa: E402
from web_bench import admin_client  # noqa: E402  (the same admin as the page bench)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/plumbline_history_bench"
TARGET_MS = 100.0
TARGET_QUERIES = 15
TARGET_PRUNE_SECONDS = 30.0
TARGET_PING_MS = 250.0
CADENCE = dt.timedelta(minutes=5)
RUNS_PER_DAY = 288
FAILED_EVERY = 97  # one run in 97 fails
WITH_FAILED_RECORDS = 10  # one integration in ten has failed records
RETENTION_DAYS = 30  # the prune is run as if the oldest run were RETENTION_DAYS + 1 days old


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 integrations x 300 runs on SQLite; checks only")
    parser.add_argument("--runs", type=int, help="runs in all (default 20,000,000; 6,000 with --quick)")
    parser.add_argument("--integrations", type=int, help="default 2,000 (20 with --quick)")
    parser.add_argument(
        "--database-url",
        help=f"PostgreSQL database to create and drop (default {DEFAULT_DATABASE_URL}; --quick: SQLite unless given)",
    )
    parser.add_argument("--requests", type=int, help="tries per figure (default 9, 2 with --quick)")
    parser.add_argument("--keep", action="store_true", help="leave the PostgreSQL database (for a look after)")
    args = parser.parse_args()
    args.integrations = args.integrations or (20 if args.quick else 2000)
    args.runs = args.runs or (6000 if args.quick else 20_000_000)
    args.requests = args.requests or (2 if args.quick else 9)
    if not args.quick and not args.database_url:
        args.database_url = DEFAULT_DATABASE_URL
    return args


# The estate and its history


def build_estate(count: int) -> list[int]:
    """`count` heartbeat integrations (every 5 minutes, grace 30) with their health sources; their ids."""
    from catalog.models import Integration, Person, System
    from monitoring.health.specs import sync_sources

    people = Person.objects.bulk_create(
        Person(email=f"person{i}@bench.example.com", name=f"Person {i}", team=f"Team {i % 9}") for i in range(50)
    )
    systems = System.objects.bulk_create(
        System(key=f"system-{i:03d}", name=f"System {i}", category="erp", owner=people[i % 50]) for i in range(40)
    )
    Integration.objects.bulk_create(
        (
            Integration(
                key=f"integration-{i:05d}",
                name=f"Integration {i}",
                source=systems[i % 40],
                target=systems[(i * 7 + 1) % 40],
                lifecycle="live",
                sync_trigger="schedule",
                interval_minutes=5,
                health_grace_minutes=30,
                owner=people[i % 50],
                health_kind="heartbeat",
            )
            for i in range(count)
        ),
        batch_size=2000,
    )
    sync_sources()
    return list(Integration.objects.order_by("id").values_list("id", flat=True))


def generate_runs(ids: list[int], per_integration: int, newest: dt.datetime) -> None:
    """Runs k = per_integration-1 … 0 of every integration at newest - k x 5 minutes, oldest first
    (as they would have arrived), one run in FAILED_EVERY failed: on PostgreSQL in the database, a
    day at a time (INSERT … SELECT generate_series); elsewhere through the ORM (small sizes only)."""
    from django.db import connection, transaction

    from monitoring.models import Run

    if connection.vendor != "postgresql":
        runs = (
            Run(
                integration_id=pk,
                external_id=f"run-{k}",
                source_kind="heartbeat",
                status="failed" if (k + pk) % FAILED_EVERY == 0 else "success",
                started_at=at - dt.timedelta(seconds=30),
                finished_at=at,
                run_at=at,
                records_in=10,
                records_out=10,
                records_failed=0,
            )
            for k in range(per_integration - 1, -1, -1)
            for at in [newest - k * CADENCE]
            for pk in ids
        )
        Run.objects.bulk_create(runs, batch_size=2000)
        return
    table = connection.ops.quote_name(Run._meta.db_table)
    # Only the quoted table name is formatted in; every value is a parameter.
    sql = f"""
        INSERT INTO {table} (integration_id, external_id, source_kind, status, started_at, finished_at, run_at,
                             records_in, records_out, records_failed, message, test, created_at, updated_at)
        SELECT i, 'run-' || k, 'heartbeat',
               CASE WHEN (k + i) %% %(failed_every)s = 0 THEN 'failed' ELSE 'success' END,
               at - interval '30 seconds', at, at, 10, 10, 0, '', false, at, at
        FROM generate_series(%(high)s, %(low)s, -1) AS k
        CROSS JOIN LATERAL (SELECT %(newest)s::timestamptz - k * interval '5 minutes' AS at) AS t
        CROSS JOIN unnest(%(ids)s::integer[]) AS i
        ORDER BY k DESC, i
    """  # noqa: S608
    high = per_integration - 1
    while high >= 0:
        low = max(0, high - RUNS_PER_DAY + 1)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {"failed_every": FAILED_EVERY, "high": high, "low": low, "newest": newest, "ids": ids})
        high = low - 1


def settle_history(ids: list[int], per_integration: int, newest: dt.datetime) -> dict[str, int]:
    """The state rows as if the runs had been recorded (latest run, last success, observed interval,
    up), failed records on old failed runs of one integration in WITH_FAILED_RECORDS (two open, one
    resolved), and a few flips each. What the prune must keep, by name."""
    from django.db.models import Max, OuterRef, Subquery

    from monitoring.models import FailedRecord, Flip, HealthSource, PingCounter, Run

    latest = Run.objects.filter(integration_id=OuterRef("integration_id"), test=False).order_by("-run_at", "-id")
    HealthSource.objects.update(
        last_run_id=Subquery(latest.values("pk")[:1]),
        last_run_at=newest,
        last_success_at=newest,
        state="up",
        state_changed_at=newest - dt.timedelta(days=2),
        observed_median_minutes=5.0,
        observed_p95_minutes=5.0,
        observed_refreshed_at=newest,
        next_check_due_at=newest + CADENCE + dt.timedelta(microseconds=1),
    )
    PingCounter.objects.bulk_create(
        PingCounter(source_id=pk, last_ping_at=newest) for pk in HealthSource.objects.values_list("pk", flat=True)
    )
    oldest = newest - (per_integration - 1) * CADENCE
    records = []
    for n, pk in enumerate(ids[::WITH_FAILED_RECORDS]):
        # Its first failed run: the oldest of its history, so the prune has to keep it.
        first = next(k for k in range(per_integration - 1, -1, -1) if (k + pk) % FAILED_EVERY == 0)
        run = Run.objects.get(integration_id=pk, external_id=f"run-{first}")
        for position in (1, 2, 3):
            records.append(
                FailedRecord(
                    integration_id=pk,
                    run=run,
                    position=position,
                    key=f"ORDER-{n}-{position}",
                    error="customer not found",
                    occurred_at=run.run_at,
                    dedupe_key=f"id:{pk}-{position}",
                    recorded_at=run.run_at,
                    # The first is resolved a day after: old enough to go with its run.
                    resolved_at=run.run_at + dt.timedelta(hours=2) if position == 1 else None,
                )
            )
    FailedRecord.objects.bulk_create(records, batch_size=2000)
    HealthSource.objects.filter(integration_id__in=ids[::WITH_FAILED_RECORDS]).update(
        open_failed_records=2, oldest_open_failed_at=oldest, failed_record_seq=3
    )
    Flip.objects.bulk_create(
        (
            Flip(
                integration_id=pk,
                from_state=before,
                to_state=after,
                at=oldest + dt.timedelta(days=day),
                reason="bench",
                alerts_planned_at=oldest,
            )
            for pk in ids
            for day, before, after in ((0, "unknown", "up"), (3, "up", "late"), (3.01, "late", "up"))
        ),
        batch_size=5000,
    )
    kept_open = FailedRecord.objects.filter(resolved_at=None).values("run_id").distinct().count()
    return {
        "runs": Run.objects.count(),
        "oldest kept": kept_open,
        "newest run": int(Run.objects.aggregate(m=Max("run_at"))["m"] == newest),
    }


def vacuum_analyze() -> None:
    """What autovacuum would have done to a table that old: visibility map and statistics."""
    from django.db import connection

    from monitoring.models import Run

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model_table in (Run._meta.db_table, "monitoring_healthsource", "monitoring_failedrecord"):
                cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model_table)}")
        else:
            cursor.execute("ANALYZE")


def bytes_per_run() -> tuple[float, dict[str, int]] | None:
    """The runs table's bytes (heap, TOAST, every index) over its rows, and each index's size; PostgreSQL only."""
    from django.db import connection

    from monitoring.models import Run

    if connection.vendor != "postgresql":
        return None
    table = Run._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size(%s), pg_relation_size(%s), "
            "(SELECT reltuples FROM pg_class WHERE relname = %s)",
            [table, table, table],
        )
        total, heap, rows = cursor.fetchone()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass ORDER BY 2 DESC",
            [table],
        )
        sizes = {"heap": heap, **dict(cursor.fetchall())}
    return total / max(rows, 1), sizes


# Measuring


def timed(action: Callable[[], Any], tries: int, before: Callable[[], None] = lambda: None) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `tries` calls of `action` (after one to warm up)."""
    before()
    action()
    wall, cpu = [], []
    for _ in range(tries):
        before()
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def queries_of(action: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def bench_pages(
    client: Any, key: str, per_integration: int, newest: dt.datetime, tries: int, verdicts: Verdicts
) -> None:
    page = max(1, min(20, per_integration // 50))
    since = (newest - dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pages = [
        ("integration health page", f"/integrations/{key}/health/"),
        ("health board", "/health/"),
        ("health board, late only", "/health/?state=late"),
        ("runs API, one integration's failures", f"/api/v1/runs/?integration={key}&status=failed"),
        ("runs API, one integration's week", f"/api/v1/runs/?integration={key}&since={since}"),
        ("runs API, the estate's failures of a week", f"/api/v1/runs/?status=failed&since={since}"),
        ("runs API, the estate's newest", "/api/v1/runs/"),
        (f"runs API, page {page}", f"/api/v1/runs/?integration={key}&page={page}"),
    ]
    for label, url in pages:
        status = client.get(url).status_code
        if not verdicts.check(f"{label} {url} answers 200", status == 200, f"HTTP {status}"):
            continue
        wall, cpu = timed(functools.partial(client.get, url), tries)
        if "the estate's" in label:
            # Its page is an index range, but its exact count is of every matching run: O(runs).
            print(f"{label} median: {wall:,.1f} ms, CPU {cpu:.0f} ms (measured, not judged: counts every run)")
            continue
        verdicts.figure(f"{label} median (CPU {cpu:.0f} ms)", wall, "<", TARGET_MS, "ms")
        verdicts.figure(
            f"{label} queries", queries_of(functools.partial(client.get, url)), "<=", TARGET_QUERIES, digits=0
        )


def bench_lateness(ids: list[int], newest: dt.datetime, tries: int, verdicts: Verdicts) -> None:
    """A tenth of the sources due (their last success 6 minutes before `now`, so each turns late)."""
    from monitoring.health import lateness
    from monitoring.models import Flip, HealthSource

    due = ids[::10]
    now = newest + dt.timedelta(minutes=6)

    def make_due() -> None:
        Flip.objects.filter(integration_id__in=due, at=now).delete()
        HealthSource.objects.filter(integration_id__in=due).update(
            state="up", next_check_due_at=now - dt.timedelta(seconds=1)
        )

    HealthSource.objects.exclude(integration_id__in=due).update(next_check_due_at=now + CADENCE)
    reports = []
    wall, cpu = timed(lambda: reports.append(lateness.evaluate_due(now)), tries, make_due)
    evaluated = {report.evaluated for report in reports}
    verdicts.check("lateness pass evaluates every due source", evaluated == {len(due)}, f"{sorted(evaluated)}")
    verdicts.figure(f"lateness pass, {len(due)} due (CPU {cpu:.0f} ms)", wall, "<", TARGET_MS, "ms")
    make_due()
    print(f"lateness pass, {len(due)} due: {queries_of(lambda: lateness.evaluate_due(now))} queries (measured)")
    HealthSource.objects.filter(integration_id__in=due).update(state="up", next_check_due_at=now + CADENCE)


def bench_observed(key_id: int, newest: dt.datetime, tries: int, verdicts: Verdicts) -> None:
    """What a new success costs when the observed interval is due: a week of the source's successes."""
    from monitoring.health import store
    from monitoring.models import HealthSource

    source = HealthSource.objects.get(integration_id=key_id)
    wall, cpu = timed(lambda: store._refresh_observed_intervals([source], newest), tries)
    median = source.observed_median_minutes
    verdicts.check("observed interval recomputed", median == 5.0, f"median {median}")
    verdicts.figure(f"observed-interval recompute, one source (CPU {cpu:.0f} ms)", wall, "<", TARGET_MS, "ms")


class Pinger:
    """Pings accepted in a loop on a thread of its own (its own connection), as a web worker does,
    and with `apply` applied on another, as the applier does; the slowest acceptance is what the
    prune must not cause."""

    def __init__(self, ping_uuids: list[str], *, apply: bool) -> None:
        self.ping_uuids = ping_uuids
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._ping)]
        if apply:
            self.threads.append(threading.Thread(target=self._apply))

    def __enter__(self) -> Pinger:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _ping(self) -> None:
        from django.db import connection

        from monitoring.ingest.heartbeats import accept_ping_to
        from monitoring.ingest.pings import PingBody

        body = PingBody(records_in=10, records_out=10)
        n = 0
        try:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    accept_ping_to(self.ping_uuids[n % len(self.ping_uuids)], "success", body)
                except Exception as error:  # counted and shown: a lost ping fails the check
                    self.errors.append(repr(error))
                self.latencies.append((time.perf_counter() - started) * 1000)
                n += 1
                time.sleep(0.005)
        finally:
            connection.close()

    def _apply(self) -> None:
        from django.db import connection

        from monitoring.ingest.pending import apply_pending_pings

        try:
            while not self.stop.wait(0.25):
                apply_pending_pings()
        finally:
            connection.close()


def bench_prune(ids: list[int], oldest: dt.datetime, per_day: int, verdicts: Verdicts) -> None:
    """Two nights: the first prunes the oldest day while pings are accepted (judged: the prune must
    not hold them up); the second the next day while pings are also applied, as in production
    (measured: the applier holds the state rows of the pings it applies, which is issue 18's item 4)."""
    from catalog.models import Integration
    from monitoring.health import retention
    from monitoring.ingest.pending import apply_pending_pings
    from monitoring.models import FailedRecord, HealthSource, PendingPing, Run

    ping_uuids = [str(u) for u in Integration.objects.filter(pk__in=ids[:100]).values_list("ping_uuid", flat=True)]
    for night, apply in ((1, False), (2, True)):
        cutoff = oldest + dt.timedelta(days=night)
        expected_old = Run.objects.filter(run_at__lt=cutoff).count()
        must_keep = set(
            FailedRecord.objects.filter(resolved_at=None, run__run_at__lt=cutoff).values_list("run_id", flat=True)
        )
        before = Run.objects.order_by("-pk").values_list("pk", flat=True).first()
        pinger = Pinger(ping_uuids, apply=apply)
        with pinger:
            time.sleep(0.5)  # pings flowing before the prune starts
            first = len(pinger.latencies)
            started, started_cpu = time.perf_counter(), time.process_time()
            report = retention.prune_history(cutoff + dt.timedelta(days=RETENTION_DAYS), days=RETENTION_DAYS)
            seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
            latencies = sorted(pinger.latencies[first:]) or [0.0]
        accepted = len(pinger.latencies)
        apply_pending_pings()
        # Runs the pings added meanwhile are not the prune's business (in --quick they are old too).
        left_old = set(Run.objects.filter(run_at__lt=cutoff, pk__lte=before).values_list("pk", flat=True))
        last_runs = set(HealthSource.objects.values_list("last_run_id", flat=True))
        how = "pings applied too" if apply else "pings accepted"
        # Left of the old runs: exactly those of open failed records, and sources' latest (if that old).
        verdicts.check(
            f"night {night}: the day's runs deleted but the runs of open failed records and the latest",
            must_keep <= left_old <= must_keep | last_runs and report.runs >= expected_old - len(left_old),
            f"{report.runs:,} of {expected_old:,} deleted, {len(left_old)} kept",
        )
        verdicts.check(f"night {night}: every source's latest run kept", None not in last_runs, f"{len(last_runs)}")
        verdicts.check(
            f"night {night}: every ping accepted and applied",
            not pinger.errors and PendingPing.objects.count() == 0,
            f"{accepted} pings, {len(pinger.errors)} errors {pinger.errors[:2]}",
        )
        print(f"night {night} ({how}): {report} (a day is {per_day:,} runs)")
        spread = (
            f"{len(latencies)} pings during it: median {statistics.median(latencies):.1f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99)]:.1f} ms"
        )
        if not apply:
            verdicts.figure(f"nightly prune of a day's runs (CPU {cpu:.1f} s)", seconds, "<", TARGET_PRUNE_SECONDS, "s")
            verdicts.figure(
                f"slowest ping accepted during the prune ({spread})", latencies[-1], "<", TARGET_PING_MS, "ms"
            )
        else:
            print(
                f"night 2, {how}: prune {seconds:.1f} s (CPU {cpu:.1f} s); slowest ping {latencies[-1]:,.1f} ms "
                f"({spread}; measured, not judged: waits on the applier, not the prune)"
            )


def main() -> int:
    args = parse_args()
    verdicts = Verdicts(args.quick)
    os.environ["PLUMBLINE_PING_RATE_PER_MINUTE"] = "1000000"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    per_integration = args.runs // args.integrations
    if args.database_url:
        create_database(args.database_url)
    try:
        with tempfile.TemporaryDirectory(prefix="plumbline-history-bench-") as var_dir:
            setup_django(var_dir, args.database_url)
            from django.conf import settings
            from django.utils import timezone

            database = settings.DATABASES["default"]
            print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
            newest = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1)
            oldest = newest - (per_integration - 1) * CADENCE
            started = time.perf_counter()
            ids = build_estate(args.integrations)
            generate_runs(ids, per_integration, newest)
            generated = time.perf_counter() - started
            present = settle_history(ids, per_integration, newest)
            vacuum_analyze()
            print(
                f"generated {present['runs']:,} runs ({args.integrations:,} integrations x {per_integration:,}, "
                f"{(newest - oldest).total_seconds() / 86400:.1f} days) in {generated:.0f} s, "
                f"settled and analysed in {time.perf_counter() - started - generated:.0f} s"
            )
            verdicts.check(
                "runs generated", present["runs"] == per_integration * args.integrations, f"{present['runs']:,}"
            )
            if stored := bytes_per_run():
                per_run, sizes = stored
                print("runs table: " + ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in sizes.items()))
                print(f"bytes stored per run (table, TOAST and indexes over rows): {per_run:,.0f} (measured)")
            else:
                print("bytes stored per run: measured on PostgreSQL only")
            key_index = len(ids) // 2
            client = admin_client()
            bench_pages(client, f"integration-{key_index:05d}", per_integration, newest, args.requests, verdicts)
            bench_lateness(ids, newest, args.requests, verdicts)
            bench_observed(ids[key_index], newest, args.requests, verdicts)
            bench_prune(ids, oldest, RUNS_PER_DAY * args.integrations, verdicts)
            from django.db import connections

            connections.close_all()
        return verdicts.exit_code()
    finally:
        if args.database_url and not args.keep:
            drop_database(args.database_url)


if __name__ == "__main__":
    sys.exit(main())
