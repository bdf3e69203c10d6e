"""Story assignment in the real SQLite store: one transaction, consistent under parallel feed runs."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from monitor import wire
from monitor.delivery.alerts import make_alert
from monitor.pipeline import StoryMembers, commit
from monitor.store import Store
from monitor.stories.cluster import Rules
from monitor.types import FeedItem, FeedState, Match, MatchedTerm, TopicProfile

NOW = datetime(2023, 1, 30, 12, 0, tzinfo=timezone.utc)
LEAD = (
    "NATO Secretary General Jens Stoltenberg on Monday urged South Korea to increase military support to Ukraine, "
    "citing other countries that have changed their policy of not providing weapons to countries in conflict."
)
GROUPS = ("south_korea", "nato", "ukraine", "weapons")


def _alert(seed: str, key: str, title: str, summary: str = LEAD, groups: tuple[str, ...] = GROUPS, score: float = 0.8, source: str = "", hours: float = 0.0):
    item = FeedItem(key, f"http://feeds.example/{key}", title, f"http://news.example/{key}", summary, NOW - timedelta(hours=hours), source or key, "en")
    match = Match(seed, score, tuple(MatchedTerm(g, g, "title") for g in groups), "test", True)
    alert = make_alert(item, match, TopicProfile(seed, "Seed", "en", (), 0.5), NOW)
    return item, (alert, wire.alert(alert), ["hook"])


def test_parallel_feed_runs_carrying_one_story_alert_once(tmp_path: Path) -> None:
    store, members = Store(f"sqlite:///{tmp_path / 'state.db'}"), StoryMembers()
    threads_per_round = 6
    for round_no in range(4):
        seed = f"seed-{round_no}"
        barrier = threading.Barrier(threads_per_round)
        results: list[int] = []
        errors: list[BaseException] = []

        def run(n: int) -> None:
            try:
                item, queued = _alert(seed, f"r{round_no}-copy{n}", f"Outlet {n} headline on Stoltenberg in Seoul")
                barrier.wait(timeout=10)
                _stored, alerts = commit(store, members, FeedState(url=f"http://feeds.example/{n}"), f"feed {n}", NOW, [item], [queued], rules=Rules())
                results.append(len(alerts))
            except BaseException as exc:  # surfaced below: a thread's failure must fail the test
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(threads_per_round)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not errors, errors
        assert sorted(results) == [0] * (threads_per_round - 1) + [1]
        stories = store.recent_stories(NOW - timedelta(days=3), seed_id=seed)
        assert len(stories) == 1 and len(stories[0].items) == threads_per_round
        assert sum(1 for i in stories[0].items if i.alert_id) == 1
    assert store.counts()["alerts"] == 4
    store.close()


def test_update_payload_carries_the_story_and_attached_items_queue_nothing(tmp_path: Path) -> None:
    store, members = Store(f"sqlite:///{tmp_path / 'state.db'}"), StoryMembers()
    rules = Rules()
    first = _alert("s", "a", "NATO chief urges South Korea to send weapons to Ukraine", source="ABC News", hours=5)
    copy = _alert("s", "b", "NATO presses Seoul on arms for Kyiv", source="MSN", hours=4)
    news = _alert("s", "c", "North Korea denies arming Russia as NATO presses Seoul", LEAD + " Pyongyang denied it.", (*GROUPS, "north_korea"), source="Yonhap", hours=1)
    counts = []
    for item, queued in (first, copy, news):
        counts.append(len(commit(store, members, FeedState(url=item.feed_url), "f", NOW, [item], [queued], rules=rules)[1]))
    assert counts == [1, 0, 1]
    pending = {p.alert_id: p.payload for p in store.claim_due(NOW, "hook", "test", NOW, 100)}
    assert len(pending) == 2
    stories = {p["story"]["id"] for p in pending.values()}
    assert len(stories) == 1
    by_key = {p["item"]["key"]: p["story"] for p in pending.values()}
    assert by_key["a"]["update"] is False and by_key["a"]["items"] == 1 and by_key["a"]["sources"] == ["ABC News"]
    assert by_key["c"]["update"] is True and by_key["c"]["items"] == 3 and by_key["c"]["sources"] == ["ABC News", "MSN", "Yonhap"]
    assert "north_korea" in by_key["c"]["reason"]
    [story] = store.recent_stories(NOW - timedelta(days=1))
    assert [i.key for i in story.items] == ["a", "b", "c"]
    assert [bool(i.alert_id) for i in story.items] == [True, False, True] and [i.update for i in story.items] == [False, False, True]
    assert "near-duplicate" in story.items[1].reason
    # a story that went quiet longer than the window is not a candidate any more
    late = _alert("s", "d", "NATO chief urges South Korea to send weapons to Ukraine", source="Reuters", hours=-80)
    assert len(commit(store, members, FeedState(url="x"), "f", NOW + timedelta(hours=80), [late[0]], [late[1]], rules=rules)[1]) == 1
    store.close()


def test_copies_join_their_story_when_the_member_cache_overflows(tmp_path: Path) -> None:
    members = StoryMembers(bound=1)  # every call finds the cache over its bound
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        queued = 0
        for n in range(4):
            item, alert = _alert("seed", f"copy{n}", f"Outlet {n} headline on Stoltenberg in Seoul")
            queued += len(commit(store, members, FeedState(url=f"http://feeds.example/{n}"), f"feed {n}", NOW, [item], [alert], rules=Rules())[1])
        assert queued == 1
        [story] = store.recent_stories(NOW - timedelta(days=3), seed_id="seed")
        assert len(story.items) == 4
    finally:
        store.close()
