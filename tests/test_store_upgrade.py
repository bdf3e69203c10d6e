"""A store written by an earlier release opens and keeps its data, on SQLite and on PostgreSQL.

The earlier shapes are made with plain SQL through SQLAlchemy (no Store), as the release left them.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from monitor.errors import StoreError
from monitor.store import Store, StoryItem
from monitor.store.migrations import LATEST
from monitor.types import FeedItem, FeedState

FIRST_FEEDS = (  # the feeds table as the first release wrote it
    "CREATE TABLE feeds (url VARCHAR(2048) PRIMARY KEY, name VARCHAR(512) NOT NULL, etag VARCHAR(1024), last_modified VARCHAR(128),"
    " body_hash VARCHAR(64), next_poll FLOAT, last_polled FLOAT, last_success FLOAT, last_error TEXT, last_error_kind VARCHAR(64),"
    " consecutive_failures INTEGER NOT NULL, disabled BOOLEAN NOT NULL)"
)


def _sql(url: str, *statements: str) -> None:
    """Run statements on the database itself, in one transaction, without Seedwatch."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT value FROM meta WHERE key = 'schema_version'"))
    finally:
        engine.dispose()


def _where(url: str) -> str:
    """How the store names itself in errors: the SQLite file, or the URL without its password."""
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else make_url(url).render_as_string(hide_password=True)


def test_a_store_from_the_first_release_is_upgraded_in_place(state_url: str) -> None:
    _sql(state_url, FIRST_FEEDS, "INSERT INTO feeds VALUES ('http://old.example/rss', 'Old', '\"e1\"', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, FALSE)")
    store = Store(state_url)
    try:
        state = store.feed_state("http://old.example/rss")
        assert state.etag == '"e1"' and state.health == "ok" and state.cadence is None
        long_url = "http://old.example/rss?" + "q" * 3000  # past the first release's VARCHAR(2048), which PostgreSQL enforced
        store.save_feed_state(FeedState(long_url, etag='"e2"', cadence=60.0), "Old")
        assert store.feed_state(long_url).cadence == 60.0
    finally:
        store.close()


def test_a_new_store_records_the_latest_schema_version(state_url: str) -> None:
    Store(state_url).close()
    assert _version(state_url) == str(LATEST)


def test_an_older_version_is_migrated_step_by_step(state_url: str) -> None:
    _sql(  # a 0.1 store: version 1 recorded, the first release's bounded VARCHARs, no sinks or story tables yet
        state_url, "CREATE TABLE meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)", "INSERT INTO meta VALUES ('schema_version', '1')", FIRST_FEEDS,
        "CREATE TABLE items (key VARCHAR(64) PRIMARY KEY, canonical_url VARCHAR(2048) UNIQUE, feed_url VARCHAR(2048) NOT NULL, url VARCHAR(2048),"
        " title TEXT NOT NULL, summary TEXT NOT NULL, published FLOAT, lang VARCHAR(16), source VARCHAR(512), first_seen FLOAT NOT NULL)",
        "CREATE TABLE alerts (id VARCHAR(64) PRIMARY KEY, seed_id VARCHAR(128) NOT NULL, item_key VARCHAR(64) NOT NULL, score FLOAT NOT NULL,"
        " payload TEXT NOT NULL, created_at FLOAT NOT NULL)",
        "CREATE TABLE deliveries (alert_id VARCHAR(64), sink VARCHAR(128), status VARCHAR(16) NOT NULL, attempts INTEGER NOT NULL,"
        " next_attempt FLOAT NOT NULL, last_error TEXT, updated_at FLOAT NOT NULL, PRIMARY KEY (alert_id, sink))",
    )
    store = Store(state_url)
    try:
        when = datetime(2023, 1, 30, tzinfo=timezone.utc)
        assert store.recent_stories(when) == []  # the story tables exist now
        assert store.sink_rows(["x"]) == {}
        long_url = "https://n.example/a?" + "q" * 3000  # past VARCHAR(2048): PostgreSQL enforced it until migration 3
        with store.feed_run() as run:
            assert run.insert_item(FeedItem("k1", long_url, "T", long_url, "S", when, "s" * 600, "en", canonical_url=long_url), when)
        assert store.unseen([FeedItem("k2", long_url, "T", long_url, "S", when, "", "en", canonical_url=long_url)]) == []
        assert store.counts() == {"items": 1, "alerts": 0, "outbox": 0, "dead": 0}
    finally:
        store.close()
    assert _version(state_url) == str(LATEST)


def test_a_store_newer_than_the_code_is_refused_and_left_alone(state_url: str) -> None:
    Store(state_url).close()
    _sql(state_url, f"UPDATE meta SET value = '{LATEST + 1}' WHERE key = 'schema_version'")
    newer = rf"the state store has schema version {LATEST + 1}, newer than this seedwatch knows \({LATEST}\)"
    with pytest.raises(StoreError, match=re.escape(_where(state_url)) + ": " + newer):
        Store(state_url)
    with pytest.raises(StoreError, match=newer):  # reading commands refuse it too
        Store(state_url, readonly=True)
    assert _version(state_url) == str(LATEST + 1)


def test_a_store_from_before_story_events_keeps_its_stories_and_gains_events_and_vectors(state_url: str) -> None:
    when = datetime(2023, 1, 30, tzinfo=timezone.utc)
    item = FeedItem("k1", "http://f.example/rss", "NATO chief in Seoul", "http://n.example/1", "Stoltenberg urged Seoul.", when, "Reuters", "en")
    store = Store(state_url)
    with store.feed_run() as run:
        run.insert_item(item, when)
        run.place_story_item(StoryItem("seed", "k1", "sty_old", when, 0.8, ("nato",), ("nato",), "AAAA", 3, "first item of the story", "alrt_1", False), item.title, True)
    store.close()
    _sql(  # back to the shape schema version 3 had
        state_url, *(f"ALTER TABLE story_items DROP COLUMN {column}" for column in ("event_id", "marks", "why")),
        "DROP TABLE item_vectors", "UPDATE meta SET value = '3' WHERE key = 'schema_version'",
    )
    store = Store(state_url)
    try:
        [story] = store.recent_stories(when)
        assert story.id == "sty_old" and story.items[0].event_id is None and story.items[0].why == {}
        with store.feed_run() as run:
            run.save_vectors("m", {"k1": b"\x00\x3c" * 384})
            [member] = run.story_members("seed", ["k1"], "m")
            assert member.placed.marks is None and member.vector == b"\x00\x3c" * 384
    finally:
        store.close()
    assert _version(state_url) == str(LATEST)
    engine = create_engine(state_url)
    try:
        with engine.connect() as conn:
            assert {"event_id", "marks", "why"} <= {c["name"] for c in inspect(conn).get_columns("story_items")}
    finally:
        engine.dispose()
