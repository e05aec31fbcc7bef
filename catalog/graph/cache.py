"""A small file cache under VAR_DIR for rendered graphs: shared by every web process, survives
restarts, and never holds more than MAX_FILES files (oldest removed first)."""

from __future__ import annotations

import os
import tempfile
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
    entries = [e for e in os.scandir(directory) if e.is_file() and not e.name.startswith(".tmp-")]
    if len(entries) <= MAX_FILES:
        return
    entries.sort(key=lambda e: e.stat().st_mtime)
    for entry in entries[: len(entries) - MAX_FILES]:
        Path(entry.path).unlink(missing_ok=True)
