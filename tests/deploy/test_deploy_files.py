"""deploy/, the Procfile and .env.example agree with bin/serve, the settings and each other: a unit starts
a command bin/serve has, the env file names every variable Plumbline reads and passes `check --deploy`,
nginx serves the var dir's static files and limits bodies as the app does."""

from __future__ import annotations

import configparser
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from catalog.spec.limits import UPLOAD_MAX_BYTES
from monitoring.ingest.pings import MAX_BODY_BYTES
from tests.celery_worker import ROOT
from tests.deploy.nginx import nginx_binary, nginx_config, self_signed
from tests.deploy.production import SERVE

DEPLOY = ROOT / "deploy"
APP = "/opt/plumbline"  # where deploy/README.md installs the code
# Read by tests and Django itself, never set in a deployment.
NOT_FOR_DEPLOYMENT = {"PLUMBLINE_TEST_SQLITE", "DJANGO_SETTINGS_MODULE"}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "systemd" / name).read_text())
    return parser


def env_example() -> dict[str, str]:
    """.env.example's variables, set or commented out (# NAME=value), with their values."""
    found: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if match := re.match(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$", line):
            found.setdefault(match[1], match[2])
    return found


def env_example_set() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def serve_accepts(command: str) -> bool:
    """bin/serve knows the command: without an environment it refuses for want of variables, not the name."""
    result = subprocess.run([str(SERVE), command], cwd=ROOT, env={"PATH": os.environ["PATH"]}, capture_output=True)
    return result.returncode == 2 and b"not set" in result.stderr and b"unknown command" not in result.stderr


@pytest.mark.parametrize(
    ("name", "command"),
    [("plumbline-web.service", "web"), ("plumbline-worker.service", "worker"), ("plumbline-beat.service", "beat")],
)
def test_each_unit_starts_its_bin_serve_command_under_the_hardening(name, command):
    service = unit(name)["Service"]
    assert service["ExecStart"] == f"{APP}/bin/serve {command}"
    assert serve_accepts(command)
    assert service["WorkingDirectory"] == APP
    assert service["EnvironmentFile"] == "/etc/plumbline/plumbline.env"
    assert (service["User"], service["Group"]) == ("plumbline", "plumbline")
    assert service["Restart"] == "on-failure"
    assert (service["NoNewPrivileges"], service["ProtectSystem"], service["PrivateTmp"]) == ("true", "strict", "true")
    # The only place it writes (besides /tmp) is the var dir the env file names.
    assert service["ReadWritePaths"].split() == [env_example_set()["PLUMBLINE_VAR_DIR"]]
    assert unit(name)["Install"]["WantedBy"] == "multi-user.target"


def test_an_unknown_command_is_refused_by_bin_serve_so_the_unit_check_can_fail():
    assert not serve_accepts("webserver")


def test_the_backup_unit_runs_the_backup_script_and_may_write_where_it_keeps_backups():
    service = unit("plumbline-backup.service")["Service"]
    assert service["ExecStart"] == f"{APP}/deploy/backup.sh"
    assert os.access(DEPLOY / "backup.sh", os.X_OK) and os.access(DEPLOY / "restore.sh", os.X_OK)
    assert service["Type"] == "oneshot"
    backup_dir = re.search(r"PLUMBLINE_BACKUP_DIR=(\S+)", service["Environment"])
    assert backup_dir is not None
    assert service["ReadWritePaths"].split() == [env_example_set()["PLUMBLINE_VAR_DIR"], backup_dir[1]]
    assert unit("plumbline-backup.timer")["Timer"]["OnCalendar"] == "*-*-* 01:30:00"


def test_the_procfile_runs_bin_serve_commands_and_migrates_on_release():
    entries = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    assert entries == {
        "release": "bin/serve migrate",
        "web": "bin/serve web",
        "worker": "bin/serve worker",
        "beat": "bin/serve beat",
    }
    assert all(serve_accepts(command.split()[1]) for command in entries.values())


def test_env_example_names_every_variable_plumbline_reads():
    listed = set(env_example())
    read = {name for name in settings.SETTINGS_ENV if not name.endswith("*")} - NOT_FOR_DEPLOYMENT
    assert sorted(read - listed) == []
    assert any(name.startswith("PLUMBLINE_WEBHOOK_") and name != "PLUMBLINE_WEBHOOK_SECRET" for name in listed)


def test_env_example_names_every_variable_the_readme_configures():
    section = (ROOT / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    configured = set(re.findall(r"^\| `([A-Z_]+)` \|", section, re.MULTILINE)) - NOT_FOR_DEPLOYMENT
    assert sorted(configured - set(env_example())) == []


def test_env_example_filled_in_passes_check_deploy_but_for_hsts_preload(tmp_path):
    env = {"PATH": os.environ["PATH"], **env_example_set()}
    env = {name: value.replace("CHANGE", secrets.token_urlsafe(40)) for name, value in env.items()}
    env["PLUMBLINE_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Only the advice to ask for the HSTS preload list, which commits every subdomain for good: the operator's call.
    assert re.findall(r"\((\S+)\)", result.stdout + result.stderr) == ["security.W021"]


def nginx_site() -> str:
    return (DEPLOY / "nginx" / "plumbline.conf").read_text()


def test_nginx_serves_the_static_files_collectstatic_writes_below_the_var_dir():
    alias = re.search(r"location /static/ \{\s*alias (\S+);", nginx_site())
    assert alias is not None
    assert alias[1] == f"{env_example_set()['PLUMBLINE_VAR_DIR']}/staticfiles/"
    assert settings.STATIC_URL == "/static/"
    assert settings.STATIC_ROOT == settings.VAR_DIR / "staticfiles"


def test_nginx_proxies_to_the_address_gunicorn_binds():
    upstream = re.search(r"upstream plumbline_web \{\s*server (\S+);", nginx_site())
    assert upstream is not None
    assert upstream[1] == env_example_set()["PLUMBLINE_BIND"]


def test_nginx_limits_bodies_as_the_app_does():
    site = nginx_site()
    ping = re.search(r"location /ping/ \{\s*client_max_body_size (\d+)k;", site)
    assert ping is not None and int(ping[1]) * 1024 == MAX_BODY_BYTES
    server = re.findall(r"^    client_max_body_size (\d+)m;", site, re.MULTILINE)
    assert len(server) == 1 and int(server[0]) * 1024 * 1024 > UPLOAD_MAX_BYTES


def test_nginx_tells_django_the_request_came_over_https_as_the_env_file_expects():
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx_site()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in nginx_site()
    assert env_example_set()["SECURE_PROXY_SSL_HEADER"] == "HTTP_X_FORWARDED_PROTO,https"


def test_the_deploy_readme_walks_through_every_file_in_deploy():
    readme = (DEPLOY / "README.md").read_text()
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file() and path.name != "README.md":
            assert path.name in readme, path


def test_bin_serve_and_the_scripts_are_strict_bash():
    for script in (SERVE, DEPLOY / "backup.sh", DEPLOY / "restore.sh"):
        lines = Path(script).read_text().splitlines()
        assert lines[0] == "#!/usr/bin/env bash"
        assert "set -euo pipefail" in lines
        assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0


@pytest.mark.parametrize("name", sorted(p.name for p in (DEPLOY / "systemd").iterdir()))
def test_systemd_reads_every_line_of_the_unit(name):
    """systemd-analyze verify: a misspelt or unknown directive would be ignored by systemd, silently."""
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is not installed: apt-get install systemd")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(DEPLOY / "systemd" / name)], capture_output=True, text=True, timeout=60
    )
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # The code is not installed under /opt/plumbline on this machine.
        if not re.fullmatch(rf"{re.escape(name)}: Command {APP}/\S+ is not executable: No such file or directory", line)
    ]
    assert complaints == []


def test_the_nginx_site_passes_nginx_t_with_a_certificate(tmp_path):
    nginx = nginx_binary()
    cert, key = self_signed(tmp_path)
    site = nginx_site().replace("/etc/letsencrypt/live/plumbline.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/plumbline.example.com/privkey.pem", str(key))
    main = nginx_config(tmp_path, site)
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
