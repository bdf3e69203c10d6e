"""HTTP caching and polling decisions as pure functions: no socket, `now` passed in."""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import replace
from datetime import datetime, timedelta

from monitor.headers import header, http_date_delay
from monitor.types import FeedState

_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.I)


def conditional_headers(state: FeedState) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from what the server told us last time."""
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def server_hint(headers: dict[str, str], now: datetime) -> float | None:
    """Seconds the server asks us to wait: Cache-Control max-age, else Expires."""
    if m := _MAX_AGE.search(header(headers, "cache-control")):
        return float(m.group(1))
    if expires := header(headers, "expires"):
        return http_date_delay(expires, now)
    return None


def next_success_poll(
    now: datetime, interval: float, max_interval: float, jitter: float, rng: random.Random, *hints: float | None
) -> datetime:
    """max(configured interval, feed TTL, server hints), capped, with jitter so feeds do not fire together."""
    wait = max([interval, *(h for h in hints if h is not None)])
    wait = min(wait, max(interval, max_interval))
    return now + timedelta(seconds=wait * (1 + rng.uniform(0, jitter)))


def next_failure_poll(
    now: datetime, interval: float, failures: int, cap: float, rng: random.Random, retry_after_s: float | None = None
) -> datetime:
    """Exponential backoff with full jitter from `interval`, capped; Retry-After wins when longer."""
    base = min(cap, interval * (2 ** max(0, failures - 1)))
    wait = base * rng.uniform(0.5, 1.0)
    if retry_after_s is not None:
        wait = max(wait, min(retry_after_s, cap))
    return now + timedelta(seconds=max(wait, 1.0))


def succeeded(state: FeedState, now: datetime, headers: dict[str, str], next_poll: datetime, body_digest: str | None) -> FeedState:
    """State after a 200/304: validators kept, failures reset."""
    lower = {k.lower(): v for k, v in headers.items()}
    return replace(
        state,
        etag=lower.get("etag", state.etag),
        last_modified=lower.get("last-modified", state.last_modified),
        body_hash=body_digest or state.body_hash,
        next_poll=next_poll,
        last_success=now,
        consecutive_failures=0,
        failing_since=None,
    )


def failed(state: FeedState, now: datetime, kind: str, message: str, next_poll: datetime, disable: bool = False) -> FeedState:
    """State after a failure: the streak grows, the error is kept; only 410 (`disable`) stops polling."""
    return replace(
        state,
        last_error=message,
        last_error_kind=kind,
        consecutive_failures=state.consecutive_failures + 1,
        failing_since=state.failing_since or now,
        next_poll=next_poll,
        disabled=state.disabled or disable,
    )
