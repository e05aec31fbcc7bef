"""Start a real Celery worker process for tests: the real broker (Redis) and the test's own
database, so what the worker writes is what the test reads."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/15")
# Each test session has its own queue, so two suites on one Redis never run each other's tasks.
QUEUE = f"plumbline-test-{os.getpid()}"


def test_database_url() -> str:
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        name = str(settings["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("a worker needs a file database: set PLUMBLINE_TEST_SQLITE=/path/test.db")
        return f"sqlite:///{name}"
    user = quote(settings.get("USER") or "postgres", safe="")
    password = settings.get("PASSWORD")
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        {
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": REDIS_URL,
            "PLUMBLINE_CELERY_QUEUE": QUEUE,  # also where tasks sent from inside the worker go
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@contextmanager
def celery_worker(name: str = "w1", concurrency: int = 1, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """A worker running until the block ends; waits until it answers a ping."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "plumbline",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        f"--hostname={name}@%h",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=worker_env(**env))
    try:
        wait_until_ready(name)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a test's server process, killing it if it has not stopped within 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ready(name: str, timeout: float = 30.0) -> None:
    from plumbline.celery import app

    deadline = time.monotonic() + timeout
    with redis_broker():
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=0.5) or []
            if any(name in next(iter(reply)) for reply in replies):
                return
    raise RuntimeError(f"Celery worker {name} did not start within {timeout} s")


@contextmanager
def redis_broker() -> Iterator[None]:
    """Point this process's Celery client (producer, control) at the test Redis for the block."""
    from plumbline.celery import app

    def reset_pools() -> None:
        # Dropped, not closed: kombu keeps producer pools per connection and reuses them.
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url, app.conf.task_default_queue
    app.conf.broker_url, app.conf.task_default_queue = REDIS_URL, QUEUE
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_default_queue = previous
        reset_pools()


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Whether `predicate` came true within `timeout` seconds, asked every 0.1 s: how a test sees
    what a worker in another process did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
