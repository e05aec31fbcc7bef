"""Throwaway databases for the benches: a fresh SQLite file (copied from a migrated template, so a
bench does not spend ten seconds migrating) or a PostgreSQL database created and dropped per run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "var" / "bench-templates"


def setup_django(var_dir: Path | str, database_url: str | None = None) -> None:
    """Django on a database of the bench's own: `database_url`, or a fresh SQLite file in var_dir
    (never the configured database). Migrations run either way; on a fresh copy they find nothing to do."""
    os.environ["PLUMBLINE_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "plumbline.settings"
    os.environ.pop("DEBUG", None)  # DEBUG keeps every query in memory
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        Path(var_dir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sqlite_template(), Path(var_dir) / "plumbline.sqlite3")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def sqlite_template() -> Path:
    """A migrated SQLite file for the migrations as they are now, built once (in a process of its own)."""
    digest = hashlib.sha256()
    for migration in sorted([*ROOT.glob("*/migrations/*.py"), *ROOT.glob("*/*/migrations/*.py")]):
        digest.update(str(migration.relative_to(ROOT)).encode() + migration.read_bytes())
    template = TEMPLATES / f"migrated-{digest.hexdigest()[:16]}.sqlite3"
    if template.exists():
        return template
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    for old in TEMPLATES.glob("migrated-*.sqlite3"):
        old.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=TEMPLATES) as building:
        built = Path(building) / "template.sqlite3"
        env = {**os.environ, "PLUMBLINE_VAR_DIR": building, "DATABASE_URL": f"sqlite:///{built}"}
        env.pop("DEBUG", None)
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"], env=env, check=True)
        os.replace(built, template)  # whole or not at all: two benches building at once both succeed
    return template


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"--database-url must name a database of its own for the benchmark, not {name!r}")
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    return admin, name


def create_database(url: str) -> None:
    """Create the PostgreSQL database `url` names; one that exists already is never reused."""
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise SystemExit(f"database {name!r} already exists; drop it or name another one (it is never reused)")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
