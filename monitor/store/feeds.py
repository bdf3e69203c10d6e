"""Feed state: validators, schedule, failures and health, one row per configured feed URL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from monitor.store import outbox
from monitor.store.database import Database
from monitor.store.rows import Notice
from monitor.store.schema import dt, feeds, ts
from monitor.types import FeedState


class FeedsStore(Database):
    def feed_state(self, url: str) -> FeedState:
        with self.read() as conn:
            row = conn.execute(select(feeds).where(feeds.c.url == url)).mappings().first()
        return _feed_state(row) if row else FeedState(url=url)

    def feed_states(self) -> list[tuple[str, FeedState]]:
        """(name, state) for every feed the store knows."""
        with self.read() as conn:
            rows = conn.execute(select(feeds).order_by(feeds.c.url)).mappings().all()
        return [(row["name"], _feed_state(row)) for row in rows]

    def save_feed_state(self, state: FeedState, name: str = "", polled: datetime | None = None, notices: Sequence[Notice] = ()) -> None:
        """Save a feed's state and queue its feed-health notices, in one transaction."""
        with self.write() as conn:
            save(self, conn, state, name, polled)
            for notice in notices:
                outbox.queue_notice(self, conn, notice)


def save(db: Database, conn: Connection, state: FeedState, name: str, polled: datetime | None) -> None:
    """Upsert a feed's row (`polled` also sets when it was last polled)."""
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
    conn.execute(db.statement(("feed upsert", tuple(values)), lambda: _upsert(db, tuple(values))), {"url": state.url, **values})


def _upsert(db: Database, columns: tuple[str, ...]) -> Any:
    stmt = db.insert(feeds)
    return stmt.on_conflict_do_update(index_elements=["url"], set_={k: stmt.excluded[k] for k in columns})


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
