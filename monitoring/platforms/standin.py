"""The kit every platform's stand-in is built from: a real HTTP server on 127.0.0.1 that speaks a
platform's documented API, for tests and benchmarks (each platform's own lives in its folder, standin.py).

Each stand-in is a ThreadingHTTPServer in a background thread with a small route table, records every
request it gets, and refuses wrong credentials with 401 like the platform does. Use one as a context
manager that yields its base URL:

    with WorkatoStandIn(token="t", jobs={"7": [...]}) as base_url:
        result = workato.poll(PollTarget(kind="workato", ref="7", base_url=base_url, ...), client)

Outbound calls to 127.0.0.1 are refused unless settings.PLUMBLINE_OUTBOUND_ALLOW lists it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Recorded, re.Match[str]], Answer]
REFUSED = Answer(401, {"message": "Unauthorized"})


class StandIn:
    """A tiny HTTP server with routes (method, path regex) and a log of requests."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.requests: list[Recorded] = []
        self.base_url = ""
        self.port = 0  # the port to listen on; 0 = any free one (the demo's stand-ins use fixed ones)
        self.tls: tuple[Path, Path] | None = None  # (certificate, key) to serve https instead of http
        self.sni_names: list[str | None] = []  # server names clients sent in their TLS hello
        self._server: ThreadingHTTPServer | None = None

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern), handler))

    def override(self, method: str, pattern: str, handler: Handler) -> None:
        """A route that wins over the documented ones, e.g. to serve a malformed answer."""
        self.routes.insert(0, (method, re.compile(pattern), handler))

    def requests_to(self, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def __enter__(self) -> str:
        standin = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the platforms' APIs (every answer has a Content-Length)
            disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall

            def do_GET(self) -> None:
                standin._dispatch(self)

            do_POST = do_PUT = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), RequestHandler)
        self._server.daemon_threads = True
        scheme = "http"
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            context.sni_callback = lambda _socket, name, _context: self.sni_names.append(name)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.base_url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        return self.base_url

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        request = Recorded(
            method=handler.command,
            path=parts.path,
            query={k: v[-1] for k, v in parse_qs(parts.query).items()},
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
        )
        self.requests.append(request)
        answer = Answer(404, {"message": "no such route"})
        for method, pattern, route_handler in self.routes:
            match = pattern.fullmatch(parts.path)
            if match and method == handler.command:
                try:
                    answer = route_handler(request, match)
                except Exception as exc:  # a stand-in bug shows up as a 500, not a dropped connection
                    answer = Answer(500, {"message": repr(exc)})
                break
        body = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
        if answer.body is None and answer.status in (204, 301, 302, 303, 307, 308):
            body = b""
        handler.send_response(answer.status)
        headers = {"Content-Type": "application/json", **answer.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def token_client(request: Recorded, clients: dict[str, str], refused: Answer) -> Answer | str:
    """An OAuth2 client-credentials token request (RFC 6749 4.4: a form body): the client_id when it names
    one of `clients` ({client_id: client_secret}) with its secret, else the answer refusing it (415 not a
    form, 400 another grant, `refused` a client or secret the token service does not know)."""
    if request.headers.get("content-type") != "application/x-www-form-urlencoded":
        return Answer(415, {"error": "unsupported_media_type"})
    form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
    if form.get("grant_type") != "client_credentials":
        return Answer(400, {"error": "unsupported_grant_type"})
    client_id = form.get("client_id", "")
    if client_id not in clients or clients[client_id] != form.get("client_secret"):
        return refused
    return client_id


def bearer_ok(request: Recorded, token: str) -> bool:
    return request.headers.get("authorization") == f"Bearer {token}"


def iso(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value)
