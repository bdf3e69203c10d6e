"""Per-sink state: the URL it was last configured with, a 410's disabled mark, the last digest time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy import select, update

from monitor.store.database import Database
from monitor.store.rows import SinkRow
from monitor.store.schema import dt, sinks, ts


class SinksStore(Database):
    def ensure_sinks(self, hooks: Sequence[tuple[str, str]], now: datetime) -> None:
        """Create missing rows for (name, url) sinks; a changed URL clears a 410 mark."""
        with self.write() as conn:
            for name, url in hooks:
                conn.execute(self.insert(sinks).values(name=name, url=url, last_digest_at=ts(now)).on_conflict_do_nothing())
                conn.execute(update(sinks).where(sinks.c.name == name, sinks.c.url != url).values(url=url, disabled_at=None, disabled_reason=None))

    def sink_rows(self, names: Sequence[str]) -> dict[str, SinkRow]:
        with self.read() as conn:
            rows = conn.execute(select(sinks).where(sinks.c.name.in_(list(names)))).mappings().all()
        return {r["name"]: SinkRow(r["name"], r["url"], dt(r["disabled_at"]), r["disabled_reason"], datetime.fromtimestamp(r["last_digest_at"], timezone.utc)) for r in rows}

    def disable_sink(self, name: str, reason: str, now: datetime) -> None:
        with self.write() as conn:
            conn.execute(update(sinks).where(sinks.c.name == name).values(disabled_at=ts(now), disabled_reason=reason[:1000]))

    def enable_sink(self, name: str) -> bool:
        """Clear a sink's disabled mark; True when it was disabled."""
        with self.write() as conn:
            result = conn.execute(update(sinks).where(sinks.c.name == name, sinks.c.disabled_at.is_not(None)).values(disabled_at=None, disabled_reason=None).returning(sinks.c.name))
            return result.first() is not None

    def set_last_digest(self, name: str, now: datetime) -> None:
        with self.write() as conn:
            conn.execute(update(sinks).where(sinks.c.name == name).values(last_digest_at=ts(now)))
