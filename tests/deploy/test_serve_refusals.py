"""bin/serve refuses to start, naming what is wrong, before it starts anything."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.celery_worker import ROOT
from tests.deploy.production import SERVE, production_env, serve_bind


def refusal(tmp_path: Path, **changes: str | None) -> subprocess.CompletedProcess[str]:
    env = production_env("postgres://nobody@127.0.0.1:1/none", tmp_path, PLUMBLINE_BIND=serve_bind())
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run([str(SERVE), "all"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("missing", ["REDIS_URL", "SECRET_KEY", "DATABASE_URL"])
def test_serve_refuses_to_start_without_a_required_variable(tmp_path, missing):
    result = refusal(tmp_path, **{missing: None})
    assert result.returncode == 2
    assert result.stderr.startswith(f"bin/serve: {missing} not set: production runs on PostgreSQL and Redis")
    assert result.stdout == ""  # nothing was started, not even migrate


def test_serve_names_every_missing_variable_at_once(tmp_path):
    result = refusal(tmp_path, REDIS_URL=None, SECRET_KEY=None)
    assert result.stderr.startswith("bin/serve: REDIS_URL, SECRET_KEY not set:")


@pytest.mark.parametrize("debug", ["true", "True", "1", " yes", "on"])
def test_serve_refuses_debug(tmp_path, debug):
    result = refusal(tmp_path, DEBUG=debug)
    assert result.returncode == 2
    assert f"bin/serve: DEBUG={debug} would show tracebacks and settings to anyone: set DEBUG=false" in result.stderr


def test_serve_refuses_an_unknown_command(tmp_path):
    result = subprocess.run([str(SERVE), "start"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert (result.returncode, result.stderr) == (
        2,
        "bin/serve: unknown command 'start': use web, worker, beat, migrate or all\n",
    )


def test_serve_without_a_virtualenv_says_how_to_make_one(tmp_path):
    copy = tmp_path / "bin" / "serve"
    copy.parent.mkdir()
    shutil.copy2(SERVE, copy)
    env = production_env("postgres://nobody@127.0.0.1:1/none", tmp_path, PLUMBLINE_BIND=serve_bind())
    result = subprocess.run([str(copy), "web"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"bin/serve: no .venv in {tmp_path}: create it with "
        "'python3 -m venv .venv && .venv/bin/pip install -r requirements.txt'"
    )
