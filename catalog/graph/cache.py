"""A small file cache under VAR_DIR for rendered graphs: shared by every web process and the Celery
worker, survives restarts, and never holds more than MAX_FILES files (oldest removed first).

It also holds claims: a file created with O_EXCL, so of N visitors asking for the same drawing at
once exactly one enqueues its render (the Healthchecks claim, with a file instead of a row).
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

from django.conf import settings

MAX_FILES = 400


def cache_dir() -> Path:
    configured = getattr(settings, "PLUMBLINE_GRAPH_CACHE_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "graph-cache"


def read(name: str) -> bytes | None:
    try:
        return (cache_dir() / name).read_bytes()
    except FileNotFoundError:
        return None


def write(name: str, data: bytes) -> None:
    """Write atomically (two processes rendering the same graph both succeed), then prune."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, directory / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _prune(directory)


def _prune(directory: Path) -> None:
    entries = [e for e in os.scandir(directory) if e.is_file() and not e.name.startswith((".tmp-", "claim-"))]
    if len(entries) <= MAX_FILES:
        return
    entries.sort(key=lambda e: e.stat().st_mtime)
    for entry in entries[: len(entries) - MAX_FILES]:
        Path(entry.path).unlink(missing_ok=True)


def claim(name: str, lease: float) -> bool:
    """Take the claim `name`; False when someone holds it and its lease (seconds) has not run out.

    A claim left by a worker that died is taken over once its lease ran out: it is renamed away
    first, so of several visitors finding it stale only one goes on (a visitor that read its age
    just before another took it over may still take the fresh claim: at worst two renders)."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    for _ in range(2):
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return True
        except FileExistsError:
            held = age(name)
            if held is not None and held < lease:
                return False
            if held is not None:
                try:
                    os.rename(path, directory / f".tmp-stale-{uuid.uuid4().hex}")
                except FileNotFoundError:
                    return False  # another visitor took it over
                for stale in directory.glob(".tmp-stale-*"):
                    stale.unlink(missing_ok=True)
    return False


def age(name: str) -> float | None:
    """Seconds since the file (a claim, a recorded failure) was written; None when it is not there."""
    try:
        return max(0.0, time.time() - (cache_dir() / name).stat().st_mtime)
    except FileNotFoundError:
        return None


def release(name: str) -> None:
    (cache_dir() / name).unlink(missing_ok=True)
