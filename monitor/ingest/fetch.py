"""httpx GET within limits: conditional headers, a decompressed-body cap, a total deadline,
bounded redirects, a per-host concurrency limit and the SSRF guard (monitor/netguard.py).

Never raises for HTTP or network trouble: every outcome is a value
(Fetched, NotModified or FetchFailed with a short `kind`):
bad_url, blocked, busy, timeout, network, redirects, http, throttled, gone, too_large, encoding, stopped.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import httpx

from monitor import USER_AGENT
from monitor.config import FetchSection
from monitor.ingest import netguard
from monitor.ingest.cachecontrol import conditional_headers
from monitor.ingest.netguard import Guard
from monitor.text import printable
from monitor.types import FeedState, Fetched, FetchFailed, FetchResult, NotModified
from monitor.urls import BadUrl, parse_url, resolve

ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
DRAIN_LIMIT = 64 * 1024  # redirect, 304 and error bodies up to this size are read so the connection is kept
HOST_WAIT_FACTOR = 4  # a fetch waits at most this many deadlines for a free per-host slot
# (host, slots, until as time.monotonic()) -> a block that holds one of the host's slots, or says False
SharedSlot = Callable[[str, int, float], AbstractContextManager[bool]]


class Fetcher:
    """Fetches feeds with one shared, guarded httpx client; safe to call from many threads."""

    def __init__(
        self, limits: FetchSection, guard: Guard = Guard(), client: httpx.Client | None = None, stop: threading.Event | None = None, shared_slot: SharedSlot | None = None
    ) -> None:
        self.limits = limits
        # daemons sharing a database also share each host's slots (monitor.store.turns.host_slot)
        self.shared_slot = shared_slot
        self.stop = stop or threading.Event()
        self.client = client or netguard.guarded_client(
            guard,
            limits=httpx.Limits(max_connections=limits.concurrency * 2, max_keepalive_connections=limits.concurrency),
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(min(10.0, limits.timeout)),
            follow_redirects=False,
        )
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def fetch(self, url: str, state: FeedState) -> FetchResult:
        """GET `state.fetch_url` (a permanent redirect learnt earlier) or `url`; results are keyed by `url`."""
        start = state.fetch_url or url
        headers = conditional_headers(state)
        current, permanent = start, True
        deadline: float | None = None  # starts once the first host slot is ours: queueing is not the server's fault
        for _hop in range(self.limits.max_redirects + 1):
            parts = parse_url(current)
            if isinstance(parts, BadUrl):  # config URLs passed this at load; `explain --url` and stored moves may not
                return FetchFailed(url, "bad_url", f"{parts}")
            slot = self._slot(parts.host)
            if not self._acquire(slot, deadline):
                kind = "stopped" if self.stop.is_set() else "busy"
                return FetchFailed(url, kind, f"{current}: no free connection slot for {parts.host} (fetch.per_host = {self.limits.per_host})")
            try:
                with self._shared(parts.host, deadline) as ours:
                    if not ours:
                        return FetchFailed(url, "busy", f"{current}: every connection slot for {parts.host} is held by other instances (fetch.per_host = {self.limits.per_host})")
                    deadline = deadline or time.monotonic() + self.limits.timeout
                    with netguard.deadline(deadline):
                        result = self._get(url, current, headers, deadline)
            except httpx.TimeoutException:
                return FetchFailed(url, "timeout", f"{current}: not complete within {self.limits.timeout:g} s")
            except httpx.HTTPError as exc:
                if reason := netguard.blocked_reason(exc):
                    return FetchFailed(url, "blocked", f"{current}: {reason}")
                return FetchFailed(url, "network", f"{current}: {type(exc).__name__}: {exc}")
            except (httpx.InvalidURL, UnicodeError, ValueError) as exc:  # what httpx refuses that monitor.urls let through
                return FetchFailed(url, "bad_url", f"{current}: {type(exc).__name__}: {exc}")
            finally:
                slot.release()
            if isinstance(result, tuple):  # a redirect: (status, location)
                status, location = result
                permanent = permanent and status in PERMANENT
                target = resolve(current, location)
                if isinstance(target, BadUrl):
                    return FetchFailed(url, "bad_url", f"{current}: HTTP {status} redirect to {target}", status)
                current = target.text
                continue
            moved = current if permanent and current != start else None
            if isinstance(result, Fetched):
                return Fetched(url, current, result.status, result.headers, result.body, moved)
            if isinstance(result, NotModified):
                return NotModified(url, result.headers, moved)
            return result
        return FetchFailed(url, "redirects", f"{start}: more than {self.limits.max_redirects} redirects (last: {current})")

    def _shared(self, host: str, deadline: float | None) -> AbstractContextManager[bool]:
        if self.shared_slot is None:
            return nullcontext(True)
        return self.shared_slot(host, self.limits.per_host, self._wait_until(deadline))

    def _slot(self, host: str) -> threading.BoundedSemaphore:
        with self._hosts_lock:
            if host not in self._hosts:
                self._hosts[host] = threading.BoundedSemaphore(self.limits.per_host)
            return self._hosts[host]

    def _wait_until(self, deadline: float | None) -> float:
        """How long a fetch may wait for a host's slot: its deadline once running, a few deadlines while queued."""
        return deadline or time.monotonic() + HOST_WAIT_FACTOR * self.limits.timeout

    def _acquire(self, slot: threading.BoundedSemaphore, deadline: float | None) -> bool:
        """Wait for a per-host slot, bounded by the deadline (or a few deadlines while queued) and `stop`."""
        until = self._wait_until(deadline)
        while not self.stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return False
            if slot.acquire(timeout=min(0.25, left)):
                return True
        return False

    def _get(self, url: str, current: str, headers: dict[str, str], deadline: float) -> FetchResult | tuple[int, str]:
        with self.client.stream("GET", current, headers=headers) as resp:
            resp_headers = dict(resp.headers)
            status = resp.status_code
            if status in REDIRECTS or status == 304 or status >= 400:
                _drain(resp)
            if status in REDIRECTS:
                location = resp.headers.get("location")
                if not location:
                    return FetchFailed(url, "http", f"{current}: HTTP {status} without Location", status)
                return status, location
            if status == 304:
                return NotModified(url, resp_headers)
            if status >= 400 or status < 200:
                kind = {410: "gone", 429: "throttled", 503: "throttled"}.get(status, "http")
                reason = printable(resp.reason_phrase, 200)  # the server's own words: no controls, bounded
                return FetchFailed(url, kind, f"{current}: HTTP {status} {reason}".rstrip(), status, headers=resp_headers)
            try:
                inflater = Inflater(resp.headers.get("content-encoding", ""))
            except ValueError as exc:
                return FetchFailed(url, "encoding", f"{current}: {exc}", status)
            return self._read_body(url, current, resp, inflater, deadline)

    def _read_body(self, url: str, current: str, resp: httpx.Response, inflater: "Inflater", deadline: float) -> FetchResult:
        cap = self.limits.max_body
        too_large = FetchFailed(url, "too_large", f"{current}: body larger than {cap} bytes (fetch.max_body)", resp.status_code)
        declared = resp.headers.get("content-length", "")
        if not inflater.active and declared.isdigit() and int(declared) > cap:
            return too_large
        body = bytearray()
        # Raw bytes, inflated here: httpx would inflate each raw chunk whole, with no output bound,
        # so one 64 KiB chunk of a gzip bomb could become 64 MiB before any cap is checked.
        for raw in resp.iter_raw():
            try:
                body += inflater.feed(raw, cap + 1 - len(body))
            except zlib.error as exc:
                return FetchFailed(url, "encoding", f"{current}: cannot decode {inflater.name} body: {exc}", resp.status_code)
            if len(body) > cap:
                return too_large
            if time.monotonic() > deadline:
                return FetchFailed(url, "timeout", f"{current}: not complete within {self.limits.timeout:g} s", resp.status_code)
            if self.stop.is_set():
                return FetchFailed(url, "stopped", f"{current}: shutting down", resp.status_code)
        return Fetched(url, current, resp.status_code, dict(resp.headers), bytes(body))


def _drain(resp: httpx.Response) -> None:
    """Read an answer with no or a small declared body to its end, so its connection goes back to the pool.

    Leaving it unread closes the connection: a warm cycle of 304s would then open one per feed.
    """
    declared = resp.headers.get("content-length", "0" if resp.status_code == 304 else "")
    if declared.isdigit() and int(declared) <= DRAIN_LIMIT:
        for _raw in resp.iter_raw():  # raw: an error page is never inflated
            pass


class Inflater:
    """Content-Encoding (identity, gzip, deflate) decoding that never yields more than asked."""

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip().lower() not in ("", "identity")]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise ValueError(f"unsupported Content-Encoding {content_encoding!r} (we ask for gzip or deflate)")
        self.name = codings[0] if codings else "identity"
        self.active = bool(codings)
        self._z: zlib._Decompress | None = None

    def feed(self, data: bytes, room: int) -> bytes:
        """Up to `room` decoded bytes of `data`; the caller gives up once `room` is filled, so input left over is dropped."""
        if not self.active:
            return data
        if self._z is None:
            self._z = zlib.decompressobj(self._wbits(data))
        if self._z.eof:  # anything after the end of the stream is ignored (multi-member gzip is not sent by servers)
            return b""
        return self._z.decompress(data, max(1, room))

    def _wbits(self, first: bytes) -> int:
        if self.name != "deflate":
            return 16 + zlib.MAX_WBITS
        # "deflate" should be zlib-wrapped, but some servers send a raw deflate stream
        wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS
