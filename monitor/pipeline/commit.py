"""The end of a feed run: one write transaction for its state, notices, items, vectors, stories and alerts.

The story decision happens here, between the store's reads and writes: the stored members of
the seed's active stories are read in the transaction, `monitor.stories.cluster.assign` (pure)
decides, and the placement and the alert (when it founds a story or is an update) are written.
Under the transaction's write lock (and, on PostgreSQL, an advisory lock per seed taken before
the reads) two copies of a story arriving in parallel runs, in one process or in several
instances, still make one story and one alert; the decision reads only stored state, so every
instance sharing a store decides the same.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from monitor import wire
from monitor.relevance.semantic import MODEL_TAG
from monitor.store import FeedRun, Notice, Store, StoryItem, StoryMember
from monitor.stories import cluster, nearcopy
from monitor.stories.evidence import Marks
from monitor.types import Alert, FeedItem, FeedState, StoryDecision

# An alert ready for the outbox: the alert, its wire body and the sinks it goes to.
Queued = tuple[Alert, dict[str, Any], Sequence[str]]
RELATED = "related development"  # why a related match waits for its sinks' digests
MEMBER_CACHE = 50_000  # decoded story members kept in memory (a few tens of MB with vectors)


class StoryMembers:
    """The story stage's state between feed runs: the decision model, the reader of entries and
    the decoded members of recent stories (members never change once written).

    Only (item, story) pairs are read on each run; full rows only for members not decoded yet.
    Used inside `Store.feed_run()`, whose lock serialises the runs of one process.
    """

    def __init__(self, bound: int = MEMBER_CACHE, model: cluster.Model | None = None, reader: cluster.Reader | None = None) -> None:
        self.bound = bound
        self.model = model or cluster.Model.shipped()
        self.reader = reader or cluster.Reader()
        self._decoded: dict[tuple[str, str, str], cluster.Member] = {}  # (seed, item key, story)

    def load(self, run: FeedRun, seed_id: str, since: datetime) -> list[cluster.Member]:
        pairs = run.story_member_keys(seed_id, since)
        if len(self._decoded) > self.bound:
            self._decoded.clear()  # before the refill below, so this call still gets every member
        missing = [key for key, sid in pairs if (seed_id, key, sid) not in self._decoded]
        for member in run.story_members(seed_id, missing, MODEL_TAG) if missing else ():
            p = member.placed
            self._decoded[(seed_id, p.item_key, p.story_id)] = cluster.Member(_entry(member), p.story_id, p.event_id or p.story_id)
        return [m for key, sid in pairs if (m := self._decoded.get((seed_id, key, sid))) is not None]


def commit(
    store: Store,
    members: StoryMembers,
    state: FeedState,
    name: str,
    polled: datetime,
    new_items: Iterable[FeedItem],
    queued: Iterable[Queued],
    notices: Sequence[Notice] = (),
    rules: cluster.Rules | None = None,
    vectors: Mapping[str, np.ndarray] | None = None,
    holder: str | None = None,
) -> tuple[int, list[Alert]]:
    """Write a feed run; returns (items stored, alerts queued).

    An item already stored (it raced in through another feed) is skipped with its alerts, so
    an article never alerts twice. `vectors` are the run's item vectors by item key (the
    semantic signal's, model `semantic.MODEL_TAG`; absent when it is off): stored with each new
    item and compared by the story stage. With `rules` (stories on) each alert first joins a
    story and is queued only when it founds the story or is an update of it. With `holder`
    the state is saved as the holder of the feed's lease (LeaseLost, nothing written, when
    another instance took the feed over).
    """
    vectors = vectors or {}
    by_item: dict[str, list[Queued]] = defaultdict(list)
    for entry in queued:
        by_item[entry[0].item.key].append(entry)
    stored, sent = 0, []
    with store.feed_run() as run:
        run.save_feed_state(state, name, polled, holder)
        if rules is not None:
            run.lock_stories(q[0].seed_id for entries in by_item.values() for q in entries)
        for notice in notices:
            run.queue_notice(notice)
        for item in new_items:
            if not run.insert_item(item, polled):
                continue
            stored += 1
            vector = vectors.get(item.key)
            if vector is not None:
                run.save_vectors(MODEL_TAG, {item.key: cluster.pack_vector(vector)})
            sent += _queue(run, members, by_item.get(item.key, ()), polled, rules, vectors)
    return stored, sent


def commit_rescored(
    store: Store, members: StoryMembers, queued: Iterable[Queued], polled: datetime,
    rules: cluster.Rules | None = None, vectors: Mapping[str, np.ndarray] | None = None,
) -> list[Alert]:
    """Queue the alerts a re-score found for stored items, as a feed run would have (stories
    included); an item its seed already alerted on or placed in a story is left as it was."""
    queued = list(queued)
    with store.feed_run() as run:
        if rules is not None:
            run.lock_stories(q[0].seed_id for q in queued)
        fresh = [q for q in queued if not run.decided(q[0].seed_id, q[0].item.key, q[0].id)]
        return _queue(run, members, fresh, polled, rules, vectors or {})


def _queue(run: FeedRun, members: StoryMembers, queued: Iterable[Queued], polled: datetime, rules: cluster.Rules | None, vectors: Mapping[str, np.ndarray]) -> list[Alert]:
    """Queue one item's alerts (or a re-score's): each joins a story first when stories are on."""
    sent = []
    for alert, body, sinks in queued:
        if alert.band == "related":  # a related development: no story of its own, only digests
            if run.queue_alert(alert, body, sinks, held=RELATED):
                sent.append(alert)
            continue
        if rules is not None:
            decision = _place(run, members, alert, polled, rules, vectors.get(alert.item.key))
            if not decision.alert:
                continue
            body = wire.with_story(body, decision)
        if run.queue_alert(alert, body, sinks):
            sent.append(alert)
    return sent


def _place(run: FeedRun, members: StoryMembers, alert: Alert, polled: datetime, rules: cluster.Rules, vector: np.ndarray | None) -> StoryDecision:
    # the entry compares the stored (float16) vector, as every later comparison with it will
    entry = members.reader.entry_for(alert, polled, cluster.unpack_vector(cluster.pack_vector(vector)) if vector is not None else None)
    known = members.load(run, alert.seed_id, entry.at - rules.window)
    decision = cluster.assign(entry, known, rules, members.model, members.reader.words)
    placed = StoryItem(
        alert.seed_id, entry.key, decision.story_id, entry.at, entry.score, tuple(sorted(entry.groups)), tuple(sorted(entry.headline)),
        nearcopy.pack(entry.minhash), entry.size, decision.reason, alert.id if decision.alert else None, decision.update,
        decision.event_id, entry.marks.pack(), json.dumps(decision.evidence, ensure_ascii=False),
    )
    run.place_story_item(placed, alert.item.title, decision.new_story)
    return decision


def _entry(member: StoryMember) -> cluster.Entry:
    p = member.placed
    return cluster.Entry(
        p.item_key, p.seed_id, member.title, member.source, member.lang, p.at, p.score, frozenset(p.groups), nearcopy.unpack(p.minhash), p.size,
        frozenset(p.headline_groups), Marks.unpack(p.marks), cluster.unpack_vector(member.vector),
    )
