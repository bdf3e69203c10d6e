"""Outbox -> sinks: at-least-once delivery, retries, budgets and digests; one request is monitor.delivery.send.

A delivery is claimed before it is sent and marked sent only after a 2xx, by its claimer; any
crash before that means the same message (same `webhook-id`) is sent again once the claim
lapses, never lost, and never sent by two senders at once. Whether a fresh alert goes out now
or waits for a digest is decided by monitor.delivery.digest.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import httpx

from monitor import holder_name, wire
from monitor.config import WebhookConfig
from monitor.delivery import digest
from monitor.delivery.send import TIMEOUT, Attempt, Bound, send
from monitor.delivery.sinks import check_sinks
from monitor.errors import DeliveryError
from monitor.store import PendingDelivery, SinkRow, Store

__all__ = ["RETRY_SCHEDULE", "TIMEOUT", "Attempt", "Deliverer", "DeliveryReport", "next_attempt"]

log = logging.getLogger("seedwatch.deliver")

# In the spirit of Standard Webhooks: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, ... about 3 days in all
# (the retries add up to 67.6 h); the 12th failed attempt dead-letters the delivery.
RETRY_SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 36000, 36000)
MAX_RETRY_AFTER = 86400.0  # a receiver may slow us down, not park an alert for weeks
MAX_PARALLEL = 8  # sinks sent to at once in one tick
CLAIM_BATCH = 10  # rows claimed at a time per sink; the claim lasts as long as sending them all may take


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    held: int = 0
    digests: int = 0

    def __add__(self, other: "DeliveryReport") -> "DeliveryReport":
        return DeliveryReport(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


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
    refuses private addresses, and every webhook POST goes through it; `bound` is that
    transport's total deadline (monitor.delivery.send). Each tick sends to every sink at once,
    one worker per sink (at most MAX_PARALLEL), so a stalled receiver delays only itself.
    """

    def __init__(
        self,
        store: Store,
        webhooks: tuple[WebhookConfig, ...],
        client: httpx.Client | None = None,
        rng: random.Random | None = None,
        lock: threading.Lock | None = None,
        bound: Bound = nullcontext,
        timeout: float = TIMEOUT,
        config: str | None = None,
    ) -> None:
        self.store = store
        self.hooks = {h.name: h for h in webhooks}
        self.policies = {h.name: digest.Policy.of(h) for h in webhooks}
        self.client = client or httpx.Client(timeout=timeout)
        self.rng = rng or random.Random()
        self.bound, self.timeout = bound, timeout
        # the daemon's delivery tick and a digest job must not fold one digest twice; a reloaded
        # Deliverer takes over its predecessor's lock, so a run in flight on the old one is waited for
        self.lock = lock or threading.Lock()
        # rows are claimed in this name; another process (`seedwatch once`) has its own
        self.claimer = holder_name()
        self._ensured = False
        check_sinks(webhooks, config)  # `config`: the file the sinks came from, for file:line

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
        """One delivery tick: every live sink's due rows (at most `limit` each), sinks in parallel."""
        with self.lock:
            rows = self.sink_rows(now)
            live = [name for name, row in rows.items() if not row.disabled_at]
            if not live:
                return DeliveryReport()
            with ThreadPoolExecutor(min(len(live), MAX_PARALLEL), thread_name_prefix="seedwatch-deliver") as pool:
                reports = list(pool.map(lambda name: self._sink(name, rows[name], now, limit, alert_id), live))
        total = sum(reports, DeliveryReport())
        if total != DeliveryReport():
            log.info("delivery", extra={"kv": {"sent": total.sent, "failed": total.failed, "dead": total.dead, "held": total.held, "digests": total.digests}})
        return total

    def _sink(self, name: str, row: SinkRow, now: datetime, limit: int, alert_id: str | None) -> DeliveryReport:
        """One sink's share of a tick, in the sink's turn: a daemon sharing the outbox that has the
        turn now is delivering it (with the same budget and digests), so this one skips it."""
        with self.store.sink_turn(name) as mine:
            return self._sink_turn(name, row, now, limit, alert_id) if mine else DeliveryReport()

    def _sink_turn(self, name: str, row: SinkRow, now: datetime, limit: int, alert_id: str | None) -> DeliveryReport:
        """Fold a due digest, then send the sink's rows oldest first, in claimed batches, until one
        fails (one failure per sink per tick: a receiver that is down is not hammered)."""
        used = self.store.sent_since(name, now - digest.WINDOW)
        report = DeliveryReport()
        if self._fold(name, row, now, used):
            used += 1
            report += DeliveryReport(digests=1)
        while limit > 0:
            batch = self.store.claim_due(now, name, self.claimer, now + timedelta(seconds=CLAIM_BATCH * (self.timeout + 5)), min(CLAIM_BATCH, limit), alert_id)
            if not batch:
                break
            limit -= len(batch)
            for due in batch:
                outcome = self._one(due, now, used)
                if outcome.sent and due.attempts == 0 and due.payload.get("type") == wire.ALERT:
                    used += 1  # the budget counts alerts a sink received this hour
                report += outcome
                if outcome.failed:
                    self.store.release(name, self.claimer)  # the rest of the batch waits for the next tick
                    return report
        return report

    def _one(self, due: PendingDelivery, now: datetime, used: int) -> DeliveryReport:
        """Hold, send or fail one claimed row, and mark it (as its claimer)."""
        kind = due.payload.get("type", "")
        if due.attempts == 0:
            action, reason = digest.route(self.policies[due.sink], now, kind, used)
            if action == "hold":
                self.store.mark_held(due.alert_id, due.sink, now, reason, self.claimer)
                return DeliveryReport(held=1)
        attempt = send(self.client, self.hooks[due.sink], due.alert_id, due.payload, now, self.timeout, self.bound)
        if attempt.ok:
            if not self.store.mark_sent(due.alert_id, due.sink, now, self.claimer):
                log.warning("delivered after our claim lapsed; another sender may resend it (same webhook-id)", extra={"kv": {"alert": due.alert_id, "sink": due.sink}})
            return DeliveryReport(sent=1)
        if attempt.status == 410:
            self._disable(due, attempt, now)
            return DeliveryReport(failed=1)
        retry_at = next_attempt(due.attempts + 1, now, self.rng, attempt.retry_after)
        self.store.mark_failed(due.alert_id, due.sink, now, attempt.detail, retry_at, self.claimer)
        self._log_failure(due, attempt, retry_at)
        return DeliveryReport(failed=1, dead=int(retry_at is None))

    def _fold(self, name: str, row: SinkRow, now: datetime, used: int) -> bool:
        """Fold the sink's held alerts into one digest message when its policy says so; True if queued."""
        held = self.store.held(name)
        if not digest.digest_due(self.policies[name], now, row.last_digest_at, len(held), used):
            return False
        if not held:
            self.store.set_last_digest(name, now)  # the schedule fired with nothing to say: no empty message
            return False
        payload = wire.digest(name, now, held)
        if not self.store.fold_digest(name, payload, [alert_id for alert_id, _p, _r in held], now):
            return False  # another sender folded some of them meanwhile; the next tick sees what is left
        log.info("digest queued", extra={"kv": {"sink": name, "id": payload["id"], "alerts": len(held)}})
        return True

    def _disable(self, due: PendingDelivery, attempt: Attempt, now: datetime) -> None:
        """410 Gone: the receiver says it will never want our messages again; stop, keep the outbox."""
        reason = f"{attempt.detail} (410 Gone)"
        self.store.disable_sink(due.sink, reason, now)
        self.store.mark_failed(due.alert_id, due.sink, now, reason, now, self.claimer)
        log.error("sink disabled: the receiver answered 410 Gone; its alerts wait in the outbox", extra={"kv": {"sink": due.sink, "url": self.hooks[due.sink].url, "fix": f"correct the URL, or run `seedwatch test-webhook {due.sink}` to re-enable"}})

    def test(self, name: str, now: datetime) -> tuple[str, Attempt]:
        """Send one signed test event to a sink, whatever its state; a 2xx re-enables a disabled sink.

        Returns the event's id (its webhook-id) and the receiver's answer.
        """
        hook = self.hooks.get(name)
        if hook is None:
            raise DeliveryError(f"no webhook named \"{name}\" in the config (known: {', '.join(self.hooks) or 'none'})")
        payload = wire.test(now)
        attempt = send(self.client, hook, payload["id"], payload, now, self.timeout, self.bound)
        if attempt.ok:
            self.sink_rows(now)
            if self.store.enable_sink(name):
                log.info("sink re-enabled", extra={"kv": {"sink": name}})
        return payload["id"], attempt

    def _log_failure(self, due: PendingDelivery, attempt: Attempt, retry_at: datetime | None) -> None:
        when = retry_at.isoformat(timespec="seconds") if retry_at else "never (dead-lettered; `seedwatch alerts retry ID` resends)"
        log.warning("delivery failed", extra={"kv": {"alert": due.alert_id, "sink": due.sink, "attempt": due.attempts + 1, "error": attempt.detail, "next": when}})
