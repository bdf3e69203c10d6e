"""The only SQL: feed state, items, alerts and the delivery outbox (SQLAlchemy Core).

SQLite (WAL) is the embedded default; the schema uses only portable types and
`ON CONFLICT DO NOTHING`, so a PostgreSQL URL can follow. Times are stored as
UNIX seconds (float) and converted at this boundary.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from monitor.clean import canonical_url
from monitor.errors import StoreError
from monitor.types import Alert, FeedItem, FeedState

SCHEMA_VERSION = 1
metadata = MetaData()

feeds = Table(
    "feeds",
    metadata,
    Column("url", String(2048), primary_key=True),
    Column("name", String(512), nullable=False, default=""),
    Column("etag", String(1024)),
    Column("last_modified", String(128)),
    Column("body_hash", String(64)),
    Column("next_poll", Float),
    Column("last_polled", Float),
    Column("last_success", Float),
    Column("last_error", Text),
    Column("last_error_kind", String(64)),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("disabled", Boolean, nullable=False, default=False),
)

items = Table(
    "items",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("canonical_url", String(2048), unique=True),
    Column("feed_url", String(2048), nullable=False),
    Column("url", String(2048)),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("published", Float),
    Column("lang", String(16)),
    Column("source", String(512)),
    Column("first_seen", Float, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("seed_id", String(256), nullable=False),
    Column("item_key", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("sink", String(256), primary_key=True),
    Column("status", String(16), nullable=False, default="pending"),  # pending | sent | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt", Float, nullable=False),
    Column("last_error", Text),
    Column("updated_at", Float, nullable=False),
    Index("ix_deliveries_due", "status", "next_attempt"),
)

meta = Table("meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text, nullable=False))


def ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value is not None else None


@dataclass(frozen=True)
class PendingDelivery:
    """One (alert, sink) pair that is due."""

    alert_id: str
    sink: str
    attempts: int
    payload: dict[str, Any]
    score: float
    seed_id: str


@dataclass(frozen=True)
class AlertRow:
    """An alert with its delivery status per sink, for `seedwatch alerts`."""

    id: str
    seed_id: str
    score: float
    created_at: datetime
    title: str
    url: str | None
    sink: str | None
    status: str | None
    attempts: int
    last_error: str | None


class Store:
    """State in one database; every method is a short transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{path.parent}: cannot create state directory: {exc.strerror}") from None
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._insert = sqlite.insert
        self._upserts: dict[tuple[str, ...], Any] = {}
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql  # imported only when used: ~3 MB and ~40 ms of every start-up

            self._insert = postgresql.insert
        try:
            metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                conn.execute(self._insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)).on_conflict_do_nothing())
        except OperationalError as exc:
            raise StoreError(f"{url}: cannot open state store: {exc.orig}") from None

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except OperationalError:
            return False

    # feeds -----------------------------------------------------------------
    def feed_state(self, url: str) -> FeedState:
        with self.engine.connect() as conn:
            row = conn.execute(select(feeds).where(feeds.c.url == url)).mappings().first()
        return _feed_state(row) if row else FeedState(url=url)

    def feed_states(self) -> list[tuple[str, FeedState]]:
        """(name, state) for every feed the store knows."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(feeds).order_by(feeds.c.url)).mappings().all()
        return [(row["name"], _feed_state(row)) for row in rows]

    def save_feed_state(self, state: FeedState, name: str = "", polled: datetime | None = None) -> None:
        with self.engine.begin() as conn:
            self._save_feed_state(conn, state, name, polled)

    def _save_feed_state(self, conn: Connection, state: FeedState, name: str, polled: datetime | None) -> None:
        values = {
            "name": name,
            "etag": state.etag,
            "last_modified": state.last_modified,
            "body_hash": state.body_hash,
            "next_poll": ts(state.next_poll),
            "last_success": ts(state.last_success),
            "last_error": state.last_error,
            "last_error_kind": state.last_error_kind,
            "consecutive_failures": state.consecutive_failures,
            "disabled": state.disabled,
        }
        if polled is not None:
            values["last_polled"] = ts(polled)
        conn.execute(self._feed_upsert(tuple(values)), {"url": state.url, **values})

    def _feed_upsert(self, columns: tuple[str, ...]) -> Any:
        """The feeds upsert with bound parameters, built once per column set so SQLAlchemy compiles it once."""
        if columns not in self._upserts:
            stmt = self._insert(feeds)
            self._upserts[columns] = stmt.on_conflict_do_update(index_elements=["url"], set_={k: stmt.excluded[k] for k in columns})
        return self._upserts[columns]

    # items and alerts ---------------------------------------------------------
    def unseen(self, batch: Sequence[FeedItem]) -> list[FeedItem]:
        """The items of `batch` whose key and canonical URL the store has not seen."""
        if not batch:
            return []
        keys = [i.key for i in batch]
        canonical = [canonical_url(i.url) for i in batch]  # once per item: it is a large share of a cold poll's CPU
        urls = [u for u in canonical if u]
        with self.engine.connect() as conn:
            seen_keys = set(conn.scalars(select(items.c.key).where(items.c.key.in_(keys))))
            seen_urls = set(conn.scalars(select(items.c.canonical_url).where(items.c.canonical_url.in_(urls)))) if urls else set()
        out, batch_keys, batch_urls = [], set(), set()
        for item, url in zip(batch, canonical):
            if item.key in seen_keys or item.key in batch_keys or (url and (url in seen_urls or url in batch_urls)):
                continue
            batch_keys.add(item.key)
            if url:
                batch_urls.add(url)
            out.append(item)
        return out

    def commit_run(
        self,
        state: FeedState,
        name: str,
        polled: datetime,
        new_items: Iterable[FeedItem],
        new_alerts: Iterable[tuple[Alert, dict[str, Any], Sequence[str]]],
    ) -> tuple[int, list[Alert]]:
        """One transaction: feed state, new items, their alerts and outbox rows.

        An item already stored (raced in through another feed) is skipped with its
        alerts, so the same article never alerts twice. Returns (items stored, alerts queued).
        """
        by_item: dict[str, list[tuple[Alert, dict[str, Any], Sequence[str]]]] = {}
        for alert, payload, sinks in new_alerts:
            by_item.setdefault(alert.item.key, []).append((alert, payload, sinks))
        stored, queued = 0, []
        with self.engine.begin() as conn:
            self._save_feed_state(conn, state, name, polled)
            # values as bound parameters of one statement: SQLAlchemy compiles and caches it once,
            # instead of building a cache key for every row's literal values (most of the cost)
            insert_item = self._insert(items).on_conflict_do_nothing()
            for item in new_items:
                result = conn.execute(
                    insert_item,
                    {
                        "key": item.key,
                        "canonical_url": canonical_url(item.url),
                        "feed_url": item.feed_url,
                        "url": item.url,
                        "title": item.title,
                        "summary": item.summary,
                        "published": ts(item.published),
                        "lang": item.lang,
                        "source": item.source,
                        "first_seen": ts(polled),
                    },
                )
                if result.rowcount != 1:
                    continue
                stored += 1
                for alert, payload, sinks in by_item.get(item.key, []):
                    if self._queue_alert(conn, alert, payload, sinks):
                        queued.append(alert)
        return stored, queued

    def _queue_alert(self, conn: Connection, alert: Alert, payload: dict[str, Any], sinks: Sequence[str]) -> bool:
        result = conn.execute(
            self._insert(alerts)
            .values(
                id=alert.id,
                seed_id=alert.seed_id,
                item_key=alert.item.key,
                score=alert.score,
                payload=json.dumps(payload, ensure_ascii=False),
                created_at=ts(alert.created_at),
            )
            .on_conflict_do_nothing()
        )
        if result.rowcount != 1:
            return False
        now = ts(alert.created_at)
        for sink in sinks:
            conn.execute(
                self._insert(deliveries)
                .values(alert_id=alert.id, sink=sink, status="pending", attempts=0, next_attempt=now, updated_at=now)
                .on_conflict_do_nothing()
            )
        return True

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "items": conn.scalar(select(func.count()).select_from(items)) or 0,
                "alerts": conn.scalar(select(func.count()).select_from(alerts)) or 0,
                "outbox": conn.scalar(select(func.count()).select_from(deliveries).where(deliveries.c.status == "pending")) or 0,
                "dead": conn.scalar(select(func.count()).select_from(deliveries).where(deliveries.c.status == "dead")) or 0,
            }

    # outbox -----------------------------------------------------------------
    def due_deliveries(self, now: datetime, sinks: Sequence[str], limit: int = 100) -> list[PendingDelivery]:
        if not sinks:
            return []
        stmt = (
            select(deliveries.c.alert_id, deliveries.c.sink, deliveries.c.attempts, alerts.c.payload, alerts.c.score, alerts.c.seed_id)
            .join(alerts, alerts.c.id == deliveries.c.alert_id)
            .where(deliveries.c.status == "pending", deliveries.c.next_attempt <= ts(now), deliveries.c.sink.in_(list(sinks)))
            .order_by(deliveries.c.next_attempt, alerts.c.created_at)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [PendingDelivery(r.alert_id, r.sink, r.attempts, json.loads(r.payload), r.score, r.seed_id) for r in rows]

    def mark_sent(self, alert_id: str, sink: str, now: datetime) -> None:
        self._set_delivery(alert_id, sink, status="sent", attempts=deliveries.c.attempts + 1, last_error=None, updated_at=ts(now))

    def mark_failed(self, alert_id: str, sink: str, now: datetime, error: str, next_attempt: datetime | None) -> None:
        """Record a failed attempt; `next_attempt=None` dead-letters the delivery."""
        status = "pending" if next_attempt is not None else "dead"
        self._set_delivery(
            alert_id,
            sink,
            status=status,
            attempts=deliveries.c.attempts + 1,
            last_error=error[:1000],
            next_attempt=ts(next_attempt) if next_attempt else ts(now),
            updated_at=ts(now),
        )

    def retry(self, alert_id: str, now: datetime) -> int:
        """Queue every delivery of an alert again; returns how many."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(deliveries)
                .where(deliveries.c.alert_id == alert_id, deliveries.c.status != "sent")
                .values(status="pending", next_attempt=ts(now), updated_at=ts(now))
            )
        return result.rowcount

    def _set_delivery(self, alert_id: str, sink: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.alert_id == alert_id, deliveries.c.sink == sink).values(**values))

    def recent_alerts(self, limit: int = 50, failed_only: bool = False) -> list[AlertRow]:
        stmt = (
            select(alerts, items.c.title, items.c.url, deliveries.c.sink, deliveries.c.status, deliveries.c.attempts, deliveries.c.last_error)
            .join(items, items.c.key == alerts.c.item_key)
            .outerjoin(deliveries, deliveries.c.alert_id == alerts.c.id)
            .order_by(alerts.c.created_at.desc())
            .limit(limit)
        )
        if failed_only:
            stmt = stmt.where(deliveries.c.status == "dead")
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            AlertRow(r["id"], r["seed_id"], r["score"], dt(r["created_at"]) or datetime.now(timezone.utc), r["title"], r["url"], r["sink"], r["status"], r["attempts"] or 0, r["last_error"])
            for r in rows
        ]


def _feed_state(row: Any) -> FeedState:
    return FeedState(
        url=row["url"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
        next_poll=dt(row["next_poll"]),
        last_success=dt(row["last_success"]),
        last_error=row["last_error"],
        last_error_kind=row["last_error_kind"],
        consecutive_failures=row["consecutive_failures"] or 0,
        disabled=bool(row["disabled"]),
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL under WAL survives a process crash (kill -9); only power loss may drop the last commit
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()

