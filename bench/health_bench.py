"""Health benchmark: pulled polls per second through real Celery workers, and heartbeat pings per
second through gunicorn compared with a plain Django "OK" view.

    .venv/bin/python bench/health_bench.py [--quick] [--sources 5000] [--concurrency 2]
        [--database-url postgres://postgres@127.0.0.1:5432/plumbline_health_bench]
        [--redis-url redis://127.0.0.1:6379/13] [--pings 4000] [--rounds 3] [--clients 4]
        [--skip-polls] [--skip-pings] [--skip-history] [--lateness-sources 10000] [--skip-lateness]

Polls: N http sources point at a stand-in status page on 127.0.0.1 (each poll returns one new
run and two already seen, so every poll upserts); all are made due and enqueued at once, and a
worker with --concurrency prefork processes (the issue's "2 worker processes") works through
them. Measured twice: first poll of every source, then a second round. Target >= 200 polls/s.
Platform polls: --platform-sources integrations on each newer adapter (json reading Airbyte's job list, SAP
Integration Suite, Azure Logic Apps, Informatica IDMC), each against its stand-in (token or session got once,
shared through the cache), first and second poll through the same worker; target >= 200 polls/s each.
Pings: gunicorn (2 x cores + 1 sync workers, as gunicorn recommends and bin/run starts) serving
plumbline.wsgi, POST /ping/<uuid> with a JSON body, while a Celery worker applies the pings the
endpoint queues (as in production), against the same gunicorn serving a csrf-exempt Django view
that only returns "OK", in turns. The load generator is this file's: --clients processes posting
with http.client, one connection per request (wrk is not installed here). Targets: over 1,000 URLs
the median ping rate >= 50% of the median OK rate; to one busy URL (rate limit off) p99 latency
<= 250 ms. The same two turns with PLUMBLINE_PING_FAST_COMMIT=false are reported, not judged.
After each ping turn the worker drains the backlog; every ping accepted must then be a stored run.
Each turn also reports the CPU it cost per request, by part (web server, applying worker, PostgreSQL,
load generator; read from /proc): on two shared cores the rate is the CPU budget divided by that sum.
History: what recording one run costs a source with a week of one-minute successes.
Lateness: --lateness-sources heartbeat sources (default 10,000) with cron schedules in time zones, on a
business calendar with holidays, some under a month-end freeze; first at their real next checks (the
due query's plan, EXPLAIN, must use the next_check_due_at index; not judged in --quick, where the table is
too small for a planner to use any index), then all made due and one beat pass of
monitoring.health.lateness.evaluate_due over them: its queries and time, and the queries that find the
due sources beside the target, one indexed query per pass.

SQLite runs in a temporary PLUMBLINE_VAR_DIR; with --database-url the named PostgreSQL database
is created for the run and dropped afterwards. Tasks go to a queue of their own on Redis.
Checked at any size: no poll errors, every run stored once, every ping answered 200 and stored.
--quick: 20 sources, 40 pings, one round, a day of history, 50 lateness sources; nothing timed is judged, and polls and
pings are skipped (said so) when Redis does not answer. Exits 1 when a check fails or (outside
--quick) a target is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import redis
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from database import create_database, drop_database, setup_django  # noqa: E402  (bench/database.py)
from verdicts import Verdicts  # noqa: E402

TARGET_POLLS_PER_SECOND = 200
TARGET_PING_RATIO = 0.5
TARGET_BUSY_P99_MS = 250
TARGET_DUE_QUERIES_PER_PASS = 1
PING_BODY = json.dumps({"records_in": 10, "records_out": 10, "message": "nightly batch"}).encode()


# The plain view gunicorn serves for comparison: `gunicorn health_bench:plain_app`.


@csrf_exempt
def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("OK", content_type="text/plain; charset=utf-8")


urlpatterns = [path("ok", ok)]
_plain: Any = None


def plain_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Django with all of Plumbline's middleware, but this module as the URLconf."""
    global _plain
    if _plain is None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plumbline.settings")
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application

        settings.ROOT_URLCONF = __name__
        _plain = get_wsgi_application()
    return _plain(environ, start_response)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes; checks it works, judges no target")
    parser.add_argument("--sources", type=int, help="default 5000 (20 with --quick)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (prefork pool size)")
    parser.add_argument("--database-url", help="postgres://… of a database to create for the run and drop after")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--platform-sources", type=int, help="sources of each newer platform (default 500, 5 with --quick)"
    )
    parser.add_argument("--pings", type=int, help="requests per ping measurement (default 4000, 40 with --quick)")
    parser.add_argument("--rounds", type=int, help="turns of each server in the ping measurement (default 3, 1)")
    parser.add_argument(
        "--gunicorn-workers",
        type=int,
        help="sync workers of both servers (default: gunicorn's recommended 2 x cores + 1, as bin/run; 1 with --quick)",
    )
    parser.add_argument("--clients", type=int, default=4, help="load generator processes in the ping turns")
    parser.add_argument("--skip-polls", action="store_true")
    parser.add_argument("--skip-pings", action="store_true")
    parser.add_argument("--skip-history", action="store_true")
    parser.add_argument("--lateness-sources", type=int, help="cron sources of the lateness pass (default 10000, 50)")
    parser.add_argument("--skip-lateness", action="store_true")
    args = parser.parse_args()
    quick = args.quick
    args.sources = args.sources or (20 if quick else 5000)
    args.pings = args.pings or (40 if quick else 4000)
    args.platform_sources = args.platform_sources or (5 if quick else 500)
    args.rounds = args.rounds or (1 if quick else 3)
    args.gunicorn_workers = args.gunicorn_workers or (1 if quick else 2 * (os.cpu_count() or 1) + 1)
    args.history_minutes = 24 * 60 if quick else 7 * 24 * 60
    args.lateness_sources = args.lateness_sources or (50 if quick else 10_000)
    return args


# Stand-in status pages


class StatusPages:
    """/status/<n>: the DESIGN.md HTTP pull shape; each request shows one run more than the last."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        pages = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a platform API would
            disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall

            def do_GET(self) -> None:
                with pages.lock:
                    count = pages.hits[self.path] = pages.hits.get(self.path, 0) + 1
                body = json.dumps(pages.body(self.path.rsplit("/", 1)[-1], count)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 256
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    @staticmethod
    def body(source: str, count: int) -> dict[str, Any]:
        now = time.time()
        runs = []
        for k in range(count + 2, count - 1, -1):  # newest first: one new run, two seen before
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - (count + 2 - k) * 900))
            runs.append({"id": f"{source}-{k}", "finished_at": at, "status": "success", "records_out": 10})
        return {"runs": runs, "failed_records": []}


# Polls through Celery


def build_sources(count: int, base_url: str) -> None:
    from catalog.models import Integration, System
    from monitoring.health.specs import sync_sources

    source, _ = System.objects.get_or_create(key="bench-source")
    target, _ = System.objects.get_or_create(key="bench-target")
    Integration.objects.bulk_create(
        (
            Integration(
                key=f"poll-{n:05d}",
                source=source,
                target=target,
                sync_trigger="schedule",
                interval_minutes=15,
                health_kind="http",
                health_url=f"{base_url}/status/{n}",
            )
            for n in range(count)
        ),
        batch_size=1000,
    )
    sync_sources()


def start_worker(queue: str, concurrency: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "celery", "-A", "plumbline", "worker", "--pool=prefork"]
    command += [f"--concurrency={concurrency}", "-Q", queue, f"--hostname=bench-{queue}@%h", "--loglevel=WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    from plumbline.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(destination=[f"bench-{queue}@{socket.gethostname()}"], timeout=0.5):
            return process
    process.kill()
    raise SystemExit("the Celery worker did not start")


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Warm shutdown, waiting for the task at hand; killed when that takes over 30 s (a long apply
    pass), so a slow shutdown never loses the figures already measured."""
    worker.terminate()
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def poll_round(queue: str, count: int, kind: str | None = None) -> tuple[float, int]:
    """Make every source (of `kind`) due, enqueue them all, wait until each has been polled; (seconds, errors)."""
    from django.utils import timezone

    from monitoring import tasks
    from monitoring.ingest.polling import poll_due_sources
    from monitoring.models import HealthSource

    sources = HealthSource.objects.filter(kind=kind) if kind else HealthSource.objects.all()
    HealthSource.objects.exclude(pk__in=sources.values("pk")).update(next_poll_at=None)
    sources.update(next_poll_at=timezone.now(), last_polled_at=None)
    started = time.perf_counter()
    poll_due_sources(lambda ids: tasks.poll_sources.apply_async((ids,), queue=queue))
    enqueued = time.perf_counter() - started
    while sources.filter(last_polled_at=None).exists():
        time.sleep(0.2)
        if time.perf_counter() - started > 600:
            raise SystemExit("polls did not finish within 10 minutes")
    seconds = time.perf_counter() - started
    errors = sources.exclude(last_poll_error="").count()
    if errors:
        print(f"  first poll error: {sources.exclude(last_poll_error='').values_list('last_poll_error', flat=True)[0]}")
    print(f"  enqueued {count} polls in {enqueued:.1f} s")
    return seconds, errors


def bench_polls(args: argparse.Namespace, env: dict[str, str], verdicts: Verdicts) -> None:
    from monitoring.models import Run

    pages = StatusPages()
    build_sources(args.sources, pages.base_url)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    worker = start_worker(queue, args.concurrency, env)
    try:
        for label in ("first poll", "second poll"):
            seconds, errors = poll_round(queue, args.sources)
            rate = args.sources / seconds
            print(
                f"{label}: {args.sources} sources in {seconds:.1f} s "
                f"({args.concurrency} worker processes; {Run.objects.count()} runs stored)"
            )
            verdicts.figure(
                f"{label} of {args.sources:,} sources", rate, ">=", TARGET_POLLS_PER_SECOND, "polls/s", digits=0
            )
            verdicts.check(f"{label} errors", errors == 0, str(errors))
    finally:
        stop_worker(worker)
        pages.server.shutdown()
    expected_runs = args.sources * 4  # 3 runs on the first poll, one new run on the second
    stored = Run.objects.count()
    verdicts.check("runs stored, none lost, none twice", stored == expected_runs, f"{stored} of {expected_runs}")


# Polls of the newer adapters, each against its stand-in

JSON_HEALTH = {
    "items": "data",
    "fields": {"id": "jobId", "status": "status", "started_at": "startTime", "finished_at": "lastUpdatedAt"},
    "status_map": {"succeeded": "success", "failed": "failed", "running": "running"},
    "next": "next",
}


def platform_standins(count: int) -> list[tuple[str, Any, dict[str, str], dict[str, str]]]:
    """(kind, stand-in, account fields, credential variables) of each platform whose polls are measured: every
    stand-in holds three finished runs for each of `count` flows, tasks or workflows named after their number."""
    import datetime as dt

    from monitoring.platforms.azure_logic_apps import standin as azure
    from monitoring.platforms.informatica import standin as informatica
    from monitoring.platforms.json_runs import standin as json_runs
    from monitoring.platforms.sap_integration_suite import standin as sap

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ended = [now - dt.timedelta(minutes=15 * k) for k in (3, 2, 1)]
    sap_logs = [
        {
            "MessageGuid": f"AGm-{n}-{k}",
            "LogStart": sap.odata_date(int(at.timestamp() * 1000) - 2000),
            "LogEnd": sap.odata_date(int(at.timestamp() * 1000)),
            "IntegrationFlowName": f"flow-{n}",
            "Status": "COMPLETED",
        }
        for n in range(count)
        for k, at in enumerate(ended)
    ]
    tenant = sap.SapIntegrationSuiteStandIn(clients={"bench-sap": "sap-secret"}, logs=sap_logs)
    tokens = azure.EntraTokenStandIn(tenant="bench", clients={"bench-azure": "azure-secret"})
    arm = azure.AzureLogicAppsStandIn(
        tokens=tokens,
        subscription="sub",
        resource_group="rg",
        workflows=[azure.workflow(f"flow-{n}") for n in range(count)],
        runs={
            f"flow-{n}": [
                azure.run(
                    f"run-{n}-{k}", "Succeeded", at.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"), workflow_name=f"flow-{n}"
                )
                for k, at in enumerate(ended)
            ]
            for n in range(count)
        },
    )
    login = informatica.InformaticaStandIn(
        username="bench",
        password="informatica-secret",  # noqa: S106 (the stand-in's, for the bench)
        log=[
            informatica.entry(f"{n}-{k}", f"flow-{n}", at, run_id=k + 1)
            for n in range(count)
            for k, at in enumerate(ended)
        ],
    )
    # health.kind json reading Airbyte's job list (docs/json-health.md): the same three jobs for every
    # connection id, stored as each integration's own runs.
    jobs = json_runs.JsonRunsStandIn(
        token="bench-json-token",  # noqa: S106 (the stand-in's, for the bench)
        page_size=50,
        runs=[
            {"jobId": 3 - k, "status": "succeeded", "startTime": at.isoformat(), "lastUpdatedAt": at.isoformat()}
            for k, at in enumerate(reversed(ended))
        ],
    )
    return [
        ("json", jobs, {}, {"PLUMBLINE_CRED_BENCH_JSON": "bench-json-token"}),
        (
            "sap-integration-suite",
            tenant,
            {"token_url": "/oauth/token"},
            {"PLUMBLINE_CRED_BENCH_SAP": "bench-sap:sap-secret"},
        ),
        (
            "azure-logic-apps",
            (arm, tokens),
            {"account_id": "sub/rg"},
            {"PLUMBLINE_CRED_BENCH_AZURE": "bench-azure:azure-secret"},
        ),
        ("informatica", login, {}, {"PLUMBLINE_CRED_BENCH_INFORMATICA": "bench:informatica-secret"}),
    ]


def bench_platform_polls(args: argparse.Namespace, env: dict[str, str], verdicts: Verdicts) -> None:
    """The newer adapters (a JSON run history, SAP Integration Suite, Azure Logic Apps, Informatica IDMC) through
    the same kind of worker as the HTTP polls: `--platform-sources` integrations each, a first poll (three runs
    each, a token or session got once and shared through the cache) and a second (nothing new)."""
    from contextlib import ExitStack

    from catalog.models import Integration, PlatformAccount, System
    from monitoring.health.specs import sync_sources
    from monitoring.models import Run

    count = args.platform_sources
    system, _ = System.objects.get_or_create(key="bench-platform-system")
    platforms = platform_standins(count)
    with ExitStack() as stack:
        for kind, standin, fields, credentials in platforms:
            servers = standin if isinstance(standin, tuple) else (standin,)
            bases = [stack.enter_context(server) for server in servers]
            token_url = fields.get("token_url", "")
            if kind == "azure-logic-apps":
                token_url = servers[1].token_url
            elif token_url:
                token_url = bases[0] + token_url
            account = PlatformAccount.objects.create(
                key=f"bench-{kind}",
                platform=kind,
                base_url=bases[0],
                account_id=fields.get("account_id", ""),
                secret_env=next(iter(credentials)),
                token_url=token_url,
            )
            Integration.objects.bulk_create(
                Integration(
                    key=f"{kind}-{n:05d}",
                    source=system,
                    target=system,
                    sync_trigger="schedule",
                    interval_minutes=15,
                    health_kind=kind,
                    health_account=account,
                    health_ref="" if kind == "json" else f"flow-{n}",
                    health_json=JSON_HEALTH | {"path": f"/v1/jobs?connectionId={n}"} if kind == "json" else {},
                )
                for n in range(count)
            )
        sync_sources()
        credentials = {name: value for *_, values in platforms for name, value in values.items()}
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        worker = start_worker(queue, args.concurrency, {**env, **credentials})
        try:
            for kind, *_ in platforms:
                for label in ("first poll", "second poll"):
                    seconds, errors = poll_round(queue, count, kind)
                    runs = Run.objects.filter(source_kind=kind).count()
                    print(f"{kind} {label}: {count} sources in {seconds:.1f} s ({runs} runs stored)")
                    verdicts.figure(
                        f"{kind} {label} of {count:,} sources",
                        count / seconds,
                        ">=",
                        TARGET_POLLS_PER_SECOND,
                        "polls/s",
                        digits=0,
                    )
                    verdicts.check(f"{kind} {label} errors", errors == 0, str(errors))
                stored = Run.objects.filter(source_kind=kind).count()
                verdicts.check(
                    f"{kind} runs stored, none lost, none twice", stored == 3 * count, f"{stored} of {3 * count}"
                )
        finally:
            stop_worker(worker)


# Pings through gunicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(app: str, env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--pythonpath", f"{ROOT},{ROOT / 'bench'}", "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"gunicorn {app} did not start")


def _post_many(job: tuple[int, list[str]]) -> tuple[int, int, list[float]]:
    """POST each path once on a fresh connection (gunicorn's sync workers close it); (ok, other,
    seconds each request took)."""
    port, paths = job
    ok = other = 0
    took = []
    for url_path in paths:
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", url_path, body=PING_BODY, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        connection.close()
        took.append(time.perf_counter() - started)
        if response.status == 200:
            ok += 1
        else:
            other += 1
    return ok, other, took


TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command name, parent pid, CPU seconds of the process and of its reaped children) from /proc."""
    try:
        line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = line[line.index("(") + 1 : line.rindex(")")]
    fields = line[line.rindex(")") + 2 :].split()
    # fields[1] ppid; fields[11:15] utime, stime, cutime, cstime (proc(5), counted from "state")
    return name, int(fields[1]), sum(int(field) for field in fields[11:15]) / TICKS


def cpu_by_part(server: int, worker: int) -> dict[str, float]:
    """CPU seconds used so far by each part of a turn: the web server (gunicorn and its workers), the
    applying Celery worker (and its pool), PostgreSQL (every postgres process; a backend that has
    exited is counted in the postmaster's reaped children) and the load generator (this process
    and its reaped client processes)."""
    stats = {int(pid): stat for pid in os.listdir("/proc") if pid.isdigit() and (stat := _stat(int(pid)))}

    def tree(root: int) -> float:
        members, grew = {root}, True
        while grew:
            more = {pid for pid, (_, ppid, _) in stats.items() if ppid in members} - members
            members |= more
            grew = bool(more)
        return sum(stats[pid][2] for pid in members if pid in stats)

    own = os.times()
    return {
        "web": tree(server),
        "applier": tree(worker),
        "postgres": sum(cpu for name, _, cpu in stats.values() if name.startswith("postgres")),
        "load generator": own.user + own.system + own.children_user + own.children_system,
    }


@dataclass
class Turn:
    seconds: float
    ok: int
    other: int
    took: list[float]
    cpu: dict[str, float] | None = None  # CPU seconds per request, by part

    @property
    def rate(self) -> float:
        return (self.ok + self.other) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.took)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def hammer(port: int, paths: list[str], clients: int) -> Turn:
    """`clients` processes (the load generator: Python's http.client, one connection per request)
    share the paths; all answers and each request's time."""
    jobs = [(port, paths[n::clients]) for n in range(clients)]
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        started = time.perf_counter()
        results = pool.map(_post_many, jobs)
        seconds = time.perf_counter() - started
    return Turn(seconds, sum(r[0] for r in results), sum(r[1] for r in results), [t for r in results for t in r[2]])


def drain(limit: float = 900) -> tuple[float, int]:
    """Wait until the worker has applied every pending ping; (seconds waited, pings left)."""
    from monitoring.models import PendingPing

    started = time.perf_counter()
    while (left := PendingPing.objects.count()) and time.perf_counter() - started < limit:
        time.sleep(0.2)
    return time.perf_counter() - started, left


def bench_pings(args: argparse.Namespace, env: dict[str, str], verdicts: Verdicts) -> None:
    """Ingestion as in production: gunicorn serving the pings while a Celery worker applies them
    (queued by the ping endpoint itself), against the plain OK view, in turns (OK, pings over 1,000
    URLs, pings to one busy URL, and both ping turns again with PLUMBLINE_PING_FAST_COMMIT=false),
    medians compared, as this machine's speed drifts by a quarter from one minute to the next. After
    each ping turn the worker drains the backlog before the next turn starts; then every accepted
    ping must be stored as a run, none lost, none twice."""
    from catalog.models import Integration, System
    from monitoring.health.specs import sync_sources
    from monitoring.models import DeadPing, PendingPing, Run

    system, _ = System.objects.get_or_create(key="bench-pinger")
    Integration.objects.bulk_create(
        Integration(key=f"ping-{n:04d}", source=system, target=system, interval_minutes=15, health_kind="heartbeat")
        for n in range(min(1000, args.pings))
    )
    sync_sources()
    uuids = list(Integration.objects.filter(key__startswith="ping-").values_list("ping_uuid", flat=True))
    spread = [f"/ping/{uuids[n % len(uuids)]}" for n in range(args.pings)]
    busy = [f"/ping/{uuids[0]}"] * args.pings
    slow = {**env, "PLUMBLINE_PING_FAST_COMMIT": "false"}
    turns = {
        "plain Django OK view": ("health_bench:plain_app", ["/ok"] * args.pings, env),
        f"pings over {len(uuids):,} URLs": ("plumbline.wsgi", spread, env),
        "pings to one busy URL": ("plumbline.wsgi", busy, env),
        f"pings over {len(uuids):,} URLs, fast commit off": ("plumbline.wsgi", spread, slow),
        "pings to one busy URL, fast commit off": ("plumbline.wsgi", busy, slow),
    }
    measured: dict[str, list[Turn]] = {label: [] for label in turns}
    accepted = refused = 0
    load = os.getloadavg()
    worker = start_worker(env["PLUMBLINE_CELERY_QUEUE"], 1, env)
    try:
        for _ in range(args.rounds):
            for label, (app, paths, server_env) in turns.items():
                server, port = start_gunicorn(app, server_env, args.gunicorn_workers)
                try:
                    warm = hammer(port, paths[:200], args.clients)  # warm up the workers
                    before = cpu_by_part(server.pid, worker.pid)
                    turn = hammer(port, paths, args.clients)
                    after = cpu_by_part(server.pid, worker.pid)
                    turn.cpu = {part: (after[part] - before[part]) / len(paths) for part in after}
                finally:
                    server.terminate()
                    server.wait(30)
                measured[label].append(turn)
                if app == "plumbline.wsgi":
                    accepted += warm.ok + turn.ok
                    refused += warm.other + turn.other
                    waited, left = drain()
                    print(f"  {label}: {turn.rate:.0f}/s; the worker finished applying {waited:.1f} s after the turn")
                    if left:
                        break
    finally:
        stop_worker(worker)
    print(f"load average before the pings: {load[0]:.1f}; after: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")

    def median_rate(label: str) -> float:
        return statistics.median(turn.rate for turn in measured[label])

    for label, label_turns in measured.items():
        listed = ", ".join(f"{turn.rate:.0f}" for turn in label_turns)
        took = Turn(0, 0, 0, [t for turn in label_turns for t in turn.took])
        print(
            f"{label}: {median_rate(label):.0f}/s median of {args.rounds} turns ({listed}); latency p50 "
            f"{took.percentile(0.5) * 1000:.0f} ms, p99 {took.percentile(0.99) * 1000:.0f} ms, "
            f"max {max(took.took) * 1000:.0f} ms (gunicorn, {args.gunicorn_workers} sync workers, "
            f"{args.clients} clients, a worker applying)"
        )
        cpu = [turn.cpu for turn in label_turns if turn.cpu]
        parts = {part: statistics.median(each[part] for each in cpu) for part in (cpu[0] if cpu else {})}
        print(
            "  CPU per request, median of turns: "
            + ", ".join(f"{part} {ms * 1000:.2f} ms" for part, ms in parts.items())
            + f"; in all {sum(parts.values()) * 1000:.2f} ms"
        )
    plain = median_rate("plain Django OK view")
    for off, suffix in ((False, ""), (True, ", fast commit off")):
        ratio = median_rate(f"pings over {len(uuids):,} URLs{suffix}") / plain * 100
        busy_turns = measured[f"pings to one busy URL{suffix}"]
        p99 = statistics.median(turn.percentile(0.99) for turn in busy_turns) * 1000
        if off:  # reported beside the targets, which are the default's
            print(f"(PLUMBLINE_PING_FAST_COMMIT=false, not judged) pings/s beside the plain view's: {ratio:.0f}%")
            print(f"(PLUMBLINE_PING_FAST_COMMIT=false, not judged) one busy URL, p99 latency: {p99:.0f} ms")
            continue
        verdicts.figure(
            f"pings/s over {len(uuids):,} URLs beside the plain view's requests/s, worker applying",
            ratio,
            ">=",
            TARGET_PING_RATIO * 100,
            "%",
            digits=0,
        )
        verdicts.figure(
            "one busy URL (rate limit off), p99 latency, median of turns", p99, "<=", TARGET_BUSY_P99_MS, "ms", digits=0
        )
    verdicts.check("requests not answered 200", refused == 0, str(refused))

    _, left = drain()  # in case a turn stopped early
    runs = Run.objects.filter(source_kind="heartbeat").count()
    dead = DeadPing.objects.count()
    verdicts.check(
        "accepted pings all stored as runs after draining, none lost, none twice",
        accepted == runs and not left and not dead and not PendingPing.objects.exists(),
        f"{accepted} accepted, {runs} runs, {left} pending, {dead} set aside",
    )


def bench_history(minutes: int, records: int) -> None:
    """What a week of history costs a recorded run: a one-minute heartbeat has 10,080 successes in
    the observed-interval window, read at most every OBSERVED_REFRESH (monitoring/health/store.py)."""
    import datetime as dt

    from django.utils import timezone

    from catalog.models import Integration, System
    from monitoring.health.pipeline import record_poll
    from monitoring.health.specs import sync_sources
    from monitoring.models import HealthSource, Run
    from monitoring.platforms.contract import PollResult, RunObservation

    system, _ = System.objects.get_or_create(key="bench-history")
    busy = Integration.objects.create(key="week-of-minutes", source=system, target=system, health_kind="heartbeat")
    sync_sources([busy.key])
    now = timezone.now()
    Run.objects.bulk_create(
        (
            Run(
                integration=busy,
                external_id=f"h-{k}",
                source_kind="heartbeat",
                status="success",
                run_at=at,
                finished_at=at,
            )
            for k in range(1, minutes + 1)
            for at in [now - dt.timedelta(minutes=k)]
        ),
        batch_size=2000,
    )

    def record(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            record_poll(
                busy,
                PollResult(runs=[RunObservation(f"new-{uuid.uuid4().hex}", "success", finished_at=timezone.now())]),
            )
        return (time.perf_counter() - started) / n * 1000

    record(1)  # computes the observed interval once
    usual = record(records)
    HealthSource.objects.filter(integration=busy).update(observed_refreshed_at=None)
    recompute = record(1)
    print(
        f"a run of a source with {minutes:,} one-minute successes: {usual:.1f} ms "
        f"({recompute:.0f} ms when its observed interval is recomputed, at most every 10 minutes)"
    )


# Schedules of the lateness bench's sources: (cron, time zone), taken in turn.
LATENESS_SCHEDULES = (
    ("0 6 * * 1-5", "Europe/Berlin"),
    ("*/15 * * * *", "UTC"),
    ("30 2 * * *", "Europe/Berlin"),
    ("0 */4 * * *", "America/New_York"),
    ("45 23 * * 1-5", "Asia/Tokyo"),
)
DUE_QUERY_MARK = 'ORDER BY "monitoring_healthsource"."next_check_due_at"'


def build_cron_sources(count: int) -> None:
    """`count` heartbeat integrations with cron schedules on a calendar (a fifth under a freeze), each
    with a success some minutes to a day ago and its next check where settling puts it."""
    import datetime as dt
    import random

    from django.utils import timezone

    from catalog.models import Calendar, Integration, System
    from monitoring.health.sources import facts_of
    from monitoring.health.specs import sync_sources
    from monitoring.health.state import settle
    from monitoring.models import HealthSource

    calendar = Calendar.objects.create(key="bench-finance", timezone="Europe/Berlin", holidays=["2026-12-25"])
    source, _ = System.objects.get_or_create(key="bench-cron-source")
    target, _ = System.objects.get_or_create(key="bench-cron-target")
    close = [{"last_business_days": 2, "calendar": calendar.key, "reason": "close"}]
    Integration.objects.bulk_create(
        (
            Integration(
                key=f"cron-{n:05d}",
                source=source,
                target=target,
                sync_trigger="schedule",
                sync_schedule=LATENESS_SCHEDULES[n % len(LATENESS_SCHEDULES)][0],
                sync_timezone=LATENESS_SCHEDULES[n % len(LATENESS_SCHEDULES)][1],
                sync_calendar=calendar,
                freeze=close if n % 5 == 0 else [],
                health_kind="heartbeat",
                health_grace_minutes=30,
            )
            for n in range(count)
        ),
        batch_size=1000,
    )
    sync_sources()
    now = timezone.now()
    random.seed(14)
    rows = list(HealthSource.objects.filter(integration__key__startswith="cron-").select_related("last_run"))
    for row in rows:
        row.last_success_at = now - dt.timedelta(minutes=random.randint(1, 24 * 60))
        row.state = "up"
        row.next_check_due_at = settle(facts_of(row), now).next_check_at
    HealthSource.objects.bulk_update(rows, ["last_success_at", "state", "next_check_due_at"], batch_size=1000)


def due_query_plan(now: Any) -> str:
    """EXPLAIN of the query the lateness pass finds due sources with, at `now`."""
    from django.db import connection

    from monitoring.models import HealthSource

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE monitoring_healthsource")
    due = HealthSource.objects.filter(next_check_due_at__lte=now).order_by("next_check_due_at")
    return due.values_list("pk", flat=True).explain()


class QueryCounter:
    """A connection.execute_wrapper counting every query, and those that find due sources (the
    pass may run more queries than Django's debug log keeps)."""

    def __init__(self) -> None:
        self.queries = self.due = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        self.due += DUE_QUERY_MARK in sql
        return execute(sql, params, many, context)


def bench_lateness(count: int, verdicts: Verdicts) -> None:
    """One beat pass over `count` cron sources: the due ones found by one indexed query, then settled."""
    from django.db import connection
    from django.utils import timezone

    from monitoring.health.lateness import evaluate_due
    from monitoring.models import HealthSource

    build_cron_sources(count)
    now = timezone.now()
    plan = due_query_plan(now)
    uses_index = "next_check_due_at" in plan and ("Index" in plan or "INDEX" in plan)
    label = "lateness: the due sources are found through the next_check_due_at index (EXPLAIN)"
    if verdicts.quick:
        # A planner reads a table of a few dozen rows whole, index or not: the plan means nothing here.
        print(f"{label}: {'yes' if uses_index else 'no'} (not judged in --quick)")
    elif not verdicts.check(label, uses_index):
        print(plan)
    sources = HealthSource.objects.filter(integration__key__startswith="cron-")
    sources.update(next_check_due_at=now)
    counted = QueryCounter()
    with connection.execute_wrapper(counted):
        started = time.perf_counter()
        report = evaluate_due(now, limit=count)
        seconds = time.perf_counter() - started
    print(
        f"lateness pass over {count:,} due cron sources: {counted.queries:,} queries in {seconds:.2f} s "
        f"({seconds / max(count, 1) * 1000:.2f} ms a source), {len(report.flips):,} flips"
    )
    due_queries = counted.due
    verdicts.figure(
        "lateness pass: queries finding the due sources",
        due_queries,
        "==",
        TARGET_DUE_QUERIES_PER_PASS,
        "queries",
        digits=0,
    )
    verdicts.check("lateness pass: every due source evaluated", report.evaluated == count, f"{report.evaluated:,}")
    left = sources.filter(next_check_due_at__lte=now).count()
    verdicts.check("lateness pass: none left due", left == 0, f"{left:,}")


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def main() -> int:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="plumbline-health-bench-"))
    queue = f"bench-pings-{uuid.uuid4().hex[:8]}"
    env_values = {
        "PLUMBLINE_VAR_DIR": str(work / "var"),
        "DJANGO_SETTINGS_MODULE": "plumbline.settings",
        "REDIS_URL": args.redis_url,
        "PLUMBLINE_CELERY_QUEUE": queue,  # where the ping servers' apply_pings go: the ping bench's worker
        "PLUMBLINE_OUTBOUND_ALLOW": "127.0.0.1/32",
        "PLUMBLINE_PING_RATE_PER_MINUTE": "1000000",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(work / "mail"),
        "LOG_LEVEL": "WARNING",  # httpx logs every request at INFO
    }
    os.environ.update(env_values)
    verdicts = Verdicts(args.quick)
    broker = redis_answers(args.redis_url)
    if args.database_url:
        create_database(args.database_url)
    try:
        setup_django(work / "var", args.database_url)  # the worker and gunicorn inherit the environment
        from django.conf import settings

        database = settings.DATABASES["default"]
        print(f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}; broker {args.redis_url}")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        benches = (
            ("polls", args.skip_polls, bench_polls),
            ("platform polls", args.skip_polls, bench_platform_polls),
            ("pings", args.skip_pings, bench_pings),
        )
        for label, skip, bench in benches:
            if skip:
                continue
            if not broker and args.quick:
                verdicts.skipped(label, f"no Redis answers at {args.redis_url}")
            elif verdicts.check(
                f"Redis at {args.redis_url} for the {label}", broker, "answers" if broker else "silent"
            ):
                bench(args, env, verdicts)
        if not args.skip_history:
            bench_history(args.history_minutes, 5 if args.quick else 50)
        if not args.skip_lateness:
            bench_lateness(args.lateness_sources, verdicts)
        return verdicts.exit_code()
    finally:
        from django.db import connections

        connections.close_all()
        if broker:
            redis.Redis.from_url(args.redis_url).delete(queue)
        if args.database_url:
            drop_database(args.database_url)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
