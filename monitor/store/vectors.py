"""Sentence vectors cached by content, so nothing is embedded twice (seeds at every start, items
when a new seed re-scores them, `replay` over the same file). Keys are made by the caller."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from monitor.store.database import Database
from monitor.store.schema import ts, vectors

IN_LIST = 500


class VectorsStore(Database):
    def cached_vectors(self, hashes: Sequence[str]) -> dict[str, bytes]:
        """The stored vectors among `hashes` (hash -> bytes)."""
        out: dict[str, bytes] = {}
        with self.read() as conn:
            for start in range(0, len(hashes), IN_LIST):
                chunk = list(hashes[start : start + IN_LIST])
                out.update((key, blob) for key, blob in conn.execute(select(vectors.c.hash, vectors.c.vector).where(vectors.c.hash.in_(chunk))))
        return out

    def cache_vectors(self, rows: Iterable[tuple[str, bytes]], now: datetime) -> None:
        stmt = self.statement("vector insert", lambda: self.insert(vectors).on_conflict_do_nothing())
        with self.write() as conn:
            for key, blob in rows:
                conn.execute(stmt, {"hash": key, "vector": blob, "created_at": ts(now)})
