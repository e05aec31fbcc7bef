"""How fast the dependency graph draws an estate of 300 systems and 1,000 integrations.

Run from the project root: `.venv/bin/python bench/graph_bench.py [--keep]`. It builds a throwaway
SQLite database in a temporary folder (never the configured one), then prints:
- `manage.py draw_graph` (in process: load, DOT, dot, SVG clean-up) beside raw `dot` on the very
  DOT file draw_graph produced (target: within 1.3x), as wall time and as CPU time (this process
  plus its children): CPU time is the steadier figure on a machine shared with other work;
- the /graph/ page: first (uncached) visit, then the cached page (target: under 50 ms).
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SYSTEMS = 300
INTEGRATIONS = 1000
PEOPLE = 40
RATIO_TARGET = 1.3
CACHED_PAGE_TARGET_MS = 50.0


def setup_django(folder: str) -> None:
    os.environ["PLUMBLINE_VAR_DIR"] = folder
    os.environ.pop("DATABASE_URL", None)  # never touch a real database
    os.environ["DJANGO_SETTINGS_MODULE"] = "plumbline.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_estate() -> None:
    """An ERP-centred estate: most integrations touch one of three ERPs, some feed warehouses,
    some join satellite systems directly, a third run on an iPaaS."""
    from catalog.models import Integration, Person, System

    rng = random.Random(6)
    people = Person.objects.bulk_create(
        [Person(email=f"person{n}@example.com", name=f"Person {n}") for n in range(PEOPLE)]
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
        (f"app-{n:03d}", f"Application {n}", categories[n % len(categories)]) for n in range(SYSTEMS - len(specs))
    ]
    systems = System.objects.bulk_create(
        [System(key=k, name=name, category=c, owner=people[i % PEOPLE]) for i, (k, name, c) in enumerate(specs)]
    )
    erps, warehouses, apps = systems[:3], systems[3:6], systems[10:]
    objects = ["invoice", "payment", "customer", "journal-entry", "sales-order", "vendor", "employee", "item"]
    rows = []
    for n in range(INTEGRATIONS):
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
                owner=people[n % PEOPLE],
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


def bench_draw_graph(folder: Path, repeat: int) -> None:
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
    end_to_end = timed(
        lambda: subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "draw_graph", "--out", str(svg_file)],
            check=True,
            capture_output=True,
        ),
        1,
    )
    print(f"DOT: {dot_file.stat().st_size / 1024:.0f} KB; SVG: {svg_file.stat().st_size / 1024:.0f} KB")
    for index, what in ((0, "wall"), (1, "CPU")):
        mine = statistics.median(d[index] for d in draw)
        theirs = statistics.median(r[index] for r in raw)
        ratio = mine / theirs
        verdict = "ok" if ratio <= RATIO_TARGET else "OVER TARGET"
        print(
            f"{what:>4}: draw_graph --format svg (in process) {mine * 1000:6.0f} ms, "
            f"raw `dot -Tsvg` on the same DOT file {theirs * 1000:6.0f} ms (medians of {repeat}): "
            f"{ratio:.2f}x (target <= {RATIO_TARGET}x) {verdict}"
        )
    print(f"manage.py draw_graph as a new process (with Django start-up): {end_to_end[0] * 1000:6.0f} ms")


def bench_page(repeat: int) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_user("bench@example.com", "bench@example.com"))
    for label, url in [("whole estate", "/graph/"), ("erp-1 within 1", "/graph/?system=erp-1&depth=1")]:
        visit = functools.partial(fetch, client, url)
        first = timed(visit, 1)[0]
        cached = sorted(timed(visit, repeat))
        median = statistics.median(cached) * 1000
        p95 = cached[int(len(cached) * 0.95) - 1] * 1000
        verdict = "ok" if median < CACHED_PAGE_TARGET_MS else "OVER TARGET"
        print(f"/graph/ {label}: first visit {first * 1000:6.0f} ms; cached median {median:5.1f} ms, p95 {p95:5.1f} ms")
        print(f"  cached page target < {CACHED_PAGE_TARGET_MS:.0f} ms: {verdict}")


def fetch(client: Any, url: str) -> None:
    status = client.get(url).status_code
    if status != 200:
        raise SystemExit(f"{url} answered {status}")


def main() -> None:
    keep = "--keep" in sys.argv
    folder = Path(tempfile.mkdtemp(prefix="plumbline-graph-bench-"))
    try:
        setup_django(str(folder))
        start = time.perf_counter()
        build_estate()
        print(f"Estate: {SYSTEMS} systems, {INTEGRATIONS} integrations (built in {time.perf_counter() - start:.1f} s)")
        bench_draw_graph(folder, repeat=5)
        bench_page(repeat=30)
    finally:
        if keep:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
