"""httpx GET within limits: conditional headers, a body cap, a total deadline, bounded redirects.

Never raises for HTTP or network trouble: every outcome is a value
(Fetched, NotModified or FetchFailed with a short `kind`).
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urljoin, urlsplit

import httpx

from monitor import USER_AGENT
from monitor.cachecontrol import conditional_headers
from monitor.config import FetchSection
from monitor.types import Fetched, FetchFailed, FetchResult, FeedState, NotModified

ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)


class Fetcher:
    """Fetches feeds with one shared httpx client (connection reuse, injected for tests)."""

    def __init__(self, limits: FetchSection, client: httpx.Client | None = None, stop: threading.Event | None = None) -> None:
        self.limits = limits
        self.stop = stop or threading.Event()
        self.client = client or httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(min(10.0, limits.timeout)),
            limits=httpx.Limits(max_connections=limits.concurrency * 2, max_keepalive_connections=limits.concurrency),
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def fetch(self, url: str, state: FeedState) -> FetchResult:
        deadline = time.monotonic() + self.limits.timeout
        headers = conditional_headers(state)
        current, permanent = url, True
        for _hop in range(self.limits.max_redirects + 1):
            if urlsplit(current).scheme not in ("http", "https"):
                return FetchFailed(url, "bad_url", f"{current}: only http and https URLs are fetched")
            try:
                result = self._get(url, current, headers, deadline)
            except httpx.TimeoutException:
                return FetchFailed(url, "timeout", f"{current}: no answer within the time limit")
            except httpx.HTTPError as exc:
                return FetchFailed(url, "network", f"{current}: {type(exc).__name__}: {exc}")
            if isinstance(result, tuple):  # a redirect: (status, location)
                status, location = result
                permanent = permanent and status in PERMANENT
                current = urljoin(current, location)
                continue
            if isinstance(result, Fetched) and current != url:
                return Fetched(url, current, result.status, result.headers, result.body, current if permanent else None)
            return result
        return FetchFailed(url, "redirects", f"{url}: more than {self.limits.max_redirects} redirects")

    def _get(self, url: str, current: str, headers: dict[str, str], deadline: float) -> FetchResult | tuple[int, str]:
        with self.client.stream("GET", current, headers=headers) as resp:
            resp_headers = dict(resp.headers)
            if resp.status_code in REDIRECTS:
                location = resp.headers.get("location")
                if not location:
                    return FetchFailed(url, "http", f"{current}: HTTP {resp.status_code} without Location", resp.status_code)
                return resp.status_code, location
            if resp.status_code == 304:
                return NotModified(url, resp_headers)
            if resp.status_code >= 400 or resp.status_code < 200:
                kind = "gone" if resp.status_code == 410 else "http"
                return FetchFailed(url, kind, f"{current}: HTTP {resp.status_code} {resp.reason_phrase}".rstrip(), resp.status_code, headers=resp_headers)
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > self.limits.max_body:
                    return FetchFailed(url, "too_large", f"{current}: body larger than {self.limits.max_body} bytes", resp.status_code)
                if time.monotonic() > deadline:
                    return FetchFailed(url, "timeout", f"{current}: not complete within {self.limits.timeout:g} s", resp.status_code)
                if self.stop.is_set():
                    return FetchFailed(url, "stopped", f"{current}: shutting down", resp.status_code)
            return Fetched(url, current, resp.status_code, resp_headers, bytes(body))
