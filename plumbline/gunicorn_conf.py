"""gunicorn's configuration for Plumbline: `gunicorn -c python:plumbline.gunicorn_conf plumbline.wsgi`.

PLUMBLINE_BIND: the address to listen on (default 127.0.0.1:8000). PLUMBLINE_WEB_WORKERS: sync
worker processes (default gunicorn's recommended 2 x cores + 1: a ping or page waiting on the
database leaves a core to another). With PROMETHEUS_MULTIPROC_DIR set, every worker counts into
files in that folder and /metrics adds them up; a worker that exits is marked dead there, so its
live gauges go while its counts stay in the totals.
"""

from __future__ import annotations

import os
from typing import Any


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use, as nproc counts them
    except AttributeError:
        return os.cpu_count() or 1


bind = os.environ.get("PLUMBLINE_BIND") or "127.0.0.1:8000"
workers = int(os.environ.get("PLUMBLINE_WEB_WORKERS") or 2 * _cores() + 1)


def on_starting(server: Any) -> None:
    if folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(folder, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
