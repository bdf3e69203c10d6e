"""Per-seed records: the digest of the profile its alerts were decided with, and people's feedback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from monitor.store.database import Database
from monitor.store.schema import alerts, dt, feedback, items, seed_states, ts
from monitor.types import FeedItem


@dataclass(frozen=True)
class Verdict:
    """One person's verdict on an alert, with the alerted item."""

    alert_id: str
    seed_id: str
    verdict: str  # good | bad
    at: datetime
    item: FeedItem


class SeedsStore(Database):
    def seed_digests(self) -> dict[str, str]:
        with self.read() as conn:
            return {seed_id: digest for seed_id, digest in conn.execute(select(seed_states.c.seed_id, seed_states.c.digest))}

    def record_seed_digests(self, digests: dict[str, str], now: datetime) -> None:
        with self.write() as conn:
            for seed_id, digest in digests.items():
                stmt = self.insert(seed_states).values(seed_id=seed_id, digest=digest, scored_at=ts(now))
                conn.execute(stmt.on_conflict_do_update(index_elements=["seed_id"], set_={"digest": stmt.excluded.digest, "scored_at": stmt.excluded.scored_at}))

    def recent_items(self, since: datetime, limit: int = 20_000) -> list[FeedItem]:
        """Stored items first seen at or after `since`, oldest first (at most `limit`, the newest)."""
        stmt = select(items).where(items.c.first_seen >= ts(since)).order_by(items.c.first_seen.desc()).limit(limit)
        with self.read() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [_item(r) for r in reversed(rows)]

    def set_feedback(self, alert_id: str, verdict: str | None, now: datetime) -> str | None:
        """Record (or with None, clear) the verdict on an alert; its seed id, None for no such alert."""
        with self.write() as conn:
            row = conn.execute(select(alerts.c.seed_id, alerts.c.item_key).where(alerts.c.id == alert_id, alerts.c.seed_id != "")).first()
            if row is None:
                return None
            conn.execute(delete(feedback).where(feedback.c.alert_id == alert_id))
            if verdict is not None:
                conn.execute(feedback.insert().values(alert_id=alert_id, seed_id=row.seed_id, item_key=row.item_key, verdict=verdict, at=ts(now)))
            return row.seed_id

    def feedback(self, seed_ids: Sequence[str] | None = None) -> list[Verdict]:
        """Every verdict (of these seeds), oldest first, with its item."""
        stmt = select(feedback, items).join(items, items.c.key == feedback.c.item_key).order_by(feedback.c.at)
        if seed_ids is not None:
            stmt = stmt.where(feedback.c.seed_id.in_(list(seed_ids)))
        with self.read() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [Verdict(r["alert_id"], r["seed_id"], r["verdict"], dt(r["at"]), _item(r)) for r in rows]


def _item(r: dict) -> FeedItem:
    return FeedItem(r["key"], r["feed_url"], r["title"], r["url"], r["summary"], dt(r["published"]), r["source"] or "", r["lang"], canonical_url=r["canonical_url"])
