"""Stories: each seed's stories and, per alerting item, where the pipeline placed it and why;
and the items' semantic vectors, which story members are compared by.

The store keeps what the story stage decided (monitor.stories); it never decides.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import Connection

from monitor.store.database import Database
from monitor.store.rows import StoryItem, StoryItemRow, StoryMember, StoryRow
from monitor.store.schema import dt, item_vectors, items, stories, story_items, ts

IN_LIST = 500  # keys per IN (...) list


def member_keys(conn: Connection, seed_id: str, since: datetime) -> list[tuple[str, str]]:
    """(item key, story id) of every item of the seed's stories that began at or after `since` (item time)."""
    active = select(stories.c.id).where(stories.c.seed_id == seed_id, stories.c.created_at >= ts(since))
    stmt = select(story_items.c.item_key, story_items.c.story_id).where(story_items.c.seed_id == seed_id, story_items.c.story_id.in_(active))
    return [(key, sid) for key, sid in conn.execute(stmt).all()]


def members(conn: Connection, seed_id: str, keys: Sequence[str], model: str | None = None) -> list[StoryMember]:
    """The stored placements of these items of the seed, with the items' titles, sources,
    languages and, when `model` is given, their vectors made by that model."""
    vector = item_vectors.c.vector if model is not None else None
    out = []
    for start in range(0, len(keys), IN_LIST):
        stmt = select(story_items, items.c.title, items.c.source, items.c.lang, *([vector] if vector is not None else [])).join(items, items.c.key == story_items.c.item_key)
        if model is not None:
            stmt = stmt.outerjoin(item_vectors, and_(item_vectors.c.item_key == story_items.c.item_key, item_vectors.c.model == model))
        rows = conn.execute(stmt.where(story_items.c.seed_id == seed_id, story_items.c.item_key.in_(list(keys[start : start + IN_LIST])))).mappings()
        out += [StoryMember(_placed(r), r["title"], r["source"] or "", r["lang"], r["vector"] if model is not None else None) for r in rows]
    return out


def save_vectors(db: Database, conn: Connection, model: str, vectors: Mapping[str, bytes]) -> None:
    """Store each item's vector, replacing one an older model made."""
    if vectors:
        conn.execute(db.statement("vector upsert", lambda: _upsert(db)), [{"item_key": key, "model": model, "vector": blob} for key, blob in vectors.items()])


def _upsert(db: Database):
    stmt = db.insert(item_vectors)
    return stmt.on_conflict_do_update(index_elements=[item_vectors.c.item_key], set_={"model": stmt.excluded.model, "vector": stmt.excluded.vector})


def place(db: Database, conn: Connection, placed: StoryItem, title: str, new_story: bool) -> None:
    """Record an item's place: found the story, or move the story's latest time forward; then the item row."""
    at = ts(placed.at)
    if new_story:
        conn.execute(
            db.statement("story insert", lambda: db.insert(stories).on_conflict_do_nothing()),
            {"id": placed.story_id, "seed_id": placed.seed_id, "title": title, "first_key": placed.item_key, "created_at": at, "last_at": at},
        )
    else:
        touch = update(stories).where(stories.c.id == bindparam("sid"), stories.c.last_at < bindparam("at")).values(last_at=bindparam("at"))
        conn.execute(db.statement("story touch", lambda: touch), {"sid": placed.story_id, "at": at})
    conn.execute(
        db.statement("story item insert", lambda: db.insert(story_items).on_conflict_do_nothing()),
        {
            "seed_id": placed.seed_id,
            "item_key": placed.item_key,
            "story_id": placed.story_id,
            "at": at,
            "score": placed.score,
            "groups": json.dumps(list(placed.groups), ensure_ascii=False),
            "headline_groups": json.dumps(list(placed.headline_groups), ensure_ascii=False),
            "minhash": placed.minhash,
            "size": placed.size,
            "reason": placed.reason,
            "alert_id": placed.alert_id,
            "is_update": placed.update,
            "event_id": placed.event_id,
            "marks": placed.marks,
            "why": placed.why,
        },
    )


def _placed(r: dict) -> StoryItem:
    return StoryItem(
        r["seed_id"], r["item_key"], r["story_id"], dt(r["at"]), r["score"], tuple(json.loads(r["groups"])), tuple(json.loads(r["headline_groups"])),
        r["minhash"], r["size"], r["reason"], r["alert_id"], bool(r["is_update"]), r["event_id"], r["marks"], r["why"],
    )


class StoriesStore(Database):
    def recent_stories(self, since: datetime, seed_id: str | None = None, limit: int = 50) -> list[StoryRow]:
        """Stories whose latest item is at or after `since`, newest first, with their items."""
        # id breaks ties: PostgreSQL returns rows of equal last_at in physical order, which changes
        # as stories are touched, so the listing and the stories `limit` keeps would shift
        stmt = select(stories).where(stories.c.last_at >= ts(since)).order_by(stories.c.last_at.desc(), stories.c.id).limit(limit)
        if seed_id is not None:
            stmt = stmt.where(stories.c.seed_id == seed_id)
        with self.read() as conn:
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
                StoryItemRow(
                    r["item_key"], r["title"], r["url"], r["source"] or "", r["lang"], dt(r["at"]) or since, r["score"], tuple(json.loads(r["groups"])),
                    r["reason"], r["alert_id"], bool(r["is_update"]), r["event_id"], json.loads(r["why"]) if r["why"] else {},
                )
            )
        return [StoryRow(h["id"], h["seed_id"], h["title"], dt(h["created_at"]) or since, dt(h["last_at"]) or since, tuple(by_story.get(h["id"], ()))) for h in heads]
