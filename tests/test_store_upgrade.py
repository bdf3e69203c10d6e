"""A state file written by an earlier release opens and keeps its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from monitor.store import Store
from monitor.types import FeedState


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
