"""The store's contract, method by method, on SQLite and on PostgreSQL (the `state_url` fixture).

What the pipeline and the delivery tests reach only through a whole run is pinned here on the
store's own API: item dedupe, feed state round trips, seed digests and feedback, the vector
cache, sink rows, counts, the outbox's less travelled paths (lapsed claims, releases, folds
that lose a race, listings) and read-only sessions. Both stores must answer alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from monitor import wire
from monitor.errors import StoreError
from monitor.store import Store, StoryItem
from monitor.types import FeedItem, FeedState
from tests.outbox import alert, queue, queue_health, statuses, store

T0 = datetime(2026, 1, 30, 10, 0, tzinfo=timezone.utc)
LATER = T0 + timedelta(hours=1)


@pytest.fixture
def st(state_url: str) -> Iterator[Store]:
    """A fresh store on each backend, closed after the test (PostgreSQL connections are not free)."""
    made = store(state_url)
    yield made
    made.close()


def _item(key: str, url: str | None = None, seen: str = "") -> FeedItem:
    return FeedItem(key, "http://feeds.example/f", f"Title {key}", url, f"Summary {key}{seen}", T0, "Outlet", "en", canonical_url=url)


def test_items_are_unseen_once_by_key_and_by_canonical_link(st: Store) -> None:
    with st.feed_run() as run:
        assert run.insert_item(_item("a", "https://n.example/a"), T0)
        assert run.insert_item(_item("b"), T0)  # no link: known by its key alone
        assert not run.insert_item(_item("a", "https://n.example/other"), T0)  # same key
        assert not run.insert_item(_item("c", "https://n.example/a"), T0)  # same canonical link, other key
    batch = [_item("a"), _item("d", "https://n.example/a"), _item("e", "https://n.example/e"), _item("f", "https://n.example/e"), _item("e"), _item("g")]
    assert [i.key for i in st.unseen(batch)] == ["e", "g"]  # the first of a batch's copies is kept
    assert st.unseen([]) == []
    assert st.counts()["items"] == 2


def test_a_feed_state_round_trips_every_field_and_an_upsert_replaces_it(st: Store) -> None:
    url = "http://feeds.example/f"
    assert st.feed_state(url) == FeedState(url)  # never saved: the default state
    full = FeedState(
        url, etag='W/"e1"', last_modified="Mon, 30 Jan 2023 10:00:00 GMT", body_hash="ab" * 32, next_poll=LATER, last_success=T0,
        last_error="HTTP 503 from the server", last_error_kind="http", consecutive_failures=3, disabled=True,
        fetch_url="http://feeds.example/moved", failing_since=T0 - timedelta(hours=2), last_new=T0 - timedelta(minutes=30), cadence=1234.5, health="failing",
    )
    st.save_feed_state(full, "Feed", T0)
    assert st.feed_state(url) == full
    healed = FeedState(url, next_poll=LATER + timedelta(seconds=0.25), last_success=LATER)
    st.save_feed_state(healed, "Renamed")
    assert st.feed_state(url) == healed  # every column replaced, NULLs included
    st.save_feed_state(FeedState("http://feeds.example/a"), "A")
    assert [(name, s.url) for name, s in st.feed_states()] == [("A", "http://feeds.example/a"), ("Renamed", url)]


def test_a_feed_states_notices_are_queued_with_it(st: Store) -> None:
    state = FeedState("http://feeds.example/f", last_error="HTTP 500", last_error_kind="http", consecutive_failures=9, health="failing")
    body = wire.feed_health(state, "Feed", "failing", "failing", T0)
    st.save_feed_state(state, "Feed", T0, [(body, ["h", "i"], T0)])
    assert st.counts() == {"items": 0, "alerts": 1, "outbox": 2, "dead": 0}
    assert not st.queue_notice((body, ["h"], T0))  # one message per id, however often it is raised
    rows = st.recent_alerts()
    assert {(r.id, r.seed_id, r.sink) for r in rows} == {(body["id"], "", "h"), (body["id"], "", "i")}
    assert rows[0].title == wire.listing_title(body)  # a message about no item is titled from its body


def test_seed_digests_are_upserted(st: Store) -> None:
    assert st.seed_digests() == {}
    st.record_seed_digests({"a": "1" * 64, "b": "2" * 64}, T0)
    st.record_seed_digests({"a": "3" * 64}, LATER)
    assert st.seed_digests() == {"a": "3" * 64, "b": "2" * 64}


def test_recent_items_are_the_newest_since_oldest_first(st: Store) -> None:
    with st.feed_run() as run:
        for n in range(5):
            run.insert_item(_item(f"k{n}", f"https://n.example/{n}"), T0 + timedelta(minutes=n))
    assert [i.key for i in st.recent_items(T0 + timedelta(minutes=1))] == ["k1", "k2", "k3", "k4"]
    assert [i.key for i in st.recent_items(T0, limit=2)] == ["k3", "k4"]
    [back] = st.recent_items(T0 + timedelta(minutes=4))
    assert back == _item("k4", "https://n.example/4")  # every field read back as it was stored


def test_feedback_is_recorded_replaced_and_cleared_per_alert(st: Store) -> None:
    first, second = alert(1, T0, seed="s1"), alert(2, T0, seed="s2")
    queue(st, first, ["h"])
    queue(st, second, ["h"])
    notice = queue_health(st, T0, ["h"])
    assert st.set_feedback(first.id, "good", T0) == "s1"
    assert st.set_feedback(first.id, "bad", LATER) == "s1"  # a new verdict replaces the old one
    assert st.set_feedback(second.id, "good", T0) == "s2"
    assert st.set_feedback("alrt_nope", "good", T0) is None
    assert st.set_feedback(notice, "good", T0) is None  # a feed-health notice alerts on no item
    assert [(v.alert_id, v.verdict, v.at) for v in st.feedback()] == [(second.id, "good", T0), (first.id, "bad", LATER)]
    [verdict] = st.feedback(["s1"])
    assert verdict.seed_id == "s1" and verdict.item.key == first.item.key and verdict.item.title == first.item.title
    assert st.set_feedback(first.id, None, LATER) == "s1"
    assert [v.alert_id for v in st.feedback()] == [second.id]


def test_cached_vectors_keep_their_bytes_and_the_first_copy(st: Store) -> None:
    blobs = {f"{n:040x}": bytes([n % 256, 0, 255, 0]) * 96 for n in range(1200)}  # NUL bytes and more keys than one IN list holds
    st.cache_vectors(blobs.items(), T0)
    st.cache_vectors([(f"{0:040x}", b"other")], LATER)  # content-addressed: a second copy changes nothing
    assert st.cached_vectors(list(blobs) + ["f" * 40]) == blobs
    assert st.cached_vectors([]) == {}


def test_sink_rows_410_marks_and_digest_times(st: Store) -> None:
    st.ensure_sinks([("a", "https://hooks.example/a"), ("b", "https://hooks.example/b")], T0)
    st.disable_sink("a", "HTTP 410 Gone", LATER)
    st.ensure_sinks([("a", "https://hooks.example/a")], LATER)  # the same URL keeps the mark
    rows = st.sink_rows(["a", "b", "c"])
    assert set(rows) == {"a", "b"}
    assert (rows["a"].disabled_at, rows["a"].disabled_reason, rows["a"].last_digest_at) == (LATER, "HTTP 410 Gone", T0)
    assert rows["b"].disabled_at is None
    st.ensure_sinks([("a", "https://hooks.example/moved")], LATER)  # a new URL clears it
    assert st.sink_rows(["a"])["a"].disabled_at is None and st.sink_rows(["a"])["a"].url == "https://hooks.example/moved"
    st.disable_sink("b", "HTTP 410 Gone", LATER)
    assert st.enable_sink("b") and not st.enable_sink("b") and not st.enable_sink("nosuch")
    st.set_last_digest("b", LATER)
    assert st.sink_rows(["b"])["b"].last_digest_at == LATER


def test_a_lapsed_claim_is_claimable_again_and_a_release_gives_rows_back(st: Store) -> None:
    ids = [queue(st, alert(n, T0 + timedelta(seconds=n)), ["h"]) for n in range(3)]
    assert [p.alert_id for p in st.claim_due(T0 + timedelta(seconds=5), "h", "crashed", T0 + timedelta(minutes=1), 2)] == ids[:2]  # oldest first
    assert [p.alert_id for p in st.claim_due(T0 + timedelta(seconds=30), "h", "other", T0 + timedelta(minutes=5), 10)] == ids[2:]
    again = st.claim_due(T0 + timedelta(minutes=2), "h", "other", T0 + timedelta(minutes=5), 10)
    assert [p.alert_id for p in again] == ids[:2] and again[0].payload["id"] == ids[0]  # the crashed sender's claim lapsed
    assert not st.mark_sent(ids[0], "h", T0, "crashed")  # and its late mark is refused
    st.release("h", "other")
    assert len(st.claim_due(T0 + timedelta(minutes=2), "h", "third", T0 + timedelta(minutes=5), 10)) == 3
    assert st.claim_due(T0 + timedelta(minutes=2), "h", "third", T0 + timedelta(minutes=5), 10, alert_id=ids[1]) == []  # claimed, by itself too


def test_failures_dead_letters_and_retries(st: Store) -> None:
    a = queue(st, alert(1, T0), ["h", "i"])
    for sink in ("h", "i"):
        st.claim_due(T0, sink, "me", LATER, 10)
    assert st.mark_failed(a, "h", T0, "HTTP 500 " + "x" * 2000, T0 + timedelta(seconds=5), "me")
    assert st.mark_failed(a, "i", T0, "HTTP 400", None, "me")
    assert statuses(st) == {(a, "h"): "pending", (a, "i"): "dead"}
    assert st.claim_due(T0 + timedelta(seconds=4), "h", "me", LATER, 10) == []  # not due before its next attempt
    assert [p.attempts for p in st.claim_due(T0 + timedelta(seconds=5), "h", "me", LATER, 10)] == [1]
    assert st.counts() == {"items": 1, "alerts": 1, "outbox": 1, "dead": 1}
    [dead] = st.recent_alerts(failed_only=True)
    assert (dead.sink, dead.attempts, dead.last_error) == ("i", 1, "HTTP 400")
    assert len(next(r for r in st.recent_alerts() if r.sink == "h").last_error or "") == 1000  # errors are bounded
    assert st.retry(a, LATER) == 2 and st.retry("alrt_nope", LATER) == 0
    assert st.counts()["dead"] == 0


def test_held_rows_fold_into_one_digest_once(st: Store) -> None:
    ids = [queue(st, alert(n, T0 + timedelta(seconds=n)), ["h"]) for n in range(3)]
    st.ensure_sinks([("h", "https://hooks.example/h")], T0)
    st.claim_due(T0 + timedelta(seconds=5), "h", "me", LATER, 10)
    for n, alert_id in enumerate(ids):
        assert st.mark_held(alert_id, "h", T0, f"reason {n}", "me")
    held = st.held("h")
    assert [(i, r) for i, _body, r in held] == [(i, f"reason {n}") for n, i in enumerate(ids)] and held[0][1]["id"] == ids[0]
    body = wire.digest("h", LATER, held)
    stale = {**body, "id": wire.DIGEST_PREFIX + "stale"}
    assert not st.fold_digest("h", stale, [*ids, "alrt_gone"], LATER)  # a member is not held: nothing written
    assert len(st.held("h")) == 3 and st.counts()["alerts"] == 3
    assert st.fold_digest("h", body, ids, LATER)
    assert not st.fold_digest("h", body, ids, LATER)  # folded already (another sender was first)
    assert st.held("h") == [] and st.sink_rows(["h"])["h"].last_digest_at == LATER
    assert [p.alert_id for p in st.claim_due(LATER, "h", "me", LATER + timedelta(minutes=5), 10)] == [body["id"]]
    assert st.mark_sent(body["id"], "h", LATER, "me")
    assert {statuses(st)[(i, "h")] for i in ids} == {"digested"}


def test_sent_since_counts_alerts_and_digests_not_feed_health(st: Store) -> None:
    sent = [queue(st, alert(n, T0), ["h"]) for n in range(2)]
    health = queue_health(st, T0, ["h"])
    digest = wire.digest("h", T0, [])
    queue_digest = {**digest, "id": wire.DIGEST_PREFIX + "x_y"}  # an underscore after the prefix: LIKE must not read it as a wildcard
    st.queue_notice((queue_digest, ["h"], T0))
    st.queue_notice(({**digest, "id": "dgstXfake"}, ["h"], T0))  # what an unescaped "dgst_%" would count too
    for p in st.claim_due(T0, "h", "me", LATER, 10):
        st.mark_sent(p.alert_id, "h", T0 + timedelta(minutes=1), "me")
    assert {statuses(st)[(i, "h")] for i in [*sent, health, queue_digest["id"]]} == {"sent"}
    assert st.sent_since("h", T0) == 3
    assert st.sent_since("h", T0 + timedelta(minutes=2)) == 0 and st.sent_since("other", T0) == 0


def test_recent_alerts_are_newest_first_then_by_sink_and_filter_by_id(st: Store) -> None:
    old, new = alert(1, T0), alert(2, LATER)
    queue(st, old, ["c", "a", "b"])
    queue(st, new, ["c", "a", "b"])
    for sink in ("a", "c"):  # updated rows: PostgreSQL then returns them in another physical order
        for p in st.claim_due(LATER, sink, "me", LATER, 10):
            st.mark_failed(p.alert_id, sink, LATER, "HTTP 500", LATER + timedelta(minutes=5), "me")
    rows = st.recent_alerts()
    assert [(r.id, r.sink) for r in rows] == [(a.id, s) for a in (new, old) for s in "abc"]
    assert rows[0].created_at == LATER and rows[0].url == new.item.url
    assert [(r.id, r.sink) for r in st.recent_alerts(2)] == [(new.id, "a"), (new.id, "b")]
    assert {r.title for r in st.recent_alerts(alert_id=old.id)} == {old.item.title}


def test_recent_stories_are_newest_first_then_by_id(st: Store) -> None:
    ids = [f"sty_{n}" for n in (3, 1, 4, 0, 2)]
    with st.feed_run() as run:
        for n, sid in enumerate(ids):
            run.insert_item(_item(f"first{n}"), T0)
            run.place_story_item(StoryItem("s", f"first{n}", sid, T0 - timedelta(hours=1), 0.8, (), (), "", 1, "first item of the story", None, False), f"Story {n}", True)
        for n, sid in enumerate([ids[1], *ids]):  # every story touched to the same latest time; PostgreSQL's rows move as they are updated
            run.insert_item(_item(f"later{n}"), T0)
            run.place_story_item(StoryItem("s", f"later{n}", sid, T0, 0.8, (), (), "", 1, "joined", None, False), "", False)
    assert [s.id for s in st.recent_stories(T0 - timedelta(days=1))] == sorted(ids)
    assert [s.id for s in st.recent_stories(T0 - timedelta(days=1), limit=2)] == ["sty_0", "sty_1"]
    assert [i.key for i in st.recent_stories(T0 - timedelta(days=1), seed_id="s")[1].items] == ["first1", "later0", "later2"]  # items oldest first


def test_reading_sessions_read_and_refuse_to_write(state_url: str) -> None:
    writer = store(state_url)  # the first run creates the schema
    queue(writer, alert(1, T0), ["h"])
    writer.close()
    reader = Store(state_url, readonly=True)
    try:
        assert reader.counts() == {"items": 1, "alerts": 1, "outbox": 1, "dead": 0}
        with pytest.raises(StoreError, match="opened read-only"):
            reader.ensure_sinks([("h", "https://hooks.example/h")], T0)
    finally:
        reader.close()
