"""Feed state: validators, schedule, failures and health, one row per configured feed URL.

Several daemons on one database share the feeds through leases on these rows: an instance
polls a feed only after `lease_feed` gave it the row, and a run's state is saved only by the
lease's holder (saving ends the lease). The decision of when a feed is due stays the
pipeline's; the lease only says who polls it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection

from monitor.errors import LeaseLost
from monitor.store import outbox
from monitor.store.database import Database
from monitor.store.rows import Notice
from monitor.store.schema import dt, feeds, ts
from monitor.types import FeedState


@dataclass(frozen=True)
class Lease:
    """The answer to `lease_feed`: ours to poll now, or when to ask again."""

    granted: bool
    retry_at: datetime | None = None  # when not granted: the stored next poll, or when the other's lease ends
    holder: str | None = None  # who holds it, when someone else does


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

    def save_feed_state(self, state: FeedState, name: str = "", polled: datetime | None = None, notices: Sequence[Notice] = (), holder: str | None = None) -> None:
        """Save a feed's state and queue its feed-health notices, in one transaction (as the
        lease's holder when `holder` is given: LeaseLost, nothing written, if it is not)."""
        with self.write() as conn:
            save(self, conn, state, name, polled, holder)
            for notice in notices:
                outbox.queue_notice(self, conn, notice)

    def lease_feed(self, url: str, name: str, holder: str, now: datetime, until: datetime, due_by: datetime) -> Lease:
        """Give `holder` the feed to poll until `until`, unless another instance holds a live
        lease on it or it is not due by `due_by` (someone polled it and stored a later next
        poll): then the answer says when to look again. A feed never seen gets its row here."""
        grant = (
            update(feeds)
            .where(feeds.c.url == url, or_(feeds.c.leased_by.is_(None), feeds.c.leased_by == holder, feeds.c.leased_until < ts(now)))
            .where(or_(feeds.c.next_poll.is_(None), feeds.c.next_poll <= ts(due_by)))
            .values(leased_by=holder, leased_until=ts(until))
            .returning(feeds.c.url)
        )
        with self.write() as conn:
            granted = conn.execute(grant).first()
            if granted is None and conn.execute(select(feeds.c.url).where(feeds.c.url == url)).first() is None:
                # the first poll of a feed: its row is made once here, not tried on every poll
                conn.execute(self.insert(feeds).values(url=url, name=name).on_conflict_do_nothing(index_elements=["url"]))
                granted = conn.execute(grant).first()
            if granted is not None:
                return Lease(True)
            row = conn.execute(select(feeds.c.leased_by, feeds.c.leased_until, feeds.c.next_poll).where(feeds.c.url == url)).one()
        if row.leased_by not in (None, holder) and row.leased_until is not None and row.leased_until >= ts(now):
            return Lease(False, dt(row.leased_until), row.leased_by)
        return Lease(False, dt(row.next_poll) or now)

    def release_leases(self, holder: str | None) -> int:
        """End every lease `holder` still holds (a clean shutdown: others may poll those feeds at
        once); every lease with None (the caller knows their holders are dead)."""
        stmt = update(feeds).where(feeds.c.leased_by.is_not(None) if holder is None else feeds.c.leased_by == holder)
        with self.write() as conn:
            return len(conn.execute(stmt.values(leased_by=None, leased_until=None).returning(feeds.c.url)).all())


def save(db: Database, conn: Connection, state: FeedState, name: str, polled: datetime | None, holder: str | None = None) -> None:
    """Upsert a feed's row (`polled` also sets when it was last polled). With `holder`, only as
    the holder of the feed's lease, which this ends: LeaseLost when another instance holds it."""
    if holder is not None:
        ended = conn.execute(update(feeds).where(feeds.c.url == state.url, feeds.c.leased_by == holder).values(leased_by=None, leased_until=None).returning(feeds.c.url)).first()
        if ended is None:
            raise LeaseLost(f"{db.where}: feed {state.url}: our lease on it lapsed and another instance polled it; this run's results are dropped (it polls the feed)")
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
