"""The optional health and metrics listener: GET /healthz and GET /metrics.

Hand-written on http.server rather than prometheus_client.start_http_server,
because that one serves only metrics and we need /healthz beside it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from monitor.service.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger("seedwatch.http")


@dataclass(frozen=True)
class Health:
    """The answer to /healthz: ok, and the facts it was decided from."""

    ok: bool
    detail: dict[str, Any]


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class StatusServer:
    """Serves `health()` and `metrics` on (host, port) from a background thread."""

    def __init__(self, host: str, port: int, health: Callable[[], Health], metrics: Metrics) -> None:
        self.httpd = _Server((host, port), _handler(health, metrics))
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.5}, name="status-http", daemon=True)

    @property
    def address(self) -> str:
        host, port = str(self.httpd.server_address[0]), self.httpd.server_address[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(health: Callable[[], Health], metrics: Metrics) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "seedwatch"

        def log_message(self, *_args: Any) -> None:
            pass  # scrapes every few seconds would drown the feed-run lines

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                result = health()
                self._send(200 if result.ok else 503, "application/json", json.dumps({"status": "ok" if result.ok else "unhealthy", **result.detail}).encode())
            elif path == "/metrics":
                self._send(200, CONTENT_TYPE, metrics.exposition())
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found: try /healthz or /metrics\n")

        def _send(self, status: int, ctype: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler
