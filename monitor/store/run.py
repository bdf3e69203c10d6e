"""One feed run's write transaction: feed state, notices, new items, story placements, alerts.

`Store.feed_run()` opens it; the pipeline calls these in order and decides in between
(which story an item joins, whether it alerts). Nothing is visible to other readers until the
block ends, and nothing of it survives an exception or a crash before that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from monitor.store import feeds, items, outbox, stories
from monitor.store.database import Database
from monitor.store.rows import Notice, StoryItem, StoryMember
from monitor.store.schema import alerts, story_items
from monitor.store.turns import advisory_key
from monitor.types import Alert, FeedItem, FeedState


class FeedRun:
    """Writes of one feed run, inside one transaction (see `RunStore.feed_run`)."""

    def __init__(self, db: Database, conn: Connection) -> None:
        self._db, self._conn = db, conn

    def save_feed_state(self, state: FeedState, name: str, polled: datetime, holder: str | None = None) -> None:
        """As the holder of the feed's lease when `holder` is given (LeaseLost otherwise: the run is rolled back)."""
        feeds.save(self._db, self._conn, state, name, polled, holder)

    def lock_stories(self, seed_ids: Iterable[str]) -> None:
        """Serialise story decisions per seed across instances until this run commits (on
        PostgreSQL, transaction advisory locks taken in one order, so two runs never deadlock;
        SQLite's write lock already serialises every run)."""
        if self._db.dialect != "postgresql":
            return
        for seed_id in sorted(set(seed_ids)):
            self._conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key("story", seed_id)})

    def queue_notice(self, notice: Notice) -> bool:
        return outbox.queue_notice(self._db, self._conn, notice)

    def insert_item(self, item: FeedItem, first_seen: datetime) -> bool:
        """False when the item is already stored (another feed brought it first): skip it and its alerts."""
        return items.insert(self._db, self._conn, item, first_seen)

    def story_member_keys(self, seed_id: str, since: datetime) -> list[tuple[str, str]]:
        return stories.member_keys(self._conn, seed_id, since)

    def story_members(self, seed_id: str, keys: Sequence[str], model: str | None = None) -> list[StoryMember]:
        """Stored members; with `model`, each with its vector when one that model made is stored."""
        return stories.members(self._conn, seed_id, keys, model)

    def save_vectors(self, model: str, vectors: Mapping[str, bytes]) -> None:
        """Store items' vectors (item key -> the story stage's packed bytes), made by `model`."""
        stories.save_vectors(self._db, self._conn, model, vectors)

    def place_story_item(self, placed: StoryItem, title: str, new_story: bool) -> None:
        stories.place(self._db, self._conn, placed, title, new_story)

    def decided(self, seed_id: str, item_key: str, alert_id: str) -> bool:
        """Whether this seed already alerted on the item or placed it in one of its stories."""
        if self._conn.execute(select(alerts.c.id).where(alerts.c.id == alert_id)).first() is not None:
            return True
        placed = select(story_items.c.item_key).where(story_items.c.seed_id == seed_id, story_items.c.item_key == item_key)
        return self._conn.execute(placed).first() is not None

    def queue_alert(self, alert: Alert, body: dict[str, Any], sink_names: Sequence[str], held: str | None = None) -> bool:
        """Queue the alert for its sinks (held for their digests with `held`'s reason); False when
        this (seed, item) alert is already queued."""
        return outbox.queue(self._db, self._conn, alert.id, body, alert.created_at, sink_names, alert.seed_id, alert.item.key, alert.score, held)


class RunStore(Database):
    @contextmanager
    def feed_run(self) -> Iterator[FeedRun]:
        """The write transaction of one feed run, one at a time per process.

        Writers in other processes wait too: on SQLite the transaction holds the database
        write lock from its first statement (BEGIN IMMEDIATE).
        """
        with self.write_lock, self.write() as conn:
            yield FeedRun(self, conn)
