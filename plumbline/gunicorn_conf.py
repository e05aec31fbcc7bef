"""gunicorn's settings for `bin/serve web`, from the environment (README "Configuration")."""

from __future__ import annotations

import os

# Behind nginx on the same host (deploy/nginx/plumbline.conf); 0.0.0.0:8000 behind a proxy elsewhere.
bind = os.environ.get("PLUMBLINE_BIND", "127.0.0.1:8000")
# gunicorn's recommended 2 x cores + 1 sync workers: a page waiting on the database leaves a core to another.
workers = int(os.environ.get("PLUMBLINE_WEB_WORKERS", "") or 2 * (os.cpu_count() or 1) + 1)
