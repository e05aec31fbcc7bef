"""A worker process taking throttle slots (test_throttle.py): no Django set-up, so it can be spawned."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from monitoring.platforms.throttle import _FileStore


def take_slots(folder: str, key: str, count: int, out: multiprocessing.Queue) -> None:
    store = _FileStore(Path(folder))
    for _ in range(count):
        wait = store.take(key, 4, 0.5, max_wait=30)
        assert wait is not None
        out.put(time.time() + wait)  # the slot it was given (when it would call, less the sleep's jitter)
        time.sleep(wait)
