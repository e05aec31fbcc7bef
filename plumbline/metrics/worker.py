"""A Celery worker's own /metrics, for workers on machines other than the web server's.

With PLUMBLINE_WORKER_METRICS_PORT set, the worker's main process serves the counters its pool
processes counted (into PROMETHEUS_MULTIPROC_DIR, which it then needs) on that port, all
addresses, behind the same token and allowlist as the web server's /metrics. No state gauges:
those come from the web server's /metrics, read from the database, and would count twice.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from prometheus_client import make_wsgi_app

from plumbline.metrics.view import CHALLENGE, counters, refusal

logger = logging.getLogger(__name__)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # a scrape every few seconds is no news
        pass


def serve_worker_metrics() -> WSGIServer | None:
    """Start the worker's metrics server in a thread, when configured; the server, else None."""
    port = settings.PLUMBLINE_WORKER_METRICS_PORT
    if not port:
        return None
    token, allow = settings.PLUMBLINE_METRICS_TOKEN, settings.PLUMBLINE_METRICS_ALLOW
    if not token and not allow:
        logger.error("PLUMBLINE_WORKER_METRICS_PORT is set but neither PLUMBLINE_METRICS_TOKEN nor _ALLOW: not served")
        return None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        logger.error("PLUMBLINE_WORKER_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR (the pool counts there): not served")
        return None
    server = make_server("0.0.0.0", port, guarded(make_wsgi_app(counters())), _Server, _QuietHandler)  # noqa: S104
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    logger.info("worker metrics on port %s", port)
    return server


def guarded(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """The metrics app behind the web server's token and allowlist."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        token, allow = settings.PLUMBLINE_METRICS_TOKEN, settings.PLUMBLINE_METRICS_ALLOW
        refused = refusal(environ.get("HTTP_AUTHORIZATION", ""), environ.get("REMOTE_ADDR", ""), token, allow)
        if refused is None:
            return app(environ, start_response)
        status, message = refused
        headers = [("Content-Type", "text/plain; charset=utf-8")]
        headers += [("WWW-Authenticate", CHALLENGE)] if status == 401 else []
        start_response(f"{status} {'Unauthorized' if status == 401 else 'Forbidden'}", headers)
        return [message.encode()]

    return wsgi
