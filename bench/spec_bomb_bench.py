"""Hostile spec files against import_specs: time and peak memory of refusing each, beside a
legitimate 10,000-integration import for scale. Every case runs in a process of its own (so
its peak RSS is its own) against a throwaway SQLite database. Not part of the test suite.

    .venv/bin/python bench/spec_bomb_bench.py [--quick] [--integrations N] [--only NAME ...]

Issue 13 item 3: before the loader counted, the 9-level bomb took minutes and gigabytes (8 levels:
17 s, 880 MB); it must now be refused in well under a second (target: under 1 s).
Checked at any size: every hostile file is refused and the legitimate estate imports.
--quick: every case in this one process (so no peak RSS of its own) with a legitimate estate of 30
integrations; nothing timed is judged. Exits 1 when a check fails or (outside --quick) a target is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
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

BOMB_TARGET_SECONDS = 1.0
LEGIT = "legit-estate"


def billion_laughs(levels: int) -> str:
    lines = ["lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"lol{level}: &lol{level} [{', '.join([f'*lol{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def merge_bomb(levels: int) -> str:
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4}"]
    lines += [f"m{n}: &m{n} {{<<: [{', '.join([f'*m{n - 1}'] * 9)}]}}" for n in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def dense(size: int) -> str:
    """Just under the file size limit, as many nodes as YAML allows: empty mappings in one list."""
    return "key: x\nmappings: [" + "{}," * (size // 3 - 10) + "{}]\n"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


# Each case writes its input below a folder and returns what to import.
CASES: dict[str, Callable[[Path, argparse.Namespace], Path]] = {
    "bomb-9-levels": lambda folder, _: write(folder, "bomb.yaml", billion_laughs(9)),
    "merge-bomb-9-levels": lambda folder, _: write(folder, "merge.yaml", merge_bomb(9)),
    "recursive-alias": lambda folder, _: write(folder, "loop.yaml", "key: x\ndata_objects: &a [invoice, *a]\n"),
    "dense-10mb": lambda folder, _: write(folder, "dense.yaml", dense(10 * 1024 * 1024 - 64)),
    "not-utf8": lambda folder, _: write(folder, "latin1.yaml", "name: Caf\xe9\n".encode("latin-1")),
}


def legit_estate(folder: Path, args: argparse.Namespace) -> Path:
    from import_bench import write_estate

    estate = folder / "estate"
    systems = 10 if args.quick else 500
    write_estate(estate, argparse.Namespace(integrations=args.integrations, systems=systems, files=50))
    return estate


CASES[LEGIT] = legit_estate


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def run_case(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """In this process: set up Django on a fresh database, build the input, import it."""
    work = Path(tempfile.mkdtemp(prefix="plumbline-bomb-bench-"))
    try:
        setup_django(work / "var")
        return import_case(name, work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def import_case(name: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Build the case's input below `work` and import it (Django set up already)."""
    from catalog.spec.importer import ImportFailed, import_paths

    folder = work / name
    folder.mkdir()
    target = CASES[name](folder, args)
    size = sum(p.stat().st_size for p in target.rglob("*")) if target.is_dir() else target.stat().st_size
    before = peak_rss_mb()
    started = time.perf_counter()
    try:
        outcome, refused = import_paths([str(target)]).summary(), False
    except ImportFailed as failed:
        outcome, refused = str(failed.errors[0]).replace(str(work) + "/", ""), True
        if len(failed.errors) > 1:
            outcome += f" (+{len(failed.errors) - 1} more)"
    seconds = time.perf_counter() - started
    return {
        "case": name,
        "bytes": size,
        "seconds": seconds,
        "rss_before": before,
        "peak": peak_rss_mb(),
        "outcome": outcome,
        "refused": refused,
    }


def in_children(names: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each case in a process of its own; a process that fails gives a row saying why."""
    rows = []
    for name in names:
        child = [sys.executable, __file__, "--case", name, "--integrations", str(args.integrations)]
        result = subprocess.run(child, capture_output=True, text=True, timeout=1800, check=False)
        if result.returncode:
            rows.append({"case": name, "failed": (result.stderr.strip().splitlines() or ["no output"])[-1]})
        else:
            rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return rows


def in_this_process(names: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    """--quick: one Django start-up for every case. Hostile files write nothing, so they share a database."""
    work = Path(tempfile.mkdtemp(prefix="plumbline-bomb-bench-"))
    try:
        setup_django(work / "var")
        return [import_case(name, work, args) for name in names]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="every case in this process; legit estate of 30")
    parser.add_argument("--integrations", type=int, help="of the legitimate estate (default 10,000; 30 with --quick)")
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one case, in a child process
    args = parser.parse_args()
    args.integrations = args.integrations or (30 if args.quick else 10_000)
    if args.case:
        print(json.dumps(run_case(args.case, args)))
        return 0
    verdicts = Verdicts(args.quick)
    names = args.only or list(CASES)
    rows = (in_this_process if args.quick else in_children)(names, args)
    print(f"{'case':<28} {'input':>10} {'seconds':>8} {'peak RSS MB':>12} {'(before)':>9}  outcome")
    for row in rows:
        if "failed" in row:
            print(f"{row['case']:<28} failed: {row['failed']}")
            continue
        size = row["bytes"]
        shown = f"{size / 2**20:.1f} MB" if size > 2**20 else f"{size:,} B"
        print(
            f"{row['case']:<28} {shown:>10} {row['seconds']:>8.3f} {row['peak']:>12.0f} {row['rss_before']:>9.0f}  "
            f"{row['outcome'][:110]}"
        )
    for row in rows:
        if "failed" in row:
            verdicts.check(f"{row['case']} runs", False, "its process failed")
            continue
        if row["case"] == LEGIT:
            verdicts.check(f"legitimate estate of {args.integrations:,} integrations imports", not row["refused"])
        else:
            verdicts.check(f"{row['case']} is refused", bool(row["refused"]))
        if row["case"] == "bomb-9-levels":
            verdicts.figure("bomb-9-levels refused in", row["seconds"], "<", BOMB_TARGET_SECONDS, "s", digits=3)
    return verdicts.exit_code()


if __name__ == "__main__":
    sys.exit(main())
