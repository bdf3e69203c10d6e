"""The network edge: which addresses may be connected to (SSRF guard), and by when (total deadline).

Both live in an httpcore network backend because that is the one place that sees
the address actually connected, on every redirect hop and every reused-or-new
connection: a pre-flight DNS check of the URL could be answered differently a
moment later (DNS rebinding), and httpx's own timeouts apply per read, so a server
trickling one byte a second would never trip them.

Use `guarded_client(guard, ...)` for any httpx.Client that fetches a URL someone
else chose: feed URLs, article URLs, webhook URLs.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: Python's is_private misses it
# The monotonic time by which the current thread's request must be done (None: no deadline).
_DEADLINE: ContextVar[float | None] = ContextVar("seedwatch_deadline", default=None)


class BlockedAddress(httpcore.ConnectError):
    """The host resolves to an address the guard refuses; nothing was sent to it."""


def refusal(ip: IPAddress) -> str | None:
    """Why connecting to `ip` is refused, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        reason = refusal(ip.ipv4_mapped)
        return f"IPv4-mapped {reason}" if reason else None
    if isinstance(ip, ipaddress.IPv6Address) and ip.sixtofour is not None:
        reason = refusal(ip.sixtofour)
        return f"6to4-wrapped {reason}" if reason else None
    checks = (
        (ip.is_loopback, "loopback"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "carrier-grade NAT"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
    )
    return next((f"{name} address" for hit, name in checks if hit), None)


@dataclass(frozen=True)
class Guard:
    """The policy: refuse non-public addresses unless private networks or this host are allowed."""

    allow_private: bool = False
    allow_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, monitor: Any) -> "Guard":
        """From a MonitorSection (`allow_private_networks`, `allow_hosts`)."""
        return cls(monitor.allow_private_networks, frozenset(h.lower().strip("[]") for h in monitor.allow_hosts))

    def allows_host(self, host: str) -> bool:
        return self.allow_private or host.lower().strip("[]") in self.allow_hosts


@contextlib.contextmanager
def deadline(at: float) -> Iterator[None]:
    """Bound every connect, read and write of this thread's requests by monotonic time `at`."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    at = _DEADLINE.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the total time limit for this request has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A socket stream whose every operation also respects the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self.inner.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Resolves the host, checks every address, then connects to a checked address only."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        # getaddrinfo has no timeout of its own: it runs here so a slow resolver counts against the deadline
        self._resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="seedwatch-dns")

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolve(host, port, _clamp(timeout, httpcore.ConnectTimeout))
        if not self.guard.allows_host(host):
            for ip in addresses:
                if reason := refusal(ip):
                    raise BlockedAddress(
                        f"{host} resolves to {ip} ({reason}); refused (set monitor.allow_private_networks "
                        f"or add \"{host}\" to monitor.allow_hosts to allow it)"
                    )
        error: Exception = httpcore.ConnectError(f"{host}: no address to connect to")
        for ip in addresses:
            # Connecting to the checked IP (not the name) means a second DNS answer cannot slip in.
            try:
                stream = super().connect_tcp(str(ip), port, _clamp(timeout, httpcore.ConnectTimeout), local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return _Stream(stream)
        raise error

    def _resolve(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        lookup = self._resolver.submit(socket.getaddrinfo, host.strip("[]"), port, type=socket.SOCK_STREAM)
        try:
            infos = lookup.result(timeout)
        except FutureTimeout:
            raise httpcore.ConnectTimeout(f"{host}: no DNS answer in time") from None
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host}: cannot resolve: {exc}") from None
        out: list[IPAddress] = []
        for info in infos:
            ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
            if ip not in out:
                out.append(ip)
        return out

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise BlockedAddress("unix sockets are never fetched")


# httpcore's exceptions as httpx's, most specific first (httpx maps them the same way in its
# own transport); the original stays the __cause__, so blocked_reason() still finds the guard's.
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        mapped = next((ours for theirs, ours in _HTTPX_ERRORS if isinstance(exc, theirs)), None)
        if mapped is None:
            raise
        raise mapped(str(exc)) from exc


class _ResponseStream(httpx.SyncByteStream):
    """httpcore's body iterator as an httpx stream, with its errors mapped."""

    def __init__(self, inner: Iterable[bytes]) -> None:
        self.inner = inner

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self.inner

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport over our own httpcore pool, whose network backend is the guard.

    Built on public API only (httpx.BaseTransport, httpcore.ConnectionPool's `network_backend`),
    mapping requests, responses and errors the way httpx's HTTPTransport does. No proxy is ever
    used, from the environment or otherwise: a proxy would hide the address actually connected.
    """

    def __init__(self, guard: Guard, limits: httpx.Limits = httpx.Limits(), verify: ssl.SSLContext | bool = True) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(guard),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host, port=request.url.port, target=request.url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            resp = self._pool.handle_request(core)
        assert isinstance(resp.stream, Iterable)
        return httpx.Response(status_code=resp.status, headers=resp.headers, stream=_ResponseStream(resp.stream), extensions=resp.extensions)

    def close(self) -> None:
        self._pool.close()


def guarded_client(guard: Guard, limits: httpx.Limits = httpx.Limits(), **kwargs: Any) -> httpx.Client:
    """An httpx.Client whose every connection passes the guard (and honours `deadline()`)."""
    return httpx.Client(transport=GuardedTransport(guard, limits), trust_env=False, **kwargs)


def blocked_reason(exc: BaseException) -> str | None:
    """The guard's message when `exc` (an httpx error) was caused by a refused address."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 8:
        if isinstance(cur, BlockedAddress):
            return str(cur)
        cur, seen = cur.__cause__ or cur.__context__, seen + 1
    return None
