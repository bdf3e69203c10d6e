"""`seedwatch run` as a real subprocess: poll, alert once, stop on SIGTERM, restart without duplicates."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.conftest import start_seedwatch, stop_seedwatch, wait_until, write_config
from tests.feeds import RELATED_ID, UNRELATED, rss
from tests.servers import FeedServer, WebhookReceiver


def test_daemon_alerts_once_across_restart(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    url = feed_server.set("/news", rss(UNRELATED), etag='"a"')
    cfg = write_config(tmp_path, feeds=[{"url": url, "name": "news", "interval": "1s"}], webhooks=[{"name": "hook", "url": receiver.url("/hook")}])

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
        assert len(receiver.posts("/hook")) == 1
    finally:
        code, took, err = stop_seedwatch(proc)
    assert code == 0, err
    assert took < 10
    assert "feed run" in err and "status=" in err

    proc = start_seedwatch("run", "--config", str(cfg))
    try:
        polled = len(feed_server.hits("/news"))
        assert wait_until(lambda: len(feed_server.hits("/news")) >= polled + 3)
        time.sleep(1.5)  # a delivery tick after the polls
        assert len(receiver.posts("/hook")) == 1
    finally:
        code, _took, err = stop_seedwatch(proc)
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
