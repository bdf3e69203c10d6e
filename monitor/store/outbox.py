"""The outbox: every message queued for the sinks (alerts, digests, feed-health notices) and its delivery per sink.

A message is one `alerts` row (its JSON body) and one `deliveries` row per sink; both are
written by `queue`, the one insert of the outbox, in the caller's transaction. A sender claims
due rows before it sends them (`claim_due`) and only the claimer marks them, so two processes
delivering from one store send each row once (at least once after a crash, same webhook-id).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from monitor import wire
from monitor.store.database import Database
from monitor.store.rows import AlertRow, Notice, PendingDelivery
from monitor.store.schema import alerts, deliveries, dt, items, sinks, ts


def queue(
    db: Database, conn: Connection, message_id: str, body: dict[str, Any], at: datetime, sink_names: Sequence[str],
    seed_id: str = "", item_key: str = "", score: float = 0.0, held: str | None = None,
) -> bool:
    """Queue one message for `sink_names`; False (and nothing written) when its id is already queued.
    `held` queues it for the sinks' next digests instead of sending it (the reason, as a hold says)."""
    # RETURNING rather than rowcount: psycopg 3 reports rowcount -1 once SQLAlchemy closed the cursor
    message = db.statement("outbox message", lambda: db.insert(alerts).on_conflict_do_nothing().returning(alerts.c.id))
    row = {"id": message_id, "seed_id": seed_id, "item_key": item_key, "score": score, "payload": json.dumps(body, ensure_ascii=False), "created_at": ts(at)}
    if conn.execute(message, row).first() is None:
        return False
    delivery = db.statement("outbox delivery", lambda: db.insert(deliveries).on_conflict_do_nothing())
    for sink in sink_names:
        state = {"status": "held", "last_error": f"held: {held}"} if held else {"status": "pending", "last_error": None}
        conn.execute(delivery, {"alert_id": message_id, "sink": sink, "attempts": 0, "next_attempt": ts(at), "updated_at": ts(at), **state})
    return True


def _due(now: datetime) -> Any:
    return (deliveries.c.status == "pending") & (deliveries.c.next_attempt <= ts(now))


def _claimable(now: datetime) -> Any:
    return deliveries.c.claimed_until.is_(None) | (deliveries.c.claimed_until < ts(now))


def queue_notice(db: Database, conn: Connection, notice: Notice) -> bool:
    """A message about no item (a feed-health notice): seed and item empty."""
    body, sink_names, at = notice
    return queue(db, conn, body["id"], body, at, sink_names)


class OutboxStore(Database):
    def queue_notice(self, notice: Notice) -> bool:
        with self.write() as conn:
            return queue_notice(self, conn, notice)

    def counts(self) -> dict[str, int]:
        with self.read() as conn:
            return {
                "items": conn.scalar(select(func.count()).select_from(items)) or 0,
                "alerts": conn.scalar(select(func.count()).select_from(alerts)) or 0,
                "outbox": conn.scalar(select(func.count()).select_from(deliveries).where(deliveries.c.status == "pending")) or 0,
                "dead": conn.scalar(select(func.count()).select_from(deliveries).where(deliveries.c.status == "dead")) or 0,
            }

    def pending_by_sink(self) -> dict[str, int]:
        """Pending deliveries per sink name, those of sinks no longer configured included."""
        with self.read() as conn:
            rows = conn.execute(select(deliveries.c.sink, func.count()).where(deliveries.c.status == "pending").group_by(deliveries.c.sink)).all()
        return {sink: n for sink, n in rows}

    def claim_due(self, now: datetime, sink: str, claimer: str, until: datetime, limit: int, alert_id: str | None = None) -> list[PendingDelivery]:
        """Claim up to `limit` due deliveries of one sink for `claimer` until `until`, and return them, oldest due first.

        One write transaction reads the due, unclaimed (or lapsed) rows and claims them with
        UPDATE ... WHERE still due and unclaimed ... RETURNING, so two senders (a daemon and
        `seedwatch once`) never both get a row: SQLite holds its write lock from the first
        statement (BEGIN IMMEDIATE); PostgreSQL locks the rows it read FOR UPDATE SKIP LOCKED, so
        a second sender takes the next rows instead of waiting. A crashed sender's rows are
        claimable again after `until`, and keep their webhook-id.
        """
        due = (
            select(deliveries.c.alert_id, deliveries.c.sink, deliveries.c.attempts, alerts.c.payload, alerts.c.score, alerts.c.seed_id)
            .join(alerts, alerts.c.id == deliveries.c.alert_id)
            .where(deliveries.c.sink == sink, _due(now), _claimable(now))
            .order_by(deliveries.c.next_attempt, alerts.c.created_at)
            .limit(limit)
        )
        if alert_id is not None:
            due = due.where(deliveries.c.alert_id == alert_id)
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True, of=deliveries)
        with self.write() as conn:
            rows = conn.execute(due).all()
            if not rows:
                return []
            claim = (
                update(deliveries)
                .where(deliveries.c.sink == sink, deliveries.c.alert_id.in_([r.alert_id for r in rows]), _due(now), _claimable(now))
                .values(claimed_by=claimer, claimed_until=ts(until))
                .returning(deliveries.c.alert_id)
            )
            claimed = set(conn.scalars(claim))
        return [PendingDelivery(r.alert_id, r.sink, r.attempts, json.loads(r.payload), r.score, r.seed_id) for r in rows if r.alert_id in claimed]

    def claimers(self) -> list[str]:
        """Who holds claims on undelivered rows now (lapsed claims included)."""
        with self.read() as conn:
            return sorted(conn.scalars(select(deliveries.c.claimed_by).where(deliveries.c.claimed_by.is_not(None), deliveries.c.status == "pending").distinct()))

    def release_claims(self, claimers: Sequence[str]) -> int:
        """Give back every row these (dead) claimers hold; how many."""
        with self.write() as conn:
            stmt = update(deliveries).where(deliveries.c.claimed_by.in_(list(claimers)), deliveries.c.status == "pending").values(claimed_by=None, claimed_until=None)
            return len(conn.execute(stmt.returning(deliveries.c.alert_id)).all())

    def release(self, sink: str, claimer: str) -> None:
        """Give back the rows `claimer` claimed and did not send (its sink stalled this tick)."""
        with self.write() as conn:
            conn.execute(update(deliveries).where(deliveries.c.sink == sink, deliveries.c.claimed_by == claimer, deliveries.c.status == "pending").values(claimed_by=None, claimed_until=None))

    def mark_sent(self, alert_id: str, sink: str, now: datetime, claimer: str) -> bool:
        """Record a 2xx; False (nothing written) when `claimer` no longer holds the row's claim."""
        return self._set_delivery(alert_id, sink, claimer, status="sent", attempts=deliveries.c.attempts + 1, last_error=None, updated_at=ts(now))

    def mark_failed(self, alert_id: str, sink: str, now: datetime, error: str, next_attempt: datetime | None, claimer: str) -> bool:
        """Record a failed attempt; `next_attempt=None` dead-letters the delivery."""
        status = "pending" if next_attempt is not None else "dead"
        return self._set_delivery(alert_id, sink, claimer, status=status, attempts=deliveries.c.attempts + 1, last_error=error[:1000], next_attempt=ts(next_attempt or now), updated_at=ts(now))

    def mark_held(self, alert_id: str, sink: str, now: datetime, reason: str, claimer: str) -> bool:
        """Keep a delivery for the sink's next digest instead of sending it alone."""
        return self._set_delivery(alert_id, sink, claimer, status="held", last_error=f"held: {reason}", updated_at=ts(now))

    def retry(self, alert_id: str, now: datetime) -> int:
        """Queue every dead or pending delivery of a message again, due now; returns how many."""
        with self.write() as conn:
            result = conn.execute(
                update(deliveries)
                .where(deliveries.c.alert_id == alert_id, deliveries.c.status.in_(("dead", "pending")))
                .values(status="pending", next_attempt=ts(now), updated_at=ts(now))
                .returning(deliveries.c.sink)
            )
            return len(result.all())

    def _set_delivery(self, alert_id: str, sink: str, claimer: str, **values: Any) -> bool:
        """Only the claimer marks a row, and marking ends its claim."""
        with self.write() as conn:
            result = conn.execute(
                update(deliveries)
                .where(deliveries.c.alert_id == alert_id, deliveries.c.sink == sink, deliveries.c.claimed_by == claimer)
                .values(**values, claimed_by=None, claimed_until=None)
                .returning(deliveries.c.alert_id)
            )
            return result.first() is not None

    def recent_alerts(self, limit: int = 50, failed_only: bool = False, alert_id: str | None = None) -> list[AlertRow]:
        """Newest outbox messages with their delivery per sink; digests and feed-health events included."""
        stmt = (
            select(alerts, items.c.title, items.c.url, deliveries.c.sink, deliveries.c.status, deliveries.c.attempts, deliveries.c.last_error)
            .outerjoin(items, items.c.key == alerts.c.item_key)
            .outerjoin(deliveries, deliveries.c.alert_id == alerts.c.id)
            # by sink too: PostgreSQL returns a message's deliveries in no set order (it changes as
            # rows are updated), so the listing and the rows `limit` cuts off would shift between calls
            .order_by(alerts.c.created_at.desc(), alerts.c.id, deliveries.c.sink)
            .limit(limit)
        )
        if failed_only:
            stmt = stmt.where(deliveries.c.status == "dead")
        if alert_id is not None:
            stmt = stmt.where(alerts.c.id == alert_id)
        with self.read() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            AlertRow(r["id"], r["seed_id"], r["score"], dt(r["created_at"]) or datetime.now(timezone.utc), r["title"] or wire.listing_title(json.loads(r["payload"])), r["url"], r["sink"], r["status"], r["attempts"] or 0, r["last_error"])
            for r in rows
        ]

    def sent_since(self, sink: str, since: datetime) -> int:
        """Alerts and digests a sink received since `since` (feed-health events do not count against budgets)."""
        stmt = (
            select(func.count())
            .select_from(deliveries.join(alerts, alerts.c.id == deliveries.c.alert_id))
            .where(deliveries.c.sink == sink, deliveries.c.status == "sent", deliveries.c.updated_at >= ts(since))
            .where((alerts.c.seed_id != "") | alerts.c.id.like(wire.DIGEST_PREFIX.replace("_", "\\_") + "%", escape="\\"))
        )
        with self.read() as conn:
            return conn.scalar(stmt) or 0

    def held(self, sink: str) -> list[tuple[str, dict[str, Any], str]]:
        """(message id, body, reason held) for a sink, oldest first."""
        stmt = (
            select(deliveries.c.alert_id, alerts.c.payload, deliveries.c.last_error)
            .join(alerts, alerts.c.id == deliveries.c.alert_id)
            .where(deliveries.c.sink == sink, deliveries.c.status == "held")
            .order_by(alerts.c.created_at, alerts.c.id)
        )
        with self.read() as conn:
            rows = conn.execute(stmt).all()
        return [(r.alert_id, json.loads(r.payload), (r.last_error or "").removeprefix("held: ")) for r in rows]

    def fold_digest(self, sink: str, body: dict[str, Any], member_ids: Sequence[str], now: datetime) -> bool:
        """One transaction: queue the digest and mark its members as carried by it. False, and
        nothing written, when some member is no longer held (another sender folded it meanwhile)."""
        digest_id = body["id"]
        try:
            with self.write() as conn:
                folded = conn.execute(
                    update(deliveries)
                    .where(deliveries.c.sink == sink, deliveries.c.status == "held", deliveries.c.alert_id.in_(list(member_ids)))
                    .values(status="digested", last_error=f"in {digest_id}", updated_at=ts(now))
                    .returning(deliveries.c.alert_id)
                ).all()
                if len(folded) != len(set(member_ids)):
                    raise _Changed
                queue(self, conn, digest_id, body, now, [sink])
                conn.execute(update(sinks).where(sinks.c.name == sink).values(last_digest_at=ts(now)))
        except _Changed:
            return False
        return True


class _Changed(Exception):
    """Rolls a digest's transaction back: its members changed under it."""
