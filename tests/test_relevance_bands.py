"""The related band: a match under the alert threshold but over the related one waits for the
digests of the sinks that take related developments, and goes nowhere else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.delivery.deliver import Deliverer
from monitor.errors import ConfigError
from monitor.pipeline import run_feed
from tests.conftest import seedwatch, write_config
from tests.feeds import Entry, rss
from tests.fetchkit import T0, Kit
from tests.servers import FeedServer, WebhookReceiver

# Scores 0.878 against the bundled seed: related at threshold 0.95, related_threshold 0.3.
MIDDLING = Entry("Seoul considers NATO request", "The alliance asked South Korea to consider sending ammunition to Ukraine.", "http://news.example.org/seoul-considers")


@pytest.fixture
def kits() -> Iterator[list[Kit]]:
    made: list[Kit] = []
    yield made
    for k in made:
        k.close()


def test_a_related_development_waits_for_the_digest_of_a_sink_that_takes_them(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver, kits: list[Kit]) -> None:
    url = feed_server.set("/feed", rss([MIDDLING]))
    hooks = [
        {"name": "digest", "url": receiver.url("/digest"), "related": True, "digest": "0 8 * * *"},
        {"name": "plain", "url": receiver.url("/plain")},
    ]
    k = Kit(tmp_path, [{"url": url}], hooks, monitor={"threshold": 0.95})
    kits.append(k)
    [report] = [run_feed(feed, k.deps, T0) for feed in k.feeds]
    assert report.alerts == 1  # queued: held for the digest sink only
    deliverer = Deliverer(k.store, k.settings.webhooks)
    try:
        deliverer.run_once(T0)  # before the digest hour: nothing goes out
        assert receiver.posts("/digest") == [] and receiver.posts("/plain") == []
        deliverer.run_once(T0.replace(hour=8, minute=1) + timedelta(days=1))
    finally:
        deliverer.close()
    [digest] = [json.loads(p.body) for p in receiver.posts("/digest")]
    assert digest["type"] == "seedwatch.digest" and digest["reasons"] == ["related development"]
    [member] = digest["alerts"]
    assert member["band"] == "related" and member["item"]["title"] == MIDDLING.title and member["score"] < 0.95
    assert receiver.posts("/plain") == []  # a sink that does not take related developments never sees it


def test_related_threshold_decides_the_band(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.set("/feed", rss([MIDDLING]))
    hooks = [{"name": "digest", "url": "http://127.0.0.1:9/h", "related": True, "digest": "0 8 * * *"}]
    counts = []
    for name, related in (("low", 0.3), ("high", 0.9)):
        folder = tmp_path / name
        folder.mkdir()
        k = Kit(folder, [{"url": url}], hooks, monitor={"threshold": 0.95, "related_threshold": related})
        kits.append(k)
        counts.append(sum(run_feed(feed, k.deps, T0).alerts for feed in k.feeds))
    assert counts == [1, 0]


def test_related_without_a_digest_schedule_is_refused(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, feeds=[], webhooks=[{"name": "h", "url": "https://hooks.example.org/h", "related": True}])
    out = seedwatch("check", "--config", str(cfg))
    assert out.returncode == ConfigError.exit_code
    assert "webhooks[0].related: related developments are sent in digests" in out.stderr
