"""Every config key changes behaviour, continued: `[fetch]`, `[stories]`, `monitor.delivery_interval`
and the reload check, each with two values that must behave differently (see test_config_keys.py).

Covered elsewhere: fetch.timeout, max_body (test_fetch_limits.py through the command), per_host,
max_interval, backoff_cap, jitter, adaptive (test_fetch.py), failing_after, silent_factor
(test_fetch_health.py), stories.enabled (test_stories_once.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.pipeline import run_feed
from monitor.service.app import App, read
from monitor.service.daemon import Daemon
from tests.feeds import UNRELATED, Entry, rss
from tests.fetchkit import T0, Kit, config_file
from tests.servers import FeedServer, InFlight, Route
from tests.test_stories_once import LEAD

# One story told twice in Indonesian: a near-copy at the default similarity, not at 0.95.
WIRE = Entry("NATO desak Korsel kirim senjata ke Ukraina", LEAD, "http://a.example/berita/1")
# (Jaccard about 0.63, too few shared words for containment)
COPY = Entry(
    "Korsel didesak NATO kirim senjata ke Ukraina",
    LEAD.split(". ")[0] + ". Seoul belum memberi jawaban atas permintaan tersebut, kata juru bicara.",
    "http://b.example/read/2",
)
# One story in English and Indonesian.
ENGLISH = Entry("Seoul considers NATO request", "The alliance asked South Korea to consider sending ammunition to Ukraine.", "http://en.example/seoul")
INDONESIAN = Entry("Seoul pertimbangkan permintaan NATO soal amunisi", "Aliansi itu meminta Korea Selatan mempertimbangkan pengiriman amunisi ke Ukraina.", "http://id.example/seoul")


@pytest.fixture
def kits() -> Iterator[list[Kit]]:
    made: list[Kit] = []
    yield made
    for kit in made:
        kit.close()


def kit(kits: list[Kit], tmp: Path, name: str, feeds: list[dict], **kw: object) -> Kit:
    folder = tmp / name
    folder.mkdir()
    made = Kit(folder, feeds, **kw)  # type: ignore[arg-type]
    kits.append(made)
    return made


def story_alerts(kits: list[Kit], tmp: Path, feed_server: FeedServer, name: str, stories: str, copies: list[tuple[str, Entry]], hours: float = 1) -> list[int]:
    """Alerts of each copy, each in its own feed and outlet (lang given), polled `hours` apart, under `[stories]` `stories`."""
    feeds = [{"url": feed_server.set(f"/{name}/{i}", rss([entry], title=f"Outlet {i}")), "lang": lang} for i, (lang, entry) in enumerate(copies)]
    k = kit(kits, tmp, name, feeds, extra=f"[stories]\n{stories}\n")
    return [run_feed(feed, k.deps, T0 + timedelta(hours=hours * i)).alerts for i, feed in enumerate(k.feeds)]


def story_reasons(kit: Kit) -> list[str]:
    [story] = kit.store.recent_stories(T0 - timedelta(days=1))
    return [i.reason for i in story.items]


def test_stories_similarity(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    copies = [("id", WIRE), ("id", COPY)]
    assert story_alerts(kits, tmp_path, feed_server, "default", "", copies) == [1, 0]
    assert story_reasons(kits[-1])[1].startswith("near-duplicate")  # the cheap path, at the default 0.5
    assert story_alerts(kits, tmp_path, feed_server, "strict", "similarity = 0.95", copies) == [1, 0]
    assert not story_reasons(kits[-1])[1].startswith("near-duplicate")  # no copy at 0.95: the decision model joins it


def test_stories_score_tolerance_and_update_delta_are_read_and_decide_nothing(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    # kept so configs written for the concept-signature and score-jump rules still load; events replaced both
    copies = [("en", ENGLISH), ("id", INDONESIAN)]
    assert story_alerts(kits, tmp_path, feed_server, "default", "", copies) == story_alerts(kits, tmp_path, feed_server, "set", "score_tolerance = 0.01\nupdate_delta = 0.0", copies)


def test_stories_window(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    copies = [("id", WIRE), ("id", Entry(WIRE.title, WIRE.summary, "http://c.example/berita/3"))]  # polled 100 h apart
    assert story_alerts(kits, tmp_path, feed_server, "default", "", copies, hours=100) == [1, 1]  # 72 h: a new story
    assert story_alerts(kits, tmp_path, feed_server, "wide", 'window = "5d"', copies, hours=100) == [1, 0]


def test_fetch_max_redirects(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    feed_server.set("/feed", rss(UNRELATED))
    one = feed_server.set("/one", status=302, headers={"Location": "/feed"})
    two = feed_server.set("/two", status=302, headers={"Location": "/one"})
    k = kit(kits, tmp_path, "k", [{"url": one}, {"url": two}], fetch={"max_redirects": 1})
    reports = [run_feed(feed, k.deps, T0) for feed in k.feeds]
    assert reports[0].status == "ok"
    assert reports[1].status == "error" and "more than 1 redirects" in (reports[1].error or "")


def test_fetch_min_interval(tmp_path: Path, feed_server: FeedServer, kits: list[Kit]) -> None:
    url = feed_server.url("/busy")
    k = kit(kits, tmp_path, "k", [{"url": url}], monitor={"poll_interval": "1h"}, fetch={"adaptive": True, "min_interval": "30m", "jitter": 0.0})
    now = T0
    for i in range(4):  # something new every 40 minutes: half the cadence is 20 minutes
        feed_server.set("/busy", rss([Entry(f"Busy {i}", "b", f"http://news.example.org/busy-{i}")]))
        run_feed(k.feeds[0], k.deps, now)
        last, now = now, now + timedelta(minutes=40)
    state = k.store.feed_state(url)
    assert state.cadence == 2400 and state.next_poll - last == timedelta(minutes=30)


def test_fetch_concurrency(tmp_path: Path, feed_server: FeedServer) -> None:
    held = InFlight(rss(UNRELATED).encode(), target=2)
    for i in range(6):
        feed_server.routes[f"/c{i}"] = Route(handler=held)
    cfg = config_file(tmp_path, [{"url": feed_server.url(f"/c{i}")} for i in range(6)], fetch={"concurrency": 2, "per_host": 8})
    app = App.open(*read(str(cfg)), polls=False)
    try:
        assert [r.status for r in app.poll_all()] == ["ok"] * 6
    finally:
        app.close()
    assert held.peak == 2


def test_monitor_delivery_interval_at_start_and_on_reload(tmp_path: Path) -> None:
    cfg = config_file(tmp_path, [], monitor={"delivery_interval": "3s"})
    app = App.open(*read(str(cfg)), polls=False)
    try:
        daemon = Daemon(app)
        daemon._schedule_all()
        assert daemon.scheduler.get_job("deliver").trigger.interval == timedelta(seconds=3)
        config_file(tmp_path, [], monitor={"delivery_interval": "7s"})
        assert daemon.reload() is True
        assert daemon.scheduler.get_job("deliver").trigger.interval == timedelta(seconds=7)
    finally:
        app.close()


def test_reload_refuses_a_new_state_and_keeps_running_the_old_config(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = config_file(tmp_path, [{"url": "http://127.0.0.1:9/a.xml"}])
    app = App.open(*read(str(cfg)), polls=False)
    try:
        daemon = Daemon(app)
        before = app.settings
        config_file(tmp_path, [{"url": "http://127.0.0.1:9/a.xml"}, {"url": "http://127.0.0.1:9/b.xml"}], monitor={"state": str(tmp_path / "other.db")})
        with caplog.at_level(logging.ERROR, logger="seedwatch.daemon"):
            assert daemon.reload() is False
        assert daemon.app.settings is before and daemon.app.store is app.store
        [error] = [r.kv["error"] for r in caplog.records if r.getMessage().startswith("reload rejected")]  # type: ignore[attr-defined]
        assert "monitor.state: cannot change while running" in error and "other.db" in error
        config_file(tmp_path, [{"url": "http://127.0.0.1:9/a.xml"}, {"url": "http://127.0.0.1:9/b.xml"}])  # the same state: accepted
        assert daemon.reload() is True and len(daemon.app.settings.feeds) == 2
    finally:
        app.close()
