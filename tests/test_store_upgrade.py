"""A state file written by an earlier release opens and keeps its data."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from monitor.errors import StoreError
from monitor.store import Store, StoryItem
from monitor.store.migrations import LATEST
from monitor.types import FeedItem, FeedState


def test_a_store_from_the_first_release_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the feeds table as the first release wrote it
        db.execute(
            "CREATE TABLE feeds (url VARCHAR(2048) PRIMARY KEY, name VARCHAR(512) NOT NULL, etag VARCHAR(1024), last_modified VARCHAR(128),"
            " body_hash VARCHAR(64), next_poll FLOAT, last_polled FLOAT, last_success FLOAT, last_error TEXT, last_error_kind VARCHAR(64),"
            " consecutive_failures INTEGER NOT NULL, disabled BOOLEAN NOT NULL)"
        )
        db.execute("INSERT INTO feeds VALUES ('http://old.example/rss', 'Old', '\"e1\"', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0)")
    store = Store(f"sqlite:///{path}")
    try:
        state = store.feed_state("http://old.example/rss")
        assert state.etag == '"e1"' and state.health == "ok" and state.cadence is None
        store.save_feed_state(FeedState("http://old.example/rss", etag='"e2"', cadence=60.0), "Old")
        assert store.feed_state("http://old.example/rss").cadence == 60.0
    finally:
        store.close()


def test_a_new_store_records_the_latest_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(LATEST),)


def test_an_older_version_is_migrated_step_by_step(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as db:  # a 0.1 store: version 1 recorded, no sinks or story tables yet
        db.execute("CREATE TABLE meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        db.execute("CREATE TABLE feeds (url VARCHAR(2048) PRIMARY KEY, name VARCHAR(512) NOT NULL, etag VARCHAR(1024), last_modified VARCHAR(128),"
                   " body_hash VARCHAR(64), next_poll FLOAT, last_polled FLOAT, last_success FLOAT, last_error TEXT, last_error_kind VARCHAR(64),"
                   " consecutive_failures INTEGER NOT NULL, disabled BOOLEAN NOT NULL)")
    store = Store(f"sqlite:///{path}")
    try:
        assert store.recent_stories(datetime(2020, 1, 1, tzinfo=timezone.utc)) == []  # the story tables exist now
        assert store.sink_rows(["x"]) == {}
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(LATEST),)


def test_a_store_newer_than_the_code_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(LATEST + 1),))
    with pytest.raises(StoreError, match=rf"{path}: the state store has schema version {LATEST + 1}, newer than this seedwatch knows \({LATEST}\)"):
        Store(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(LATEST + 1),)


def test_a_store_from_before_story_events_keeps_its_stories_and_gains_events_and_vectors(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    when = datetime(2023, 1, 30, tzinfo=timezone.utc)
    item = FeedItem("k1", "http://f.example/rss", "NATO chief in Seoul", "http://n.example/1", "Stoltenberg urged Seoul.", when, "Reuters", "en")
    store = Store(f"sqlite:///{path}")
    with store.feed_run() as run:
        run.insert_item(item, when)
        run.place_story_item(StoryItem("seed", "k1", "sty_old", when, 0.8, ("nato",), ("nato",), "AAAA", 3, "first item of the story", "alrt_1", False), item.title, True)
    store.close()
    with sqlite3.connect(path) as db:  # back to the shape schema version 3 had
        for column in ("event_id", "marks", "why"):
            db.execute(f"ALTER TABLE story_items DROP COLUMN {column}")
        db.execute("DROP TABLE item_vectors")
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    store = Store(f"sqlite:///{path}")
    try:
        [story] = store.recent_stories(when)
        assert story.id == "sty_old" and story.items[0].event_id is None and story.items[0].why == {}
        with store.feed_run() as run:
            run.save_vectors("m", {"k1": b"\x00\x3c" * 384})
            [member] = run.story_members("seed", ["k1"], "m")
            assert member.placed.marks is None and member.vector == b"\x00\x3c" * 384
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(LATEST),)
        assert {"event_id", "marks", "why"} <= {r[1] for r in db.execute("PRAGMA table_info(story_items)")}
