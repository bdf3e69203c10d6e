"""Outbox -> sinks: rendering, signing, at-least-once delivery, retries, budgets and digests.

A delivery is marked sent only after a 2xx; any crash before that means the
same message (same `webhook-id`) is sent again, never lost. Whether a fresh
alert goes out now or waits for a digest is decided by monitor.delivery.digest.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from standardwebhooks import Webhook

from monitor import USER_AGENT, wire
from monitor.config import WebhookConfig
from monitor.delivery import digest, sinks
from monitor.delivery.sinks import check_sinks
from monitor.errors import DeliveryError
from monitor.headers import retry_after
from monitor.store import PendingDelivery, SinkRow, Store

log = logging.getLogger("seedwatch.deliver")

# In the spirit of Standard Webhooks: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, ... about 3 days in all
# (the retries add up to 67.6 h); the 12th failed attempt dead-letters the delivery.
RETRY_SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 36000, 36000)
TIMEOUT = 15.0
MAX_RETRY_AFTER = 86400.0  # a receiver may slow us down, not park an alert for weeks


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
    held: int = 0
    digests: int = 0


def signed_headers(hook: WebhookConfig, msg_id: str, now: datetime, body: str) -> dict[str, str]:
    """Standard Webhooks headers; the signature only when a secret is configured."""
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp()))}
    if hook.secret:
        headers["webhook-signature"] = Webhook(hook.secret).sign(msg_id, now, body)
    return headers


def send(client: httpx.Client, hook: WebhookConfig, msg_id: str, payload: dict[str, Any], now: datetime) -> Attempt:
    """Render `payload` in the sink's format and send it once."""
    if hook.format == "apprise":
        return _send_apprise(hook, payload)
    url, body = sinks.render(hook.format, payload, hook.url)
    return post(client, hook, url, msg_id, body, now)


def post(client: httpx.Client, hook: WebhookConfig, url: str, msg_id: str, body: dict[str, Any], now: datetime) -> Attempt:
    """One signed POST; redirects are failures (a moved receiver must be reconfigured, not guessed)."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **signed_headers(hook, msg_id, now, text)}
    try:
        resp = client.post(url, content=text.encode("utf-8"), headers=headers, timeout=TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        return Attempt(False, None, f"{url}: {type(exc).__name__}: {exc}")
    if 200 <= resp.status_code < 300:
        return Attempt(True, resp.status_code, f"HTTP {resp.status_code}")
    detail = f"{url}: HTTP {resp.status_code}"
    if resp.is_redirect:
        detail += f" redirect to {resp.headers.get('location', '?')} (not followed: update the sink URL)"
    return Attempt(False, resp.status_code, detail, retry_after(dict(resp.headers), now))


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


def next_attempt(attempts_made: int, now: datetime, rng: random.Random, after: float | None = None) -> datetime | None:
    """When to try again after `attempts_made` failures; None when the schedule is exhausted.

    ±10 % jitter spreads retries of a burst; Retry-After can only lengthen a wait (capped at a day).
    """
    if attempts_made >= len(RETRY_SCHEDULE):
        return None
    wait = RETRY_SCHEDULE[attempts_made] * rng.uniform(0.9, 1.1)
    if after is not None:
        wait = max(wait, min(after, MAX_RETRY_AFTER))
    return now + timedelta(seconds=wait)


class Deliverer:
    """Sends due outbox rows to their sinks, holding and folding alerts as each sink's policy says.

    `client` is the seam for the network guard: pass an httpx.Client whose transport
    refuses private addresses, and every webhook POST goes through it.
    """

    def __init__(
        self,
        store: Store,
        webhooks: tuple[WebhookConfig, ...],
        client: httpx.Client | None = None,
        rng: random.Random | None = None,
        lock: threading.Lock | None = None,
    ) -> None:
        self.store = store
        self.hooks = {h.name: h for h in webhooks}
        self.policies = {h.name: digest.Policy.of(h) for h in webhooks}
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.rng = rng or random.Random()
        # the daemon's delivery tick and a digest job must not send the same row twice; a reloaded
        # Deliverer takes over its predecessor's lock, so a run in flight on the old one is waited for
        self.lock = lock or threading.Lock()
        self._ensured = False
        check_sinks(webhooks)

    def close(self) -> None:
        self.client.close()

    def sink_rows(self, now: datetime) -> dict[str, SinkRow]:
        if not self._ensured:  # once per process: rows for new sinks, and a changed URL clears a 410
            self.store.ensure_sinks([(h.name, h.url) for h in self.hooks.values()], now)
            self._ensured = True
        return self.store.sink_rows(list(self.hooks))

    def warn_disabled(self, now: datetime) -> None:
        """Say loudly, at start, which sinks a 410 switched off."""
        for row in self.sink_rows(now).values():
            if row.disabled_at:
                log.error("sink disabled", extra={"kv": {"sink": row.name, "since": row.disabled_at.isoformat(timespec="seconds"), "reason": row.disabled_reason, "fix": f"correct the URL, or run `seedwatch test-webhook {row.name}` to re-enable"}})

    def run_once(self, now: datetime, limit: int = 200, alert_id: str | None = None) -> DeliveryReport:
        with self.lock:
            return self._run(now, limit, alert_id)

    def _run(self, now: datetime, limit: int, alert_id: str | None) -> DeliveryReport:
        rows = self.sink_rows(now)
        live = [name for name, row in rows.items() if not row.disabled_at]
        used: dict[str, int] = {}
        digests = 0
        for name in live:
            used[name] = self.store.sent_since(name, now - digest.WINDOW)
            if self._fold(name, rows[name], now, used[name]):
                used[name] += 1
                digests += 1
        sent = failed = dead = held = 0
        stalled: set[str] = set()  # one failure per sink per tick: do not hammer a receiver that is down
        for due in self.store.due_deliveries(now, live, limit, alert_id):
            if due.sink in stalled:
                continue
            kind = due.payload.get("type", "")
            if due.attempts == 0:
                action, reason = digest.route(self.policies[due.sink], now, kind, used[due.sink])
                if action == "hold":
                    self.store.mark_held(due.alert_id, due.sink, now, reason)
                    held += 1
                    continue
                if kind == wire.ALERT:
                    used[due.sink] += 1
            attempt = send(self.client, self.hooks[due.sink], due.alert_id, due.payload, now)
            if attempt.ok:
                self.store.mark_sent(due.alert_id, due.sink, now)
                sent += 1
                continue
            failed += 1
            stalled.add(due.sink)
            if attempt.status == 410:
                self._disable(due, attempt, now)
                continue
            retry_at = next_attempt(due.attempts + 1, now, self.rng, attempt.retry_after)
            self.store.mark_failed(due.alert_id, due.sink, now, attempt.detail, retry_at)
            dead += retry_at is None
            self._log_failure(due, attempt, retry_at)
        if sent or failed or held or digests:
            log.info("delivery", extra={"kv": {"sent": sent, "failed": failed, "dead": dead, "held": held, "digests": digests}})
        return DeliveryReport(sent, failed, dead, held, digests)

    def _fold(self, name: str, row: SinkRow, now: datetime, used: int) -> bool:
        """Fold the sink's held alerts into one digest message when its policy says so; True if queued."""
        held = self.store.held(name)
        if not digest.digest_due(self.policies[name], now, row.last_digest_at, len(held), used):
            return False
        if not held:
            self.store.set_last_digest(name, now)  # the schedule fired with nothing to say: no empty message
            return False
        payload = wire.digest(name, now, held)
        self.store.fold_digest(name, payload, [alert_id for alert_id, _p, _r in held], now)
        log.info("digest queued", extra={"kv": {"sink": name, "id": payload["id"], "alerts": len(held)}})
        return True

    def _disable(self, due: PendingDelivery, attempt: Attempt, now: datetime) -> None:
        """410 Gone: the receiver says it will never want our messages again; stop, keep the outbox."""
        reason = f"{attempt.detail} (410 Gone)"
        self.store.disable_sink(due.sink, reason, now)
        self.store.mark_failed(due.alert_id, due.sink, now, reason, now)
        log.error("sink disabled: the receiver answered 410 Gone; its alerts wait in the outbox", extra={"kv": {"sink": due.sink, "url": self.hooks[due.sink].url, "fix": f"correct the URL, or run `seedwatch test-webhook {due.sink}` to re-enable"}})

    def test(self, name: str, now: datetime) -> tuple[str, Attempt]:
        """Send one signed test event to a sink, whatever its state; a 2xx re-enables a disabled sink.

        Returns the event's id (its webhook-id) and the receiver's answer.
        """
        hook = self.hooks.get(name)
        if hook is None:
            raise DeliveryError(f"no webhook named \"{name}\" in the config (known: {', '.join(self.hooks) or 'none'})")
        payload = wire.test(now)
        attempt = send(self.client, hook, payload["id"], payload, now)
        if attempt.ok:
            self.sink_rows(now)
            if self.store.enable_sink(name):
                log.info("sink re-enabled", extra={"kv": {"sink": name}})
        return payload["id"], attempt

    def _log_failure(self, due: PendingDelivery, attempt: Attempt, retry_at: datetime | None) -> None:
        when = retry_at.isoformat(timespec="seconds") if retry_at else "never (dead-lettered; `seedwatch alerts retry ID` resends)"
        log.warning("delivery failed", extra={"kv": {"alert": due.alert_id, "sink": due.sink, "attempt": due.attempts + 1, "error": attempt.detail, "next": when}})
