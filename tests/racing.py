"""Run one callable in several threads at once, each with its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def racing(call: Callable[[], T], threads: int = 2) -> list[T]:
    """What `call` returned in each thread; the threads start together at a barrier, and each closes
    its connection so the test database can be dropped."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name):
        # As for a Celery worker (tests/celery_worker.py): bin/test always sets it.
        raise RuntimeError("threads racing need a file database: set PLUMBLINE_TEST_SQLITE=/path/test.db")
    barrier = threading.Barrier(threads)
    results: list[T] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(call())
        finally:
            connection.close()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return results
