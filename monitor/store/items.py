"""Items seen: every feed entry ever stored, keyed by its stable key and its canonical link."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from monitor.store.database import Database
from monitor.store.schema import items, ts
from monitor.types import FeedItem


class ItemsStore(Database):
    def unseen(self, batch: Sequence[FeedItem]) -> list[FeedItem]:
        """The items of `batch` whose key and canonical URL the store has not seen (first of a batch's copies kept)."""
        if not batch:
            return []
        keys = [i.key for i in batch]
        urls = [i.canonical_url for i in batch if i.canonical_url]
        with self.read() as conn:
            seen_keys = set(conn.scalars(select(items.c.key).where(items.c.key.in_(keys))))
            seen_urls = set(conn.scalars(select(items.c.canonical_url).where(items.c.canonical_url.in_(urls)))) if urls else set()
        out, batch_keys, batch_urls = [], set(), set()
        for item in batch:
            url = item.canonical_url
            if item.key in seen_keys or item.key in batch_keys or (url and (url in seen_urls or url in batch_urls)):
                continue
            batch_keys.add(item.key)
            if url:
                batch_urls.add(url)
            out.append(item)
        return out


def insert(db: Database, conn: Connection, item: FeedItem, first_seen: datetime) -> bool:
    """Store a new item; False when its key or canonical link is already stored (it raced in through another feed)."""
    stmt = db.statement("item insert", lambda: db.insert(items).on_conflict_do_nothing().returning(items.c.key))
    row = {
        "key": item.key,
        "canonical_url": item.canonical_url,
        "feed_url": item.feed_url,
        "url": item.url,
        "title": item.title,
        "summary": item.summary,
        "published": ts(item.published),
        "lang": item.lang,
        "source": item.source,
        "first_seen": ts(first_seen),
    }
    return conn.execute(stmt, row).first() is not None
