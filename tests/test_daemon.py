"""`seedwatch run` as a real subprocess: poll, alert once, stop on SIGTERM, restart without duplicates."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.store import Store
from tests.conftest import STOP_PROMISE, start_seedwatch, stop_seedwatch, wait_until, write_config
from tests.feeds import KORUT, RELATED_ID, UNRELATED, rss
from tests.servers import FeedServer, WebhookReceiver


def test_daemon_alerts_once_across_restart(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    url = feed_server.set("/news", rss(UNRELATED), etag='"a"')
    cfg = write_config(tmp_path, feeds=[{"url": url, "name": "news", "interval": "1s"}], webhooks=[{"name": "hook", "url": receiver.url("/hook")}])
    store = Store(f"sqlite:///{tmp_path / 'state' / 'seedwatch.db'}")  # what the daemon recorded, read as it runs

    def alerted() -> list[str]:
        return [a.title for a in store.recent_alerts()]

    proc = start_seedwatch("run", "--config", str(cfg))
    try:
        assert wait_until(lambda: len(feed_server.hits("/news")) >= 1), "daemon never polled"
        feed_server.set("/news", rss([RELATED_ID, *UNRELATED]), etag='"b"')
        posts = receiver.wait_for(1, timeout=30, path="/hook")
        assert len(posts) == 1
        body = json.loads(posts[0].body)
        assert body["item"]["title"] == RELATED_ID.title
        polled = len(feed_server.hits("/news"))
        assert wait_until(lambda: len(feed_server.hits("/news")) >= polled + 3), "daemon stopped polling"
        assert alerted() == [RELATED_ID.title] and len(receiver.posts("/hook")) == 1  # three polls later, still one
    finally:
        code, _took, err = stop_seedwatch(proc, timeout=STOP_PROMISE)
    assert code == 0, err  # within STOP_PROMISE, else it was killed
    assert "feed run" in err and "status=" in err

    proc = start_seedwatch("run", "--config", str(cfg))
    try:
        polled = len(feed_server.hits("/news"))
        assert wait_until(lambda: len(feed_server.hits("/news")) >= polled + 3)
        assert alerted() == [RELATED_ID.title]  # the restarted daemon knows the item: no second alert queued
        # a new story after those polls: once its alert arrives, anything queued before it was sent too
        feed_server.set("/news", rss([KORUT, RELATED_ID, *UNRELATED]), etag='"c"')
        posts = receiver.wait_for(2, timeout=30, path="/hook")
        assert [json.loads(p.body)["item"]["title"] for p in posts] == [RELATED_ID.title, KORUT.title]
        assert wait_until(lambda: store.counts()["outbox"] == 0)
        assert sorted(alerted()) == sorted([RELATED_ID.title, KORUT.title]) and len(receiver.posts("/hook")) == 2
    finally:
        code, _took, err = stop_seedwatch(proc, timeout=STOP_PROMISE)
        store.close()
    assert code == 0, err


def test_second_instance_on_same_state_is_refused(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/news", rss(UNRELATED))
    cfg = write_config(tmp_path, feeds=[{"url": url, "interval": "1s"}])
    first = start_seedwatch("run", "--config", str(cfg))
    try:
        assert wait_until(lambda: len(feed_server.hits("/news")) >= 1)
        second = start_seedwatch("run", "--config", str(cfg))
        _out, err = second.communicate(timeout=30)
        assert second.returncode == 3
        assert "already in use by seedwatch" in err and "one instance per state file" in err
    finally:
        stop_seedwatch(first)
