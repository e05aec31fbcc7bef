"""Hostile spec files against import_specs: time and peak memory of refusing each, beside a
legitimate 10,000-integration import for scale. Every case runs in a process of its own (so
its peak RSS is its own) against a throwaway SQLite database. Not part of the test suite.

    .venv/bin/python bench/spec_bomb_bench.py [--integrations N] [--only NAME ...]

Issue 13 item 3: before the loader counted, the 9-level bomb took minutes and gigabytes (8 levels:
17 s, 880 MB); it must now be refused in well under a second.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


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
    write_estate(estate, argparse.Namespace(integrations=args.integrations, systems=500, files=50))
    return estate


CASES[f"legit-{10_000:,}-integrations"] = legit_estate


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def run_case(name: str, args: argparse.Namespace) -> dict[str, object]:
    """In this process: set up Django on a fresh database, build the input, import it."""
    work = Path(tempfile.mkdtemp(prefix="plumbline-bomb-bench-"))
    os.environ["PLUMBLINE_VAR_DIR"] = str(work / "var")
    os.environ["DJANGO_SETTINGS_MODULE"] = "plumbline.settings"
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("DEBUG", None)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from catalog.spec.importer import ImportFailed, import_paths

        call_command("migrate", verbosity=0)
        target = CASES[name](work, args)
        size = sum(p.stat().st_size for p in target.rglob("*")) if target.is_dir() else target.stat().st_size
        before = peak_rss_mb()
        started = time.perf_counter()
        try:
            outcome = import_paths([str(target)]).summary()
        except ImportFailed as failed:
            outcome = str(failed.errors[0]).replace(str(work) + "/", "")
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
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--integrations", type=int, default=10_000)
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one case, in a child process
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args)))
        return 0
    print(f"{'case':<28} {'input':>10} {'seconds':>8} {'peak RSS MB':>12} {'(before)':>9}  outcome")
    for name in args.only or CASES:
        child = [sys.executable, __file__, "--case", name, "--integrations", str(args.integrations)]
        result = subprocess.run(child, capture_output=True, text=True, timeout=1800, check=False)
        if result.returncode:
            print(f"{name:<28} failed: {result.stderr.strip().splitlines()[-1:]}")
            continue
        row = json.loads(result.stdout.strip().splitlines()[-1])
        size = row["bytes"]
        shown = f"{size / 2**20:.1f} MB" if size > 2**20 else f"{size:,} B"
        print(
            f"{row['case']:<28} {shown:>10} {row['seconds']:>8.3f} {row['peak']:>12.0f} {row['rss_before']:>9.0f}  "
            f"{row['outcome'][:110]}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
