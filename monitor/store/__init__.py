"""The store: the only SQL. Feed state, items, stories, the outbox and sinks, in one database.

Its job is to store and read back what the stages decided; it makes no decision of its own
(which story an item joins, whether it alerts, when a feed is due: the pipeline's and the
stages' pure code decides, and hands the store values to write). SQLite is the embedded
default, PostgreSQL the shared one; the schema is versioned and migrated on open
(monitor.store.migrations).

Layout, after lemon24/reader's `_storage`: `database` (engine, transactions, errors),
`schema`, `migrations`, then one module per kind of record (`feeds`, `items`, `stories`,
`outbox`, `sinks`, `seeds`, `vectors`, `instances`, `turns`) and `run`, the one write transaction of a feed run; `Store` is all of them.

May import: monitor core (types, errors, wire) and libraries; nothing of the stages above it.
"""

from __future__ import annotations

from monitor.store.feeds import FeedsStore, Lease
from monitor.store.instances import InstanceRow, InstancesStore
from monitor.store.items import ItemsStore
from monitor.store.outbox import OutboxStore
from monitor.store.rows import (
    AlertRow,
    Notice,
    PendingDelivery,
    SinkRow,
    StoryItem,
    StoryItemRow,
    StoryMember,
    StoryRow,
)
from monitor.store.run import FeedRun, RunStore
from monitor.store.seeds import SeedsStore, Verdict
from monitor.store.sinks import SinksStore
from monitor.store.stories import StoriesStore
from monitor.store.turns import TurnsStore
from monitor.store.vectors import VectorsStore

__all__ = ["AlertRow", "FeedRun", "InstanceRow", "Lease", "Notice", "PendingDelivery", "SinkRow", "Store", "StoryItem", "StoryItemRow", "StoryMember", "StoryRow", "Verdict"]


class Store(FeedsStore, ItemsStore, StoriesStore, OutboxStore, SinksStore, SeedsStore, VectorsStore, InstancesStore, TurnsStore, RunStore):
    """State in one database; every method is one short transaction, `feed_run()` the long one."""
