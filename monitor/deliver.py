"""Outbox -> webhook POSTs: signing, at-least-once delivery, retries with backoff.

A delivery is marked sent only after a 2xx; any crash before that means the
same alert (same `webhook-id`) is sent again, never lost.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from standardwebhooks import Webhook

from monitor import USER_AGENT
from monitor.cachecontrol import retry_after
from monitor.config import WebhookConfig
from monitor.store import PendingDelivery, Store

log = logging.getLogger("seedwatch.deliver")

# In the spirit of Standard Webhooks: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, ... about 3 days in all.
RETRY_SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 36000, 36000)
TIMEOUT = 15.0


@dataclass(frozen=True)
class Attempt:
    """What a receiver answered (or why there was no answer)."""

    ok: bool
    status: int | None
    detail: str
    retry_after: float | None = None


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0


def signed_headers(hook: WebhookConfig, msg_id: str, now: datetime, body: str) -> dict[str, str]:
    """Standard Webhooks headers; the signature only when a secret is configured."""
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp()))}
    if hook.secret:
        headers["webhook-signature"] = Webhook(hook.secret).sign(msg_id, now, body)
    return headers


def post(client: httpx.Client, hook: WebhookConfig, msg_id: str, body: dict[str, Any], now: datetime) -> Attempt:
    """One POST; redirects are failures (a moved receiver must be reconfigured, not guessed)."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **signed_headers(hook, msg_id, now, text)}
    try:
        resp = client.post(hook.url, content=text.encode("utf-8"), headers=headers, timeout=TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        return Attempt(False, None, f"{hook.url}: {type(exc).__name__}: {exc}")
    if 200 <= resp.status_code < 300:
        return Attempt(True, resp.status_code, f"HTTP {resp.status_code}")
    return Attempt(False, resp.status_code, f"{hook.url}: HTTP {resp.status_code}", retry_after(dict(resp.headers), now))


def next_attempt(attempts_made: int, now: datetime, rng: random.Random, after: float | None = None) -> datetime | None:
    """When to try again after `attempts_made` failures; None when the schedule is exhausted."""
    if attempts_made >= len(RETRY_SCHEDULE):
        return None
    wait = RETRY_SCHEDULE[attempts_made] * rng.uniform(0.9, 1.1)
    if after is not None:
        wait = max(wait, after)
    return now + timedelta(seconds=wait)


class Deliverer:
    """Sends due outbox rows to their sinks."""

    def __init__(self, store: Store, webhooks: tuple[WebhookConfig, ...], client: httpx.Client | None = None, rng: random.Random | None = None) -> None:
        self.store = store
        self.hooks = {h.name: h for h in webhooks}
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.rng = rng or random.Random()

    def close(self) -> None:
        self.client.close()

    def run_once(self, now: datetime, limit: int = 200) -> DeliveryReport:
        sent = failed = dead = 0
        for due in self.store.due_deliveries(now, list(self.hooks), limit):
            attempt = post(self.client, self.hooks[due.sink], due.alert_id, due.payload, now)
            if attempt.ok:
                self.store.mark_sent(due.alert_id, due.sink, now)
                sent += 1
                continue
            retry_at = next_attempt(due.attempts + 1, now, self.rng, attempt.retry_after)
            self.store.mark_failed(due.alert_id, due.sink, now, attempt.detail, retry_at)
            failed += 1
            dead += retry_at is None
            self._log_failure(due, attempt, retry_at)
        if sent or failed:
            log.info("delivery", extra={"kv": {"sent": sent, "failed": failed, "dead": dead}})
        return DeliveryReport(sent, failed, dead)

    def _log_failure(self, due: PendingDelivery, attempt: Attempt, retry_at: datetime | None) -> None:
        when = retry_at.isoformat(timespec="seconds") if retry_at else "never (dead-lettered; `seedwatch alerts retry ID` resends)"
        log.warning("delivery failed", extra={"kv": {"alert": due.alert_id, "sink": due.sink, "attempt": due.attempts + 1, "error": attempt.detail, "next": when}})
