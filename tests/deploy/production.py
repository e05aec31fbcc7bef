"""The production command set as a deployment runs it: bin/serve on a PostgreSQL database of its own,
Redis, and an environment holding only what /etc/plumbline/plumbline.env would."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.celery_worker import REDIS_URL, ROOT
from tests.web_server import free_port

SERVE = ROOT / "bin" / "serve"


def postgres_server_url() -> str:
    """A PostgreSQL server the tests may create databases on: the test database's server when the suite
    runs on PostgreSQL (bin/test's PostgreSQL leg), else PLUMBLINE_TEST_POSTGRES's when set."""
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        return database_url
    if server := os.environ.get("PLUMBLINE_TEST_POSTGRES"):
        return server
    pytest.fail("needs a PostgreSQL server: bin/test names it in both legs; or set PLUMBLINE_TEST_POSTGRES")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def admin_connection() -> psycopg.Connection:
    """A connection to the server's maintenance database, to create and drop databases."""
    url = with_database(postgres_server_url(), "postgres")
    try:
        return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(f"no PostgreSQL server to create databases on ({error}); set PLUMBLINE_TEST_POSTGRES")


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """An empty database of its own, dropped afterwards (with whatever still holds a connection)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(postgres_server_url(), name)
    finally:
        with admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def count(database_url: str, table: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    assert row is not None
    return int(row[0])


def production_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """What an EnvironmentFile would hold: nothing of the test session's own settings."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TZ") if name in os.environ}
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PLUMBLINE_VAR_DIR": str(var_dir),
            # Its own queue, so a test worker elsewhere on this Redis never takes its tasks (nor it theirs).
            "PLUMBLINE_CELERY_QUEUE": f"plumbline-serve-{secrets.token_hex(4)}",
            "PLUMBLINE_WEB_WORKERS": "2",
            "PLUMBLINE_WORKER_CONCURRENCY": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@dataclass
class Served:
    """A running `bin/serve all`: its process (leader of its own process group), address and log."""

    process: subprocess.Popen[bytes]
    base: str
    env: dict[str, str]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_serve(env: dict[str, str], log: Path, timeout: float = 120.0) -> Served:
    """`bin/serve all` in a process group of its own; returns once /login/ answers."""
    bind = env["PLUMBLINE_BIND"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SERVE), "all"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    served = Served(process, f"http://{bind}", env, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bin/serve stopped with {process.returncode}:\n{served.output()}")
        try:
            with urllib.request.urlopen(f"{served.base}/login/", timeout=2) as response:
                if response.status == 200:
                    return served
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    stop_group(process)
    raise RuntimeError(f"bin/serve did not answer within {timeout} s:\n{served.output()}")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_group(process: subprocess.Popen[bytes], timeout: float = 60.0) -> int:
    """SIGTERM to bin/serve alone, as systemd or a terminal would send it; kills the group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


def wait_until_gone(pgid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_alive(pgid):
            return True
        time.sleep(0.2)
    return False


def serve_bind() -> str:
    return f"127.0.0.1:{free_port()}"
