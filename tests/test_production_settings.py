"""Production settings from the environment: the README's example passes `check --deploy`, every
page carries a Content-Security-Policy without inline scripts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.celery_worker import ROOT, worker_env

PRODUCTION = {
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-0123456789",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "plumbline.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://plumbline.example.com",
    "SECURE_COOKIES": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = worker_env(**env)
    # The browser tests set it in this process (playwright's event loop); a deployment never would.
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


@pytest.mark.django_db
def test_the_readme_production_example_passes_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_security_settings_are_read_from_the_environment():
    code = (
        "from django.conf import settings as s; import json; print(json.dumps([s.SECURE_HSTS_SECONDS, "
        "s.SECURE_SSL_REDIRECT, list(s.SECURE_PROXY_SSL_HEADER), s.SESSION_COOKIE_SECURE]))"
    )
    result = manage("shell", "-c", code, **PRODUCTION)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        31536000,
        True,
        ["HTTP_X_FORWARDED_PROTO", "https"],
        True,
    ]


@pytest.mark.django_db
def test_every_page_forbids_inline_scripts(client):
    from tests.pages.estate import make_user

    client.force_login(make_user("viewer@example.com", "viewer"))
    for path in ("/", "/integrations/", "/login/", "/graph/"):
        policy = client.get(path)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", path
        assert directives["style-src"] == "'self'", path
        assert directives["frame-ancestors"] == "'none'", path


@pytest.mark.django_db
def test_the_browsable_api_may_style_inline_but_not_script(client):
    from tests.pages.estate import make_user

    client.force_login(make_user("viewer@example.com", "viewer"))
    html = client.get("/api/v1/integrations/", HTTP_ACCEPT="text/html")
    json_answer = client.get("/api/v1/integrations/", HTTP_ACCEPT="application/json")
    assert "style-src 'self' 'unsafe-inline'" in html["Content-Security-Policy"]
    assert "script-src 'self';" in html["Content-Security-Policy"]
    assert "style-src 'self';" in json_answer["Content-Security-Policy"]
