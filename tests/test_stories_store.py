"""Story assignment in the real store (SQLite and PostgreSQL): one transaction, consistent under parallel feed runs."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import numpy as np

from monitor import wire
from monitor.delivery.alerts import make_alert
from monitor.pipeline import StoryMembers, commit
from monitor.relevance.semantic import MODEL_TAG
from monitor.store import Store
from monitor.stories.cluster import Rules, pack_vector, unpack_vector
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


def test_parallel_feed_runs_carrying_one_story_alert_once(state_url: str) -> None:
    store, members = Store(state_url), StoryMembers()
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


def test_update_payload_carries_the_story_what_is_new_and_attached_items_queue_nothing(state_url: str) -> None:
    store, members = Store(state_url), StoryMembers()
    rules = Rules()
    first = _alert("s", "a", "NATO chief urges South Korea to send weapons to Ukraine", source="ABC News", hours=20)
    copy = _alert("s", "b", "NATO presses Seoul on arms for Kyiv", source="MSN", hours=19)
    news = _alert(
        "s", "c", "Pyongyang denies arming Moscow as NATO presses Seoul",
        "North Korea's foreign ministry called Stoltenberg's visit a step towards confrontation and denied selling weapons to Russia.",
        (*GROUPS, "north_korea"), source="Yonhap", hours=1,
    )
    counts = []
    for item, queued in (first, copy, news):
        counts.append(len(commit(store, members, FeedState(url=item.feed_url), "f", NOW, [item], [queued], rules=rules)[1]))
    assert counts == [1, 0, 1]
    pending = {p.alert_id: p.payload for p in store.claim_due(NOW, "hook", "test", NOW, 100)}
    assert len(pending) == 2 and len({p["story"]["id"] for p in pending.values()}) == 1
    by_key = {p["item"]["key"]: p["story"] for p in pending.values()}
    assert by_key["a"]["update"] is False and by_key["a"]["items"] == 1 and by_key["a"]["sources"] == ["ABC News"]
    assert by_key["a"]["new"] == [] and by_key["a"]["events"] == 1 and by_key["a"]["event"].startswith("evt_")
    assert by_key["c"]["update"] is True and by_key["c"]["items"] == 3 and by_key["c"]["sources"] == ["ABC News", "MSN", "Yonhap"]
    assert {"Pyongyang", "Moscow"} <= set(by_key["c"]["new"]) and by_key["c"]["events"] == 2 and by_key["c"]["event"] != by_key["a"]["event"]
    assert "new development (Pyongyang" in by_key["c"]["reason"]
    [story] = store.recent_stories(NOW - timedelta(days=2))
    assert [i.key for i in story.items] == ["a", "b", "c"]
    assert [bool(i.alert_id) for i in story.items] == [True, False, True] and [i.update for i in story.items] == [False, False, True]
    assert story.items[0].event_id == story.items[1].event_id != story.items[2].event_id
    assert story.items[1].reason.startswith("near-duplicate") and story.items[1].why["with"] == "a"
    assert set(story.items[2].why["new"]) >= {"Pyongyang", "Moscow"}
    # a story whose latest item is older than the window is not a candidate any more
    late = _alert("s", "d", "NATO chief urges South Korea to send weapons to Ukraine", source="Reuters", hours=-80)
    assert len(commit(store, members, FeedState(url="x"), "f", NOW + timedelta(hours=80), [late[0]], [late[1]], rules=rules)[1]) == 1
    store.close()


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=384).astype(np.float32)
    return v / np.linalg.norm(v)


def test_vectors_are_stored_with_their_model_and_read_back_with_the_members(state_url: str) -> None:
    store, members = Store(state_url), StoryMembers()
    try:
        item, queued = _alert("s", "a", "NATO chief urges South Korea to send weapons to Ukraine")
        quiet = FeedItem("q", "http://feeds.example/q", "Weather in Seoul", None, "Sunny.", NOW, "KMA", "en")  # no alert: its vector is kept all the same
        commit(store, members, FeedState(url=item.feed_url), "f", NOW, [item, quiet], [queued], rules=Rules(), vectors={"a": _unit(1), "q": _unit(2)})
        with store.feed_run() as run:
            [member] = run.story_members("s", ["a"], MODEL_TAG)
            [other_model] = run.story_members("s", ["a"], "another-model")
            [no_model] = run.story_members("s", ["a"])
        back = unpack_vector(member.vector)
        assert back is not None and float(back @ _unit(1)) > 0.999 and len(member.vector or b"") == 2 * 384
        assert other_model.vector is None and no_model.vector is None
        assert member.placed.marks and "Stoltenberg" in member.placed.marks and member.placed.event_id == member.placed.story_id.replace("sty_", "evt_")
        with store.feed_run() as run:  # a newer model's vector replaces the old one
            run.save_vectors("e5-next", {"a": pack_vector(_unit(3))})
            [member] = run.story_members("s", ["a"], "e5-next")
            assert float(unpack_vector(member.vector) @ _unit(3)) > 0.999
            assert run.story_members("s", ["a"], MODEL_TAG)[0].vector is None
    finally:
        store.close()


def test_copies_join_their_story_when_the_member_cache_overflows(state_url: str) -> None:
    members = StoryMembers(bound=1)  # every call finds the cache over its bound
    store = Store(state_url)
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
