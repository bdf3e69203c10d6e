"""Real HTTP servers on 127.0.0.1 for tests: a scripted feed server and a webhook receiver."""

from __future__ import annotations

import json
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    """A scripted answer. `handler(request_handler)` takes over completely when given."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    closing: threading.Event  # set by close(): scripted handlers stop their loops

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up early is what limit tests provoke
            return
        super().handle_error(request, client_address)


# Scripted hostile behaviours for Route(handler=...). Each loop is bounded and ends at close().

def trickle(body: bytes, every: float = 1.0) -> Callable[[BaseHTTPRequestHandler], None]:
    """A correct response sent one byte per `every` seconds."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for i in range(len(body)):
            if _closing(h).wait(every):
                return
            if not _write(h, body[i : i + 1]):
                return

    return handler


def silence(h: BaseHTTPRequestHandler) -> None:
    """Accept the request, then say nothing until the server closes (at most 5 minutes)."""
    _closing(h).wait(300)
    h.close_connection = True


def endless(h: BaseHTTPRequestHandler) -> None:
    """A 200 without Content-Length whose body never ends (stops at 64 GiB or when the client leaves)."""
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Connection", "close")
    h.end_headers()
    h.close_connection = True
    chunk = b"<item><title>again</title></item>" * 2000
    for _ in range(2**36 // len(chunk)):
        if _closing(h).is_set() or not _write(h, chunk):
            return


_BOMB: list[bytes] = []


def gzip_bomb_body() -> bytes:
    """About 1 MiB of gzip that inflates to 1 GiB of zeros (built once per test run)."""
    if not _BOMB:
        z = zlib.compressobj(9, zlib.DEFLATED, 31)
        zeros = bytes(2**20)
        _BOMB.append(b"".join(z.compress(zeros) for _ in range(1024)) + z.flush())
    return _BOMB[0]


def gzip_bomb(h: BaseHTTPRequestHandler) -> None:
    body = gzip_bomb_body()
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Encoding", "gzip")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    _write(h, body)


class InFlight:
    """A handler counting the requests in flight at once (`peak`).

    Each request waits until `target` are in flight (at most `bound` seconds), then holds a
    moment before answering: a limit of `target` is reached for sure, and a higher one shows
    as a larger peak, without depending on how the scheduler happens to interleave threads.
    """

    def __init__(self, body: bytes, target: int, bound: float = 2.0, hold: float = 0.2) -> None:
        self.body, self.target, self.bound, self.hold = body, target, bound, hold
        self.active = self.peak = 0
        self.lock = threading.Lock()
        self.reached = threading.Event()

    def __call__(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            if self.active >= self.target:
                self.reached.set()
        self.reached.wait(self.bound)
        _closing(h).wait(self.hold)
        with self.lock:
            self.active -= 1
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(len(self.body)))
        h.end_headers()
        _write(h, self.body)


def _closing(h: BaseHTTPRequestHandler) -> threading.Event:
    return h.server.closing  # type: ignore[attr-defined]


def _write(h: BaseHTTPRequestHandler, data: bytes) -> bool:
    try:
        h.wfile.write(data)
        h.wfile.flush()
        return True
    except OSError:  # the client gave up: that is the point of these tests
        return False

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # a client killed mid-request (the kill -9 tests do that on purpose)
        super().handle_error(request, client_address)


class _Base:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler_class())
        self.server.closing = threading.Event()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.closing.set()
        self.server.shutdown()
        self.server.server_close()

    def _record(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        with self.lock:
            self.requests.append(Request(h.command, h.path, {k.lower(): v for k, v in h.headers.items()}, body, time.time()))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError


class FeedServer(_Base):
    """Serves `routes[path]`; honours If-None-Match / If-Modified-Since with 304."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        super().__init__()

    def set(self, path: str, body: bytes | str = b"", **kw: Any) -> str:
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, **kw)
        return self.url(path)

    def hits(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._record(self, b"")
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                    return
                if route.handler:
                    route.handler(self)
                    return
                validators = {}
                if route.etag:
                    validators["ETag"] = route.etag
                if route.last_modified:
                    validators["Last-Modified"] = route.last_modified
                inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
                if (route.etag and inm == route.etag) or (not route.etag and route.last_modified and ims == route.last_modified):
                    self._send(304, b"", validators)
                    return
                headers = {"Content-Type": "application/rss+xml; charset=utf-8", **validators, **route.headers}
                self._send(route.status, route.body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        return Handler


class WebhookReceiver(_Base):
    """Records every POST; answers from a per-path script of statuses (then 200).

    `delay` seconds pass between recording a POST and answering it (a slow receiver);
    `handlers[path]` answers that path itself (the hostile behaviours above, after the POST is read).
    """

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.handlers: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}  # path -> writes the whole answer
        self.delay = 0.0
        super().__init__()

    def answer(self, path: str, *statuses: int | tuple[int, dict[str, str]]) -> str:
        self.script[path] = [s if isinstance(s, tuple) else (s, {}) for s in statuses]
        return self.url(path)

    def posts(self, path: str | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and (path is None or r.path == path)]

    def json_bodies(self, path: str | None = None) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.posts(path)]

    def wait_for(self, count: int, timeout: float = 30.0, path: str | None = None) -> list[Request]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.posts(path)) >= count:
                return self.posts(path)
            time.sleep(0.05)
        return self.posts(path)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request (kill -9): no delivery took place
                    self.close_connection = True
                    return
                with server.lock:
                    queue = server.script.get(self.path, [])
                    status, headers = queue.pop(0) if queue else (200, {})
                server._record(self, body)
                if self.path in server.handlers:
                    server.handlers[self.path](self)
                    return
                if server.delay:
                    time.sleep(server.delay)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        return Handler
