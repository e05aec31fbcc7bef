"""How fast the dependency graph draws an estate of 300 systems and 1,000 integrations, and one of
500 systems and 10,000 integrations.

Run from the project root: `.venv/bin/python bench/graph_bench.py [--quick] [--keep] [--redis-url URL]`.
It builds a throwaway SQLite database in a temporary folder (never the configured one) and starts a
real Celery worker on Redis (--redis-url, a queue of its own) against it, as production draws large
views in the worker. Then, for 1,000 integrations:
- `manage.py draw_graph` (in process: load, DOT, dot, SVG clean-up) beside raw `dot` on the very
  DOT file draw_graph produced (target: within 1.3x), as wall time and as CPU time (this process
  plus its children): CPU time is the steadier figure on a machine shared with other work;
- the /graph/ page as a viewer sees it: first (uncached) visit, then the cached page (target: under 50 ms).
And for 10,000 integrations (each application exchanging data with a few partners, mostly the ERPs,
as estates do: about 1,200 pairs of systems), the whole estate, which is drawn aggregated:
- first visit: from the request that enqueues the drawing to the page showing it (target: under 2 s),
  the page polled every 50 ms; the request that enqueues is timed on its own (it must not wait);
- the cached page (target: under 50 ms); a focused view of one application, first and cached.
Checked at any size: draw_graph writes an SVG, each page ends at 200 with a drawing, the large
estate's first visit answers 202 (pending) and its drawing says it is aggregated.
--quick: 20 systems and 40 integrations, then 60 systems and 450 integrations; nothing judged but
the checks. Without Redis, --quick skips the pages (the worker needs a broker).
Exits 1 when a check fails or (outside --quick) a target is missed.
"""

from __future__ import annotations

import functools
import io
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from database import setup_django  # noqa: E402  (bench/database.py)
from verdicts import Verdicts  # noqa: E402

SIZES = {"full": (300, 1000, 40), "quick": (20, 40, 10)}  # systems, integrations, people
LARGE_SIZES = {"full": (500, 10000, 60), "quick": (60, 450, 10)}
RATIO_TARGET = 1.3
CACHED_PAGE_TARGET_MS = 50.0
FIRST_DRAW_TARGET_S = 2.0
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


def build_systems(system_count: int, people_count: int) -> tuple[list[Any], list[Any]]:
    """Three ERPs, three warehouses, four iPaaS and applications of every category; and people."""
    from catalog.models import Person, System

    people = Person.objects.bulk_create(
        [Person(email=f"person{n}@example.com", name=f"Person {n}") for n in range(people_count)]
    )
    categories = ["crm", "billing", "payroll", "hr", "ecommerce", "banking", "procurement", "other"]
    specs = [(f"erp-{n}", f"ERP {n}", "erp") for n in range(1, 4)]
    specs += [(f"warehouse-{n}", f"Warehouse {n}", "data-warehouse") for n in range(1, 4)]
    specs += [
        ("boomi-atomsphere", "Boomi AtomSphere", "ipaas"),
        ("celigo-integrator", "Celigo integrator.io", "ipaas"),
        ("workato", "Workato", "ipaas"),
        ("mulesoft-anypoint", "MuleSoft Anypoint", "ipaas"),
    ]
    specs += [
        (f"app-{n:03d}", f"Application {n}", categories[n % len(categories)]) for n in range(system_count - len(specs))
    ]
    systems = System.objects.bulk_create(
        [System(key=k, name=name, category=c, owner=people[i % people_count]) for i, (k, name, c) in enumerate(specs)]
    )
    return systems, people


def integration_row(n: int, source: Any, target: Any, people: list[Any], rng: random.Random) -> Any:
    from catalog.models import Integration

    objects = ["invoice", "payment", "customer", "journal-entry", "sales-order", "vendor", "employee", "item"]
    ipaas = rng.random() < 0.3
    return Integration(
        key=f"integration-{n:05d}",
        name=f"{source.name} to {target.name} #{n}",
        source=source,
        target=target,
        direction="bidirectional" if rng.random() < 0.1 else "one-way",
        data_objects=rng.sample(objects, rng.randint(1, 3)),
        lifecycle=rng.choice(["live"] * 6 + ["planned", "building", "deprecated", "retired"]),
        phase="phase-two" if rng.random() < 0.1 else "go-live",
        connector_type="ipaas" if ipaas else rng.choice(["native", "custom-api", "file-transfer", "manual"]),
        connector_platform=rng.choice(["boomi", "celigo", "workato", "mulesoft"]) if ipaas else "",
        owner=people[n % len(people)],
        health_kind="heartbeat" if rng.random() < 0.7 else "none",  # so the page reads health
        completeness_score=1.0 if n % 3 else 0.5,
        completeness_missing="" if n % 3 else ",mappings,",
    )


def build_estate(system_count: int, integration_count: int, people_count: int) -> None:
    """An ERP-centred estate: most integrations touch one of three ERPs, some feed warehouses,
    some join satellite systems directly, a third run on an iPaaS."""
    from catalog.models import Integration

    rng = random.Random(6)
    systems, people = build_systems(system_count, people_count)
    erps, warehouses, apps = systems[:3], systems[3:6], systems[10:]
    rows = []
    for n in range(integration_count):
        roll = rng.random()
        if roll < 0.6:
            source, target = rng.choice(apps), rng.choice(erps)
            if rng.random() < 0.4:
                source, target = target, source
        elif roll < 0.75:
            source, target = rng.choice(apps + erps), rng.choice(warehouses)
        elif roll < 0.97:
            source, target = rng.sample(apps, 2)
        else:
            source, target = rng.sample(erps, 2)
        rows.append(integration_row(n, source, target, people, rng))
    Integration.objects.bulk_create(rows, batch_size=500)


def build_large_estate(system_count: int, integration_count: int, people_count: int) -> None:
    """Applications each exchanging data with a few partners (to and from an ERP, often a
    warehouse, sometimes another application), many integrations per pair as in real estates."""
    from catalog.models import Integration

    rng = random.Random(7)
    systems, people = build_systems(system_count, people_count)
    erps, warehouses, apps = systems[:3], systems[3:6], systems[10:]
    partners = {}
    for app in apps:
        pairs = [(app, rng.choice(erps)), (rng.choice(erps), app)]
        if rng.random() < 0.5:
            pairs.append((app, rng.choice(warehouses)))
        if rng.random() < 0.3:
            pairs.append((app, rng.choice([a for a in apps if a is not app])))
        partners[app.id] = pairs
    rows = []
    for n in range(integration_count):
        source, target = rng.choice(partners[rng.choice(apps).id])
        rows.append(integration_row(n, source, target, people, rng))
    Integration.objects.bulk_create(rows, batch_size=500)


def clear_estate() -> None:
    from catalog.models import Integration, Person, System

    Integration.objects.all().delete()
    System.objects.all().delete()
    Person.objects.all().delete()


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def measured(action: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its children such as dot)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    return wall, time.process_time() - cpu + child_cpu


def bench_draw_graph(folder: Path, repeat: int, verdicts: Verdicts) -> None:
    from django.core.management import call_command

    dot_file, svg_file = folder / "estate.dot", folder / "estate.svg"
    call_command("draw_graph", "--format", "dot", "--out", str(dot_file), stderr=io.StringIO())
    draw, raw = [], []
    # Interleaved, so a neighbour's load on the machine hits both the same way.
    for _ in range(repeat):
        draw.append(
            measured(
                lambda: call_command("draw_graph", "--format", "svg", "--out", str(svg_file), stderr=io.StringIO())
            )
        )
        raw.append(
            measured(
                lambda: subprocess.run(
                    ["dot", "-Tsvg", str(dot_file), "-o", str(folder / "raw.svg")], check=True, capture_output=True
                )
            )
        )
    print(f"DOT: {dot_file.stat().st_size / 1024:.0f} KB; SVG: {svg_file.stat().st_size / 1024:.0f} KB")
    verdicts.check("draw_graph writes an SVG", b"<svg" in svg_file.read_bytes()[:4000])
    for index, what in ((0, "wall"), (1, "CPU")):
        mine = statistics.median(d[index] for d in draw)
        theirs = statistics.median(r[index] for r in raw)
        print(
            f"{what}: draw_graph --format svg (in process) {mine * 1000:.0f} ms, "
            f"raw `dot -Tsvg` on the same DOT file {theirs * 1000:.0f} ms (medians of {repeat})"
        )
        verdicts.figure(f"draw_graph beside raw dot ({what} time)", mine / theirs, "<=", RATIO_TARGET, "x", digits=2)
    if verdicts.quick:
        return  # a second Django start-up would add seconds to the quick run for a figure it does not judge
    end_to_end = timed(
        lambda: subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "draw_graph", "--out", str(svg_file)],
            check=True,
            capture_output=True,
        ),
        1,
    )
    print(f"manage.py draw_graph as a new process (with Django start-up): {end_to_end[0] * 1000:.0f} ms")


def viewer_client() -> Any:
    """A client logged in as a viewer (every role may look at the graph; a user without one may not)."""
    from django.contrib.auth.models import User
    from django.test import Client

    from plumbline.accounts.roles import VIEWER, assign_role

    user, _ = User.objects.get_or_create(username="bench@example.com", defaults={"email": "bench@example.com"})
    assign_role(user, VIEWER)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def first_visit(client: Any, url: str, graph_filter: Any) -> tuple[float, float, int]:
    """(seconds until the drawing is ready, seconds the first request took, its status). While it
    is pending the bench watches the graph cache every 20 ms for the drawing (asking the page itself
    that often would take CPU from the worker on a small machine); then the page must show it."""
    from catalog.graph import drawing

    start = time.perf_counter()
    response = client.get(url)
    answered = time.perf_counter() - start
    status = response.status_code
    if status == 202:
        key = drawing.view_key(graph_filter)
        while drawing.made(key, "svg") is None:
            if drawing.failure(key, "svg") is not None or time.perf_counter() - start > 120:
                raise SystemExit(f"{url} failed or still pending after 120 s: {drawing.failure(key, 'svg')}")
            time.sleep(0.02)
    ready = time.perf_counter() - start
    fetch(client, url)
    return ready, answered, status


def bench_page(client: Any, pages: list[tuple[str, str, Any]], repeat: int, verdicts: Verdicts, **kw: Any) -> None:
    """Each page's first visit, then the cached page; `first_target` judges the first visit."""
    for label, url, graph_filter in pages:
        first, answered, status = first_visit(client, url, graph_filter)
        cpu_start = time.process_time()
        cached = sorted(timed(functools.partial(fetch, client, url), repeat))
        cpu = (time.process_time() - cpu_start) / repeat * 1000
        median = statistics.median(cached) * 1000
        p95 = cached[max(0, int(len(cached) * 0.95) - 1)] * 1000
        print(
            f"/graph/ {label}: first visit {first * 1000:.0f} ms (first request answered {status} "
            f"in {answered * 1000:.0f} ms); cached median {median:.1f} ms, p95 {p95:.1f} ms, "
            f"mean CPU {cpu:.1f} ms (SQLite in process)"
        )
        if label in kw.get("first_target", ()):
            verdicts.figure(
                f"/graph/ {label}, first visit until drawn (enqueue to drawing)", first, "<", FIRST_DRAW_TARGET_S, "s"
            )
        if label in kw.get("pending", ()):
            verdicts.check(f"/graph/ {label}, first request answers at once (202, pending)", status == 202, str(status))
        verdicts.figure(f"/graph/ {label}, cached page median", median, "<", CACHED_PAGE_TARGET_MS, "ms")


def fetch(client: Any, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200 or b"<svg" not in response.content:
        raise SystemExit(f"{url} answered {response.status_code}, {len(response.content)} bytes with no <svg>")
    return bytes(response.content)


def bench_large(client: Any, repeat: int, verdicts: Verdicts) -> None:
    from catalog.graph.view import GraphFilter
    from catalog.models import Integration, System

    whole = f"{Integration.objects.count():,} whole estate"

    app = System.objects.filter(key__startswith="app-").order_by("key").values_list("key", flat=True).first() or ""
    bench_page(
        client,
        [(whole, "/graph/", GraphFilter()), (f"{app} within 1", f"/graph/?system={app}&depth=1", GraphFilter(app))],
        repeat,
        verdicts,
        first_target=(whole,),
        pending=(whole,),
    )
    page = fetch(client, "/graph/")
    verdicts.check(f"the {whole} is drawn aggregated", b"Aggregated view" in page and b'id="pair-' in page)
    task_body_in_process(whole)


def task_body_in_process(label: str) -> None:
    """What the worker does for the whole estate (load, DOT, dot, SVG clean-up), timed in this
    process on an empty cache: the task's own share of the first visit, without the queue."""
    from django.test import override_settings

    from catalog.graph import drawing
    from catalog.graph.view import GraphFilter

    empty = Path(tempfile.mkdtemp(prefix="graph-bench-cache-"))
    try:
        with override_settings(PLUMBLINE_GRAPH_CACHE_DIR=empty):
            wall, cpu = measured(lambda: drawing.make(GraphFilter(), "bench-in-process", "svg"))
    finally:
        shutil.rmtree(empty, ignore_errors=True)
    print(f"{label}: the task's body in process {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU (with dot)")


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def start_worker(queue: str) -> subprocess.Popen[bytes]:
    """A real Celery worker on the bench's database and queue (the environment setup_django made)."""
    from plumbline.celery import app

    name = f"bench-{queue}"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "plumbline",
        "--quiet",
        "worker",
        "--pool=prefork",
        "--concurrency=1",
    ]
    command += ["-Q", queue, f"--hostname={name}@%h", "--loglevel=WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5) or []
        if any(name in next(iter(reply)) for reply in replies):
            return process
    process.kill()
    raise SystemExit("the Celery worker did not start")


def main() -> int:
    quick = "--quick" in sys.argv
    redis_url = sys.argv[sys.argv.index("--redis-url") + 1] if "--redis-url" in sys.argv else DEFAULT_REDIS_URL
    system_count, integration_count, people_count = SIZES["quick" if quick else "full"]
    verdicts = Verdicts(quick)
    folder = Path(tempfile.mkdtemp(prefix="plumbline-graph-bench-"))
    queue = f"bench-graph-{uuid.uuid4().hex[:8]}"
    broker = redis_answers(redis_url)
    if broker:
        os.environ.update({"REDIS_URL": redis_url, "PLUMBLINE_CELERY_QUEUE": queue})
    worker = None
    try:
        setup_django(folder)  # the worker inherits the environment: the same database and queue
        print(
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; broker {redis_url if broker else 'none'}"
        )
        start = time.perf_counter()
        build_estate(system_count, integration_count, people_count)
        built = time.perf_counter() - start
        print(f"Estate: {system_count} systems, {integration_count} integrations (built in {built:.1f} s)")
        bench_draw_graph(folder, repeat=1 if quick else 5, verdicts=verdicts)
        if not broker:
            if not verdicts.check(f"Redis at {redis_url} for the worker", quick, "silent"):
                return verdicts.exit_code()
            verdicts.skipped("the /graph/ pages", f"no Redis answers at {redis_url}")
            return verdicts.exit_code()
        worker = start_worker(queue)
        client = viewer_client()
        repeat = 3 if quick else 30
        from catalog.graph.view import GraphFilter

        pages = [
            ("whole estate", "/graph/", GraphFilter()),
            ("erp-1 within 1", "/graph/?system=erp-1", GraphFilter("erp-1")),
        ]
        bench_page(client, pages, repeat, verdicts)
        clear_estate()
        system_count, integration_count, people_count = LARGE_SIZES["quick" if quick else "full"]
        start = time.perf_counter()
        build_large_estate(system_count, integration_count, people_count)
        built = time.perf_counter() - start
        print(f"Estate: {system_count} systems, {integration_count} integrations (built in {built:.1f} s)")
        bench_large(viewer_client(), repeat, verdicts)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        return verdicts.exit_code()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        if broker:
            import redis

            redis.Redis.from_url(redis_url).delete(queue)
        if "--keep" in sys.argv:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
