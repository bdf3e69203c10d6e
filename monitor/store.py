"""The only SQL: feed state, items, stories, alerts and the delivery outbox (SQLAlchemy Core).

SQLite (WAL) is the embedded default; the schema uses only portable types and
`ON CONFLICT DO NOTHING`, so a PostgreSQL URL can follow. Times are stored as
UNIX seconds (float) and converted at this boundary.
"""

from __future__ import annotations

import json
import threading
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
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from monitor import cluster
from monitor.alerts import with_story
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
    Column("fetch_url", String(2048)),  # a permanent redirect's target; `url` stays the config identity
    Column("failing_since", Float),
    Column("last_new", Float),
    Column("cadence", Float),
    Column("health", String(16)),  # ok | failing; NULL reads as ok
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
    Column("status", String(16), nullable=False, default="pending"),  # pending | sent | dead | held | digested
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt", Float, nullable=False),
    Column("last_error", Text),
    Column("updated_at", Float, nullable=False),
    Index("ix_deliveries_due", "status", "next_attempt"),
)

# Per-sink delivery state: a 410 disables the sink for the URL that answered it;
# `last_digest_at` is when the sink's digest schedule last fired.
sinks = Table(
    "sinks",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("disabled_at", Float),
    Column("disabled_reason", Text),
    Column("last_digest_at", Float, nullable=False),
)

stories = Table(
    "stories",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("seed_id", String(256), nullable=False),
    Column("title", Text, nullable=False),
    Column("first_key", String(64), nullable=False),
    Column("created_at", Float, nullable=False),  # item time of the first item
    Column("last_at", Float, nullable=False),  # item time of the latest item
    Index("ix_stories_seed_created", "seed_id", "created_at"),
)

# One row per (seed, alerting item): its story, the evidence used to place it, and why.
story_items = Table(
    "story_items",
    metadata,
    Column("seed_id", String(256), primary_key=True),
    Column("item_key", String(64), primary_key=True),
    Column("story_id", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("groups", Text, nullable=False),  # JSON list of matched concept groups
    Column("headline_groups", Text, nullable=False),  # JSON list of those matched in the title
    Column("minhash", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("alert_id", String(64)),  # set when the item alerted (first item or update)
    Column("is_update", Boolean, nullable=False, default=False),
    Index("ix_story_items_story", "story_id"),
)

_TOUCH_STORY = update(stories).where(stories.c.id == bindparam("sid"), stories.c.last_at < bindparam("at")).values(last_at=bindparam("at"))
MEMBER_CACHE = 50_000  # decoded story members kept in memory (a few MB)
IN_LIST = 500  # keys per IN (...) list

meta = Table("meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text, nullable=False))


def _add_missing_columns(engine: Engine) -> None:
    """Upgrade a store written by an earlier version: add the (nullable) columns it lacks.

    `create_all` makes missing tables but leaves existing ones alone; every column added since
    the first release is nullable, so ALTER TABLE ... ADD COLUMN is the whole migration.
    """
    have = inspect(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            existing = {c["name"] for c in have.get_columns(table.name)}
            for column in table.columns:
                if column.name in existing:
                    continue
                if not column.nullable:
                    raise StoreError(f"{engine.url}: table {table.name} lacks column {column.name}, which cannot be added in place; move the state file aside")
                kind = column.type.compile(dialect=engine.dialect)
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')


def ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, timezone.utc) if value is not None else None


# A feed-health (or other non-alert) payload, the sinks it goes to, and when it was raised.
Notice = tuple[dict[str, Any], Sequence[str], datetime]


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
class SinkRow:
    """What the store remembers about one sink."""

    name: str
    url: str
    disabled_at: datetime | None
    disabled_reason: str | None
    last_digest_at: datetime


@dataclass(frozen=True)
class StoryItemRow:
    """One item of a story, for `seedwatch stories`."""

    key: str
    title: str
    url: str | None
    source: str
    lang: str | None
    at: datetime
    score: float
    groups: tuple[str, ...]
    reason: str
    alert_id: str | None
    update: bool


@dataclass(frozen=True)
class StoryRow:
    """A story with its items, oldest first."""

    id: str
    seed_id: str
    title: str
    created_at: datetime
    last_at: datetime
    items: tuple[StoryItemRow, ...]


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
        # Story assignment reads then writes; one writer at a time in this process keeps two
        # copies of a story arriving in parallel feed runs from both founding a story.
        self._write_lock = threading.Lock()
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._insert = sqlite.insert
        self._upserts: dict[tuple[str, ...], Any] = {}
        self._member_cache: dict[tuple[str, str, str], cluster.Member] = {}  # (seed, item key, story)
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql  # imported only when used: ~3 MB and ~40 ms of every start-up

            self._insert = postgresql.insert
        try:
            metadata.create_all(self.engine)
            _add_missing_columns(self.engine)
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

    def save_feed_state(self, state: FeedState, name: str = "", polled: datetime | None = None, notices: Sequence[Notice] = ()) -> None:
        """Save a feed's state and queue its feed-health notices, in one transaction."""
        with self.engine.begin() as conn:
            self._save_feed_state(conn, state, name, polled)
            for notice in notices:
                self._queue_notice(conn, notice)

    def _queue_notice(self, conn: Connection, notice: Notice) -> None:
        """A non-alert payload through the same outbox: an `alerts` row with no seed or item."""
        payload, sinks, at = notice
        conn.execute(
            self._insert(alerts)
            .values(id=payload["id"], seed_id="", item_key="", score=0.0, payload=json.dumps(payload, ensure_ascii=False), created_at=ts(at))
            .on_conflict_do_nothing()
        )
        for sink in sinks:
            conn.execute(
                self._insert(deliveries)
                .values(alert_id=payload["id"], sink=sink, status="pending", attempts=0, next_attempt=ts(at), updated_at=ts(at))
                .on_conflict_do_nothing()
            )

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
            "fetch_url": state.fetch_url,
            "failing_since": ts(state.failing_since),
            "last_new": ts(state.last_new),
            "cadence": state.cadence,
            "health": state.health,
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
        notices: Sequence[Notice] = (),
        *,
        rules: cluster.Rules | None = None,
    ) -> tuple[int, list[Alert]]:
        """One transaction: feed state, new items, their stories, alerts and outbox rows.

        An item already stored (raced in through another feed) is skipped with its
        alerts, so the same article never alerts twice. With `rules`, each alert first
        joins a story and is queued only if it founds the story or is an update.
        Returns (items stored, alerts queued).
        """
        by_item: dict[str, list[tuple[Alert, dict[str, Any], Sequence[str]]]] = {}
        for alert, payload, sinks in new_alerts:
            by_item.setdefault(alert.item.key, []).append((alert, payload, sinks))
        stored, queued = 0, []
        # The feed-state write comes first so that, under SQLite, the transaction holds the
        # database write lock before it reads any story: other processes wait, never interleave.
        with self._write_lock, self.engine.begin() as conn:
            self._save_feed_state(conn, state, name, polled)
            for notice in notices:
                self._queue_notice(conn, notice)
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
                    if rules is not None:
                        decision = self._place(conn, alert, polled, rules)
                        if not decision.alert:
                            continue
                        payload = with_story(payload, decision)
                    if self._queue_alert(conn, alert, payload, sinks):
                        queued.append(alert)
        return stored, queued

    # stories ------------------------------------------------------------------
    def _place(self, conn: Connection, alert: Alert, polled: datetime, rules: cluster.Rules) -> cluster.Decision:
        """Assign an alert's item to a story of its seed and record it; the caller queues or drops the alert."""
        item = alert.item
        at = item.published if item.published and item.published <= polled else polled
        groups = frozenset(m.group for m in alert.matched)
        headline = frozenset(m.group for m in alert.matched if m.where == "title")
        terms = [m.term for m in alert.matched]
        entry = cluster.make_entry(item.key, alert.seed_id, item.title, item.summary, item.source, item.lang, at, alert.score, groups, terms, headline)
        decision = cluster.assign(entry, self._members(conn, alert.seed_id, at - rules.window), rules)
        if decision.new_story:
            conn.execute(
                self._insert(stories).on_conflict_do_nothing(),
                {"id": decision.story_id, "seed_id": alert.seed_id, "title": item.title, "first_key": item.key, "created_at": ts(at), "last_at": ts(at)},
            )
        else:
            conn.execute(_TOUCH_STORY, {"sid": decision.story_id, "at": ts(at)})
        conn.execute(
            self._insert(story_items).on_conflict_do_nothing(),
            {
                "seed_id": alert.seed_id,
                "item_key": item.key,
                "story_id": decision.story_id,
                "at": ts(at),
                "score": alert.score,
                "groups": json.dumps(sorted(groups), ensure_ascii=False),
                "headline_groups": json.dumps(sorted(headline), ensure_ascii=False),
                "minhash": cluster.pack(entry.minhash),
                "size": entry.size,
                "reason": decision.reason,
                "alert_id": alert.id if decision.alert else None,
                "is_update": decision.update,
            },
        )
        return decision

    def _members(self, conn: Connection, seed_id: str, since: datetime) -> list[cluster.Member]:
        """Every item of the seed's stories that began at or after `since` (item time).

        Story members never change once written, so decoded ones are kept in memory and only
        the (key, story) pairs are read each time; the full rows only for keys not seen yet.
        """
        active = select(stories.c.id).where(stories.c.seed_id == seed_id, stories.c.created_at >= ts(since))
        pairs = conn.execute(select(story_items.c.item_key, story_items.c.story_id).where(story_items.c.seed_id == seed_id, story_items.c.story_id.in_(active))).all()
        if len(self._member_cache) > MEMBER_CACHE:
            self._member_cache.clear()  # before the refill below, so this call still gets every member
        missing = [key for key, sid in pairs if (seed_id, key, sid) not in self._member_cache]
        for start in range(0, len(missing), IN_LIST):
            rows = conn.execute(
                select(story_items, items.c.title, items.c.source, items.c.lang)
                .join(items, items.c.key == story_items.c.item_key)
                .where(story_items.c.seed_id == seed_id, story_items.c.item_key.in_(missing[start : start + IN_LIST]))
            ).mappings()
            for r in rows:
                entry = cluster.Entry(r["item_key"], seed_id, r["title"], r["source"] or "", r["lang"], dt(r["at"]), r["score"], frozenset(json.loads(r["groups"])), cluster.unpack(r["minhash"]), r["size"], frozenset(json.loads(r["headline_groups"])))
                self._member_cache[(seed_id, r["item_key"], r["story_id"])] = cluster.Member(entry, r["story_id"])
        return [m for key, sid in pairs if (m := self._member_cache.get((seed_id, key, sid))) is not None]

    def recent_stories(self, since: datetime, seed_id: str | None = None, limit: int = 50) -> list[StoryRow]:
        """Stories whose latest item is at or after `since`, newest first, with their items."""
        stmt = select(stories).where(stories.c.last_at >= ts(since)).order_by(stories.c.last_at.desc()).limit(limit)
        if seed_id is not None:
            stmt = stmt.where(stories.c.seed_id == seed_id)
        with self.engine.connect() as conn:
            heads = conn.execute(stmt).mappings().all()
            ids = [h["id"] for h in heads]
            rows = conn.execute(
                select(story_items, items.c.title, items.c.url, items.c.source, items.c.lang)
                .join(items, items.c.key == story_items.c.item_key)
                .where(story_items.c.story_id.in_(ids))
                .order_by(story_items.c.at, story_items.c.item_key)
            ).mappings().all() if ids else []
        by_story: dict[str, list[StoryItemRow]] = {}
        for r in rows:
            by_story.setdefault(r["story_id"], []).append(
                StoryItemRow(r["item_key"], r["title"], r["url"], r["source"] or "", r["lang"], dt(r["at"]) or since, r["score"], tuple(json.loads(r["groups"])), r["reason"], r["alert_id"], bool(r["is_update"]))
            )
        return [
            StoryRow(h["id"], h["seed_id"], h["title"], dt(h["created_at"]) or since, dt(h["last_at"]) or since, tuple(by_story.get(h["id"], ())))
            for h in heads
        ]

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
    def due_deliveries(self, now: datetime, sinks: Sequence[str], limit: int = 100, alert_id: str | None = None) -> list[PendingDelivery]:
        if not sinks:
            return []
        stmt = (
            select(deliveries.c.alert_id, deliveries.c.sink, deliveries.c.attempts, alerts.c.payload, alerts.c.score, alerts.c.seed_id)
            .join(alerts, alerts.c.id == deliveries.c.alert_id)
            .where(deliveries.c.status == "pending", deliveries.c.next_attempt <= ts(now), deliveries.c.sink.in_(list(sinks)))
            .order_by(deliveries.c.next_attempt, alerts.c.created_at)
            .limit(limit)
        )
        if alert_id is not None:
            stmt = stmt.where(deliveries.c.alert_id == alert_id)
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
                .where(deliveries.c.alert_id == alert_id, deliveries.c.status.in_(("dead", "pending")))
                .values(status="pending", next_attempt=ts(now), updated_at=ts(now))
            )
        return result.rowcount

    def _set_delivery(self, alert_id: str, sink: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.alert_id == alert_id, deliveries.c.sink == sink).values(**values))

    def recent_alerts(self, limit: int = 50, failed_only: bool = False, alert_id: str | None = None) -> list[AlertRow]:
        """Newest outbox messages with their delivery per sink; digests and feed-health events included."""
        stmt = (
            select(alerts, items.c.title, items.c.url, deliveries.c.sink, deliveries.c.status, deliveries.c.attempts, deliveries.c.last_error)
            .outerjoin(items, items.c.key == alerts.c.item_key)
            .outerjoin(deliveries, deliveries.c.alert_id == alerts.c.id)
            .order_by(alerts.c.created_at.desc(), alerts.c.id)
            .limit(limit)
        )
        if failed_only:
            stmt = stmt.where(deliveries.c.status == "dead")
        if alert_id is not None:
            stmt = stmt.where(alerts.c.id == alert_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            AlertRow(r["id"], r["seed_id"], r["score"], dt(r["created_at"]) or datetime.now(timezone.utc), r["title"] or _title(r["payload"]), r["url"], r["sink"], r["status"], r["attempts"] or 0, r["last_error"])
            for r in rows
        ]

    # sinks, budgets and digests --------------------------------------------------------
    def ensure_sinks(self, hooks: Sequence[tuple[str, str]], now: datetime) -> None:
        """Create missing rows for (name, url) sinks; a changed URL clears a 410 mark."""
        with self.engine.begin() as conn:
            for name, url in hooks:
                conn.execute(self._insert(sinks).values(name=name, url=url, last_digest_at=ts(now)).on_conflict_do_nothing())
                conn.execute(update(sinks).where(sinks.c.name == name, sinks.c.url != url).values(url=url, disabled_at=None, disabled_reason=None))

    def sink_rows(self, names: Sequence[str]) -> dict[str, SinkRow]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(sinks).where(sinks.c.name.in_(list(names)))).mappings().all()
        return {r["name"]: SinkRow(r["name"], r["url"], dt(r["disabled_at"]), r["disabled_reason"], datetime.fromtimestamp(r["last_digest_at"], timezone.utc)) for r in rows}

    def disable_sink(self, name: str, reason: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(sinks).where(sinks.c.name == name).values(disabled_at=ts(now), disabled_reason=reason[:1000]))

    def enable_sink(self, name: str) -> bool:
        """Clear a sink's disabled mark; True when it was disabled."""
        with self.engine.begin() as conn:
            result = conn.execute(update(sinks).where(sinks.c.name == name, sinks.c.disabled_at.is_not(None)).values(disabled_at=None, disabled_reason=None))
        return result.rowcount == 1

    def set_last_digest(self, name: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(sinks).where(sinks.c.name == name).values(last_digest_at=ts(now)))

    def sent_since(self, sink: str, since: datetime) -> int:
        """Alerts and digests a sink received since `since` (feed-health events do not count against budgets)."""
        stmt = (
            select(func.count())
            .select_from(deliveries.join(alerts, alerts.c.id == deliveries.c.alert_id))
            .where(deliveries.c.sink == sink, deliveries.c.status == "sent", deliveries.c.updated_at >= ts(since))
            .where((alerts.c.seed_id != "") | alerts.c.id.like("dgst\\_%", escape="\\"))
        )
        with self.engine.connect() as conn:
            return conn.scalar(stmt) or 0

    def mark_held(self, alert_id: str, sink: str, now: datetime, reason: str) -> None:
        """Keep a delivery for the sink's next digest instead of sending it alone."""
        self._set_delivery(alert_id, sink, status="held", last_error=f"held: {reason}", updated_at=ts(now))

    def held(self, sink: str) -> list[tuple[str, dict[str, Any], str]]:
        """(alert id, payload, reason held) for a sink, oldest first."""
        stmt = (
            select(deliveries.c.alert_id, alerts.c.payload, deliveries.c.last_error)
            .join(alerts, alerts.c.id == deliveries.c.alert_id)
            .where(deliveries.c.sink == sink, deliveries.c.status == "held")
            .order_by(alerts.c.created_at, alerts.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [(r.alert_id, json.loads(r.payload), (r.last_error or "").removeprefix("held: ")) for r in rows]

    def fold_digest(self, sink: str, payload: dict[str, Any], alert_ids: Sequence[str], now: datetime) -> None:
        """One transaction: queue the digest message and mark its members as carried by it."""
        digest_id = payload["id"]
        with self.engine.begin() as conn:
            conn.execute(
                self._insert(alerts)
                .values(id=digest_id, seed_id="", item_key="", score=0.0, payload=json.dumps(payload, ensure_ascii=False), created_at=ts(now))
                .on_conflict_do_nothing()
            )
            conn.execute(
                self._insert(deliveries)
                .values(alert_id=digest_id, sink=sink, status="pending", attempts=0, next_attempt=ts(now), updated_at=ts(now))
                .on_conflict_do_nothing()
            )
            conn.execute(
                update(deliveries)
                .where(deliveries.c.sink == sink, deliveries.c.status == "held", deliveries.c.alert_id.in_(list(alert_ids)))
                .values(status="digested", last_error=f"in {digest_id}", updated_at=ts(now))
            )
            conn.execute(update(sinks).where(sinks.c.name == sink).values(last_digest_at=ts(now)))


def _title(payload: str) -> str:
    """A listing title for outbox messages that are not about one item."""
    data = json.loads(payload)
    kind = data.get("type", "")
    if kind == "seedwatch.digest":
        return f"digest of {data.get('count', 0)} alerts"
    if kind == "seedwatch.feed_health":
        feed = data.get("feed") or {}
        return f"feed {data.get('status', '?')}: {feed.get('name') or feed.get('url', '')}"
    return kind


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
        fetch_url=row["fetch_url"],
        failing_since=dt(row["failing_since"]),
        last_new=dt(row["last_new"]),
        cadence=row["cadence"],
        health=row["health"] or "ok",
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL under WAL survives a process crash (kill -9); only power loss may drop the last commit
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()

