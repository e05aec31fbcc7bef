"""bin/serve as production runs it: web, worker and beat on a fresh PostgreSQL database and Redis, walked
over real HTTP (login, a page, a ping the worker applies, beat's schedule), backed up and restored,
behind the real nginx site, and stopped by one signal. One start serves the whole module."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.celery_worker import ROOT
from tests.deploy.nginx import UNVERIFIED, https, local_site, nginx_binary, nginx_config
from tests.deploy.production import (
    Served,
    count,
    fresh_database,
    manage,
    production_env,
    serve_bind,
    start_serve,
    stop_group,
    wait_until_gone,
)
from tests.web_server import free_port

pytestmark = pytest.mark.worker

PING_KEY = "pl-serve-ping-7c1e4b9a2f"
ADMIN, PASSWORD = "ops@example.com", "a-long-production-password-41"
KEY, NAME = "nightly-gl-export", "Nightly GL export to the warehouse"
SPEC = f"""apiVersion: plumbline/v1
kind: Integration
key: {KEY}
name: {NAME}
sync: {{trigger: schedule, interval_minutes: 15}}
health: {{kind: heartbeat, grace_minutes: 10}}
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`bin/serve all` on a database of its own, with an admin and one heartbeat integration imported."""
    var_dir = tmp_path_factory.mktemp("serve-var")
    with fresh_database("plumbline_serve") as database_url:
        env = production_env(
            database_url,
            var_dir,
            PLUMBLINE_BIND=serve_bind(),
            PLUMBLINE_PING_KEY=PING_KEY,
            # As behind nginx in production (deploy/nginx/plumbline.conf, on a port of the test's).
            CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{free_port()}",
            SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
            SECURE_HSTS_SECONDS="600",
            PLUMBLINE_PROXIES="1",
        )
        served = start_serve(env, var_dir / "serve.log")
        try:
            manage(env, "create_user", ADMIN, "--role", "admin", "--password", PASSWORD)
            spec = var_dir / "specs" / "gl.yaml"
            spec.parent.mkdir()
            spec.write_text(SPEC)
            manage(env, "import_specs", str(spec))
            yield served
        finally:
            stop_group(served.process)
            wait_until_gone(served.process.pid)


def browser() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), urllib.request.HTTPSHandler(context=UNVERIFIED)
    )


def get(opener: urllib.request.OpenerDirector, url: str) -> tuple[str, str]:
    """(the address it ended at after redirects, the page's text)"""
    with opener.open(url, timeout=20) as response:
        return response.geturl(), response.read().decode()


def log_in(base: str, **headers: str) -> urllib.request.OpenerDirector:
    opener = browser()
    _, login_page = get(opener, f"{base}/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert token, login_page
    form = {"csrfmiddlewaretoken": token.group(1), "username": ADMIN, "password": PASSWORD}
    request = urllib.request.Request(f"{base}/login/", data=urllib.parse.urlencode(form).encode(), headers=headers)
    with opener.open(request, timeout=20) as response:
        assert urllib.parse.urlsplit(response.geturl()).path == "/"  # the dashboard, not the login form again
    return opener


def post_ping(served: Served, body: dict[str, object]) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{served.base}/ping/{PING_KEY}/{KEY}", data=json.dumps(body).encode(), method="POST"
    )
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status, response.read().decode()


def wait_for(predicate: Callable[[], bool], timeout: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_an_admin_logs_in_and_the_integration_page_shows_the_imported_spec(served):
    opener = log_in(served.base)
    url, page = get(opener, f"{served.base}/integrations/{KEY}/")
    assert urllib.parse.urlsplit(url).path == f"/integrations/{KEY}/"
    assert f"<h1>{NAME}" in page or f">{NAME}<" in page
    assert ADMIN in page  # signed in: the page names who is


def test_a_page_without_login_goes_to_the_login_form(served):
    url, page = get(browser(), f"{served.base}/integrations/{KEY}/")
    assert urllib.parse.urlsplit(url).path == "/login/"
    assert NAME not in page


def test_a_ping_is_applied_by_the_worker_without_any_page_read(served):
    database_url = served.env["DATABASE_URL"]
    assert post_ping(served, {"run_id": "serve-1", "records_out": 7}) == (200, "OK")

    # Only the worker applies a stored ping here: no page or API call reads health meanwhile.
    def applied() -> bool:
        return count(database_url, "monitoring_pendingping") == 0 and count(database_url, "monitoring_run") == 1

    assert wait_for(applied), served.output()[-3000:]
    assert "monitoring.apply_pings" in served.output()
    _, health = get(log_in(served.base), f"{served.base}/integrations/{KEY}/health/")
    assert 'class="badge up"' in health
    assert "Last ping" in health


def test_beat_queues_the_periodic_tasks_and_the_worker_runs_them(served):
    def beat_sent_and_worker_ran() -> bool:
        out = served.output()
        return (
            "Sending due task monitoring.apply_pings" in out
            and re.search(r"Task monitoring\.apply_pings\[[0-9a-f-]+\] succeeded", out) is not None
        )

    assert wait_for(beat_sent_and_worker_ran, timeout=40), served.output()[-3000:]
    out = served.output()
    assert re.search(r"^beat  \| .*Scheduler: Sending due task", out, re.MULTILINE)
    assert re.search(r"^worker\| .*celery@\S+ ready", out, re.MULTILINE)
    assert re.search(r"^web   \| .*Listening at: " + re.escape(served.base), out, re.MULTILINE)


def test_no_demo_data_is_loaded(served):
    assert count(served.env["DATABASE_URL"], "catalog_integration") == 1
    assert count(served.env["DATABASE_URL"], "catalog_system") == 0


# --- backup and restore ------------------------------------------------------------------------


def run_script(script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "deploy" / script), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_backup_then_restore_into_a_fresh_database_keeps_every_integration_and_change(served, tmp_path):
    source = served.env["DATABASE_URL"]
    backups = tmp_path / "backups"
    made = run_script("backup.sh", served.env, str(backups))
    assert made.returncode == 0, made.stdout + made.stderr
    (backup,) = backups.iterdir()
    assert re.fullmatch(r"20\d\d-\d\d-\d\dT\d{6}Z", backup.name)
    assert f"kind: Integration\nkey: {KEY}\n" in "".join(p.read_text() for p in (backup / "specs").rglob("*.yaml"))
    assert oct((backup / "plumbline.dump").stat().st_mode & 0o777) == "0o600"

    with fresh_database("plumbline_restore") as target:
        restored = run_script("restore.sh", {**served.env, "DATABASE_URL": target}, str(backup))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        for table in ("catalog_integration", "catalog_changerecord", "monitoring_run", "auth_user"):
            assert (table, count(target, table)) == (table, count(source, table))
        assert count(target, "catalog_changerecord") >= 1  # the import wrote one


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(served, tmp_path):
    made = run_script("backup.sh", served.env, str(tmp_path))
    assert made.returncode == 0, made.stdout + made.stderr
    (backup,) = tmp_path.iterdir()
    with fresh_database("plumbline_restore") as target:
        env = {**served.env, "DATABASE_URL": target}
        assert run_script("restore.sh", env, str(backup)).returncode == 0
        manage(env, "create_user", "late@example.com", "--role", "viewer", "--password", PASSWORD)
        users = count(target, "auth_user")

        refused = run_script("restore.sh", env, str(backup))
        assert refused.returncode == 1
        assert "the database already holds" in refused.stderr
        assert "nothing was restored" in refused.stderr
        assert count(target, "auth_user") == users

        forced = run_script("restore.sh", env, str(backup), "--force")
        assert forced.returncode == 0, forced.stdout + forced.stderr
        assert count(target, "auth_user") == users - 1  # as backed up: the later user is gone


def test_backups_beyond_the_number_kept_are_removed_oldest_first(served, tmp_path):
    for old in ("2020-01-01T000000Z", "2020-01-02T000000Z"):
        (tmp_path / old).mkdir()
    made = run_script("backup.sh", {**served.env, "PLUMBLINE_BACKUP_KEEP": "2"}, str(tmp_path))
    assert made.returncode == 0, made.stdout + made.stderr
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept[0] == "2020-01-02T000000Z"
    assert len(kept) == 2 and (tmp_path / kept[1] / "plumbline.dump").exists()
    assert "removed the old backup" in made.stdout


# --- behind nginx -------------------------------------------------------------------------------


def test_behind_nginx_https_logs_in_static_comes_from_disk_and_big_pings_are_refused(served, tmp_path):
    nginx = nginx_binary()
    http_port, https_port = free_port(), int(served.env["CSRF_TRUSTED_ORIGINS"].rsplit(":", 1)[1])
    main = nginx_config(tmp_path, local_site(served, tmp_path, http_port, https_port))
    command = [nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main), "-g", "daemon off;"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: (tmp_path / "nginx.pid").exists(), timeout=10)
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/login/?next=/health/")
        redirect = plain.getresponse()
        assert (redirect.status, redirect.getheader("Location")) == (
            301,
            f"https://127.0.0.1:{https_port}/login/?next=/health/",
        )

        status, headers, body = https(https_port, "GET", "/login/")
        assert status == 200 and b'name="csrfmiddlewaretoken"' in body  # gunicorn's page, through the proxy
        # Django saw HTTPS (X-Forwarded-Proto) and sent its own HSTS (600 s): nginx sent its year, once.
        assert headers["strict-transport-security"] == ["max-age=31536000; includeSubDomains"]

        # Over HTTPS Django checks the Referer of a form post: only a request it knows came over HTTPS
        # (the X-Forwarded-Proto nginx sets) is refused without one, as the direct HTTP login is not.
        base = f"https://127.0.0.1:{https_port}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            log_in(base)
        assert refused.value.code == 403
        _, page = get(log_in(base, Referer=f"{base}/login/"), f"{base}/integrations/{KEY}/")
        assert NAME in page

        status, headers, body = https(https_port, "GET", "/static/css/plumbline.css")
        on_disk = Path(served.env["PLUMBLINE_VAR_DIR"]) / "staticfiles" / "css" / "plumbline.css"
        assert (status, body) == (200, on_disk.read_bytes())
        assert headers["cache-control"] == ["public, no-cache"]
        assert headers["strict-transport-security"] == ["max-age=31536000; includeSubDomains"]

        status, _, body = https(https_port, "GET", "/metrics")
        assert status == 403 and b"<center>nginx" in body  # refused by nginx: this test is not the scraper

        status, _, body = https(
            https_port, "POST", f"/ping/{PING_KEY}/{KEY}", json.dumps({"message": "x" * 150_000}).encode()
        )
        assert (status, body) == (413, b"body over 100 KB\n")
        status, _, body = https(
            https_port, "POST", f"/ping/{PING_KEY}/{KEY}", json.dumps({"run_id": "via-nginx"}).encode()
        )
        assert (status, body) == (200, b"OK")
    finally:
        process.terminate()
        process.wait(timeout=15)


# --- stopping -----------------------------------------------------------------------------------


def children(pid: int) -> dict[int, str]:
    """The direct children of a process: pid -> command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return found


def port_closed(bind: str) -> bool:
    host, port = bind.rsplit(":", 1)
    try:
        http.client.HTTPConnection(host, int(port), timeout=2).request("GET", "/login/")
    except OSError:
        return True
    return False


def test_sigterm_stops_web_worker_and_beat_and_leaves_no_process(served):
    started = children(served.process.pid)
    assert sorted(name for cmd in started.values() for name in ("gunicorn", "worker", "beat") if name in cmd) == [
        "beat",
        "gunicorn",
        "worker",
    ]
    assert stop_group(served.process) == 128 + signal.SIGTERM
    assert wait_until_gone(served.process.pid), "a process of bin/serve's group outlived it"
    assert port_closed(served.env["PLUMBLINE_BIND"])
    out = served.output()
    assert "bin/serve: stopping web, worker and beat" in out
    assert "Shutting down: Master" in out  # gunicorn stopped on its own, not killed
    assert "Warm shutdown" in out  # so did the worker


def test_one_process_dying_stops_the_others_with_its_status(served, tmp_path):
    """Started again on the same (migrated) database: migrate runs twice harmlessly; then the worker dies."""
    env = {**served.env, "PLUMBLINE_BIND": serve_bind()}
    again = start_serve(env, tmp_path / "serve.log")
    try:
        (worker,) = [pid for pid, cmd in children(again.process.pid).items() if "celery" in cmd and " worker" in cmd]
        os.kill(worker, signal.SIGKILL)
        assert again.process.wait(timeout=60) == 128 + signal.SIGKILL
        assert wait_until_gone(again.process.pid)
        assert port_closed(env["PLUMBLINE_BIND"])
        assert f"bin/serve: worker stopped with status {128 + signal.SIGKILL}; stopping the others" in again.output()
        assert "No migrations to apply." in again.output()
    finally:
        stop_group(again.process)
