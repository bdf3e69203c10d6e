"""One message to one sink, once: render, sign, POST within a total deadline, read a bounded answer.

A receiver is someone else's server, so nothing it does may hold Seedwatch: the whole request
(connect, send, every read) has TIMEOUT seconds in all, and at most RESPONSE_LIMIT bytes of its
answer are read (the status decides; the body is never used). The total deadline comes from the
transport: the service passes `netguard.deadline`, which bounds every socket operation of the
thread by one monotonic time (delivery may not import ingest, so it is injected). Without it,
httpx's per-operation timeout holds and the deadline is checked between chunks of the answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from monitor import USER_AGENT
from monitor.config import WebhookConfig
from monitor.delivery import sinks
from monitor.headers import retry_after
from monitor.text import printable

TIMEOUT = 15.0  # seconds for a whole request, answer included
RESPONSE_LIMIT = 64 * 1024  # bytes of an answer read (so the connection can be kept); the rest is dropped
# `bound(at)` makes every socket operation of this thread end by monotonic time `at`
Bound = Callable[[float], AbstractContextManager[Any]]


@dataclass(frozen=True)
class Attempt:
    """What a receiver answered (or why there was no answer)."""

    ok: bool
    status: int | None
    detail: str
    retry_after: float | None = None


def signed_headers(hook: WebhookConfig, msg_id: str, now: datetime, body: str) -> dict[str, str]:
    """Standard Webhooks headers; the signature only when a secret is configured."""
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp()))}
    if hook.secret:
        headers["webhook-signature"] = Webhook(hook.secret).sign(msg_id, now, body)
    return headers


def send(client: httpx.Client, hook: WebhookConfig, msg_id: str, payload: dict[str, Any], now: datetime, timeout: float = TIMEOUT, bound: Bound = nullcontext) -> Attempt:
    """Render `payload` in the sink's format and send it once."""
    if hook.format == "apprise":
        return _send_apprise(hook, payload)
    url, body = sinks.render(hook.format, payload, hook.url)
    return post(client, hook, url, msg_id, body, now, timeout, bound)


def post(client: httpx.Client, hook: WebhookConfig, url: str, msg_id: str, body: dict[str, Any], now: datetime, timeout: float = TIMEOUT, bound: Bound = nullcontext) -> Attempt:
    """One signed POST; redirects are failures (a moved receiver must be reconfigured, not guessed)."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **signed_headers(hook, msg_id, now, text)}
    until = time.monotonic() + timeout
    try:
        with bound(until), client.stream("POST", url, content=text.encode("utf-8"), headers=headers, timeout=timeout, follow_redirects=False) as resp:
            _read_some(resp, until)
    except httpx.TimeoutException:
        return Attempt(False, None, f"{url}: no complete answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return Attempt(False, None, f"{url}: {type(exc).__name__}: {exc}")
    if 200 <= resp.status_code < 300:
        return Attempt(True, resp.status_code, f"HTTP {resp.status_code}")
    detail = f"{url}: HTTP {resp.status_code}"
    if resp.is_redirect:
        location = printable(resp.headers.get("location", "?"), 300)
        detail += f" redirect to {location} (not followed: update the sink URL)"
    return Attempt(False, resp.status_code, detail, retry_after(dict(resp.headers), now))


def _read_some(resp: httpx.Response, until: float) -> None:
    """Read up to RESPONSE_LIMIT bytes of the answer, never past `until`; the status is already known.

    A small answer read to its end lets the connection be reused; a large or slow one is cut
    (closing the response drops its connection). Raw bytes: a gzip answer is never inflated.
    """
    read = 0
    try:
        for chunk in resp.iter_raw():
            read += len(chunk)
            if read > RESPONSE_LIMIT or time.monotonic() > until:
                return
    except httpx.HTTPError:  # the answer broke off after its status line: the status stands
        return


def _send_apprise(hook: WebhookConfig, payload: dict[str, Any]) -> Attempt:
    """Through Apprise (imported only here: an optional extra). It reports success only as a bool."""
    import apprise

    title, body = sinks.apprise_message(sinks.note(payload))
    apobj = apprise.Apprise()
    if not apobj.add(hook.url):
        return Attempt(False, None, f"sink {hook.name}: Apprise does not understand this URL")
    if apobj.notify(title=title, body=body, body_format=apprise.NotifyFormat.HTML):
        return Attempt(True, None, "delivered by Apprise")
    return Attempt(False, None, f"sink {hook.name}: Apprise could not deliver (see its log lines above)")
