"""deploy/nginx/plumbline.conf run by the tests: a self-signed certificate, a main nginx.conf keeping every
file nginx writes in a folder of the test's, and the site pointed at the test's ports and bin/serve."""

from __future__ import annotations

import http.client
import os
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from tests.celery_worker import ROOT
from tests.deploy.production import Served

SITE = ROOT / "deploy" / "nginx" / "plumbline.conf"
# The test's nginx presents a self-signed certificate.
UNVERIFIED = ssl.create_default_context()
UNVERIFIED.check_hostname, UNVERIFIED.verify_mode = False, ssl.CERT_NONE


def nginx_binary() -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        pytest.fail("nginx is not installed: PLUMBLINE_SERVICES=1 bin/setup (which bin/test runs) installs it")
    return nginx


OPENSSL_SELF_SIGNED = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
OPENSSL_SELF_SIGNED += ["-subj", "/CN=plumbline.example.com"]


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [*OPENSSL_SELF_SIGNED, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def nginx_config(folder: Path, site: str) -> Path:
    """A main nginx.conf around the site, with every path nginx writes inside `folder`."""
    main = folder / "nginx.conf"
    temp = "".join(
        f"  {kind}_temp_path {folder}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "site.conf").write_text(site)
    main.write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nuser root;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n{temp}  include {folder}/site.conf;\n}}\n"
    )
    return main


def local_site(served: Served, folder: Path, http_port: int, https_port: int) -> str:
    """deploy/nginx/plumbline.conf with the test's certificate, ports, gunicorn and static files."""
    cert, key = self_signed(folder)
    site = SITE.read_text()
    replacements = {
        "/etc/letsencrypt/live/plumbline.example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/plumbline.example.com/privkey.pem": str(key),
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8000;": f"server {served.env['PLUMBLINE_BIND']};",
        "/var/lib/plumbline/staticfiles/": f"{served.env['PLUMBLINE_VAR_DIR']}/staticfiles/",
        "return 301 https://$host$request_uri;": f"return 301 https://$host:{https_port}$request_uri;",
    }
    for old, new in replacements.items():
        assert old in site, old
        site = site.replace(old, new)
    return site


def https(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, list[str]], bytes]:
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=20, context=UNVERIFIED)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        headers: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            headers.setdefault(name.lower(), []).append(value)
        return response.status, headers, response.read()
    finally:
        conn.close()
