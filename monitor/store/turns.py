"""Turns across instances: PostgreSQL advisory locks named by what they guard.

A sink's delivery tick is taken in turn (`sink_turn`), so its budget, quiet hours, held alerts
and digests are decided by one daemon at a time even when several share the outbox; a fetch
holds one of its host's `fetch.per_host` slots (`host_slot`), so the politeness limit holds
across instances; story decisions take a transaction lock per seed (`FeedRun.lock_stories`).
SQLite needs none: one daemon per file, and its write lock serialises the rest.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection

from monitor.store.database import Database

SLOT_POLL = 0.1  # seconds between tries for a busy host's slots


def advisory_key(kind: str, name: str) -> int:
    """A PostgreSQL advisory-lock key (signed 64-bit) for one named thing, the same in every process."""
    return int.from_bytes(hashlib.blake2b(f"seedwatch:{kind}:{name}".encode(), digest_size=8).digest(), "big", signed=True)


class TurnsStore(Database):
    @contextmanager
    def sink_turn(self, sink: str) -> Iterator[bool]:
        """True while this process has the sink's turn (released when the block ends); False at
        once when another daemon has it: skip the sink this tick, the holder is delivering it."""
        if self.dialect != "postgresql":
            yield True
            return
        key = advisory_key("sink", sink)
        with self.read("cannot take the sink's turn") as conn:
            # a session lock on this pooled connection, held across the tick's own transactions
            mine = _try_lock(conn, key)
            try:
                yield mine
            finally:
                if mine:
                    _unlock(conn, key)

    @contextmanager
    def host_slot(self, host: str, slots: int, until: float) -> Iterator[bool]:
        """True while this process holds one of `host`'s `slots` (a session advisory lock each, on a
        connection kept for the block); False once time.monotonic() passes `until` with every slot
        taken by other instances. Always True on SQLite (the fetcher's own limit is the only one)."""
        if self.dialect != "postgresql":
            yield True
            return
        keys = [advisory_key("host", f"{host}#{i}") for i in range(slots)]
        with self.read("cannot take a per-host slot") as conn:
            while (held := next((k for k in keys if _try_lock(conn, k)), None)) is None and time.monotonic() < until:
                time.sleep(SLOT_POLL)
            try:
                yield held is not None
            finally:
                if held is not None:
                    _unlock(conn, held)


def _try_lock(conn: Connection, key: int) -> bool:
    """Take a session advisory lock if it is free; the read's implicit transaction ends here, so
    the pooled connection holds nothing but the lock."""
    got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
    conn.commit()
    return got


def _unlock(conn: Connection, key: int) -> None:
    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    conn.commit()
