"""Live daemons on this database: one row each, beaten every few seconds, deleted on a clean stop.

A row whose heartbeat is older than a few beats belongs to a daemon that died (kill -9, a lost
host); readers judge that from the heartbeat, and the next daemon to start sweeps such rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from monitor.store.database import Database
from monitor.store.schema import dt, instances, ts


@dataclass(frozen=True)
class InstanceRow:
    """One daemon as it last reported itself."""

    id: str
    host: str
    pid: int
    started: datetime
    heartbeat: datetime
    config_hash: str
    version: str
    feeds: int


class InstancesStore(Database):
    def beat(self, me: InstanceRow) -> None:
        """Insert or refresh this daemon's row."""
        values = {"host": me.host, "pid": me.pid, "started": ts(me.started), "heartbeat": ts(me.heartbeat), "config_hash": me.config_hash, "version": me.version, "feeds": me.feeds}
        with self.write() as conn:
            stmt = self.insert(instances).values(id=me.id, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))

    def leave(self, instance_id: str) -> None:
        """Remove this daemon's row (a clean stop)."""
        with self.write() as conn:
            conn.execute(delete(instances).where(instances.c.id == instance_id))

    def sweep_instances(self, before: datetime) -> int:
        """Delete the rows of daemons silent since `before`; how many."""
        with self.write() as conn:
            return len(conn.execute(delete(instances).where(instances.c.heartbeat < ts(before)).returning(instances.c.id)).all())

    def instances(self) -> list[InstanceRow]:
        """Every daemon row, newest heartbeat first (dead ones included: the caller judges the age)."""
        with self.read() as conn:
            rows = conn.execute(select(instances).order_by(instances.c.heartbeat.desc(), instances.c.id)).mappings().all()
        return [InstanceRow(r["id"], r["host"], r["pid"], dt(r["started"]), dt(r["heartbeat"]), r["config_hash"], r["version"], r["feeds"]) for r in rows]
