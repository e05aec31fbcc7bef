"""Start the real web server (gunicorn, as bin/run does) for tests that need what only it does:
chunked request bodies, connections kept between requests, a database that goes away."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from tests.celery_worker import ROOT, stop, worker_env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def web_server(workers: int = 1, *, config: bool = False, **env: str) -> Iterator[str]:
    """gunicorn serving Plumbline on the test's database (or DATABASE_URL given in `env`) until the
    block ends; yields its base URL once it answers. `config`: with plumbline/gunicorn_conf.py's
    hooks, as bin/run starts it (the address and workers given here still win)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "plumbline.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--log-level=warning",
        *(["--config=python:plumbline.gunicorn_conf"] if config else []),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=worker_env(**env))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        yield base
    finally:
        stop(process)


def wait_until_serving(base: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            # Any answer will do (the database may be down on purpose): the server is listening.
            urllib.request.urlopen(f"{base}/static/css/plumbline.css", timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s")
