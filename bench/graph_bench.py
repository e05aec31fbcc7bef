"""How fast the dependency graph draws an estate of 300 systems and 1,000 integrations.

Run from the project root: `.venv/bin/python bench/graph_bench.py [--quick] [--keep]`. It builds a
throwaway SQLite database in a temporary folder (never the configured one), then prints:
- `manage.py draw_graph` (in process: load, DOT, dot, SVG clean-up) beside raw `dot` on the very
  DOT file draw_graph produced (target: within 1.3x), as wall time and as CPU time (this process
  plus its children): CPU time is the steadier figure on a machine shared with other work;
- the /graph/ page as a viewer sees it: first (uncached) visit, then the cached page (target: under 50 ms).
Checked at any size: draw_graph writes an SVG and each page answers 200 with a drawing.
--quick: 20 systems and 40 integrations, nothing judged but the checks.
Exits 1 when a check fails or (outside --quick) a target is missed.
"""

from __future__ import annotations

import functools
import io
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
from database import setup_django  # noqa: E402  (bench/database.py)
from verdicts import Verdicts  # noqa: E402

SIZES = {"full": (300, 1000, 40), "quick": (20, 40, 10)}  # systems, integrations, people
RATIO_TARGET = 1.3
CACHED_PAGE_TARGET_MS = 50.0


def build_estate(system_count: int, integration_count: int, people_count: int) -> None:
    """An ERP-centred estate: most integrations touch one of three ERPs, some feed warehouses,
    some join satellite systems directly, a third run on an iPaaS."""
    from catalog.models import Integration, Person, System

    rng = random.Random(6)
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
    erps, warehouses, apps = systems[:3], systems[3:6], systems[10:]
    objects = ["invoice", "payment", "customer", "journal-entry", "sales-order", "vendor", "employee", "item"]
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
        ipaas = rng.random() < 0.3
        rows.append(
            Integration(
                key=f"integration-{n:04d}",
                name=f"{source.name} to {target.name} #{n}",
                source=source,
                target=target,
                direction="bidirectional" if rng.random() < 0.1 else "one-way",
                data_objects=rng.sample(objects, rng.randint(1, 3)),
                lifecycle=rng.choice(["live"] * 6 + ["planned", "building", "deprecated", "retired"]),
                phase="phase-two" if rng.random() < 0.1 else "go-live",
                connector_type="ipaas" if ipaas else rng.choice(["native", "custom-api", "file-transfer", "manual"]),
                connector_platform=rng.choice(["boomi", "celigo", "workato", "mulesoft"]) if ipaas else "",
                owner=people[n % people_count],
                health_kind="heartbeat" if rng.random() < 0.7 else "none",  # so the page reads health
                completeness_score=1.0 if n % 3 else 0.5,
                completeness_missing="" if n % 3 else ",mappings,",
            )
        )
    Integration.objects.bulk_create(rows, batch_size=500)


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


def bench_page(repeat: int, verdicts: Verdicts) -> None:
    """The page as a viewer sees it (every role may look at the graph; a user without one may not)."""
    from django.contrib.auth.models import User
    from django.test import Client

    from plumbline.accounts.roles import VIEWER, assign_role

    user = User.objects.create_user("bench@example.com", "bench@example.com")
    assign_role(user, VIEWER)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for label, url in [("whole estate", "/graph/"), ("erp-1 within 1", "/graph/?system=erp-1&depth=1")]:
        visit = functools.partial(fetch, client, url)
        first = timed(visit, 1)[0]
        cached = sorted(timed(visit, repeat))
        median = statistics.median(cached) * 1000
        p95 = cached[max(0, int(len(cached) * 0.95) - 1)] * 1000
        print(f"/graph/ {label}: first visit {first * 1000:.0f} ms; cached median {median:.1f} ms, p95 {p95:.1f} ms")
        verdicts.figure(f"/graph/ {label}, cached page median", median, "<", CACHED_PAGE_TARGET_MS, "ms")


def fetch(client: Any, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200 or b"<svg" not in response.content:
        raise SystemExit(f"{url} answered {response.status_code}, {len(response.content)} bytes with no <svg>")


def main() -> int:
    quick = "--quick" in sys.argv
    system_count, integration_count, people_count = SIZES["quick" if quick else "full"]
    verdicts = Verdicts(quick)
    folder = Path(tempfile.mkdtemp(prefix="plumbline-graph-bench-"))
    try:
        setup_django(folder)
        start = time.perf_counter()
        build_estate(system_count, integration_count, people_count)
        built = time.perf_counter() - start
        print(f"Estate: {system_count} systems, {integration_count} integrations (built in {built:.1f} s)")
        bench_draw_graph(folder, repeat=1 if quick else 5, verdicts=verdicts)
        bench_page(repeat=3 if quick else 30, verdicts=verdicts)
        return verdicts.exit_code()
    finally:
        if "--keep" in sys.argv:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
