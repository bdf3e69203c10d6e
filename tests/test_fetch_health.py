"""Feed health end to end: state in the store (SQLite and PostgreSQL), one notice when failing, one on recovery, via the outbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from monitor.delivery.deliver import Deliverer
from monitor.pipeline import run_feed
from tests.feeds import UNRELATED, Entry, rss
from tests.fetchkit import T0, Kit
from tests.servers import FeedServer, WebhookReceiver


def test_failing_feed_raises_one_notice_and_one_on_recovery(tmp_path: Path, state_url: str, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    url = feed_server.set("/flaky", "down", status=500)
    kit = Kit(tmp_path, [{"url": url, "name": "Flaky"}], [{"name": "ops", "url": receiver.url("/ops")}], monitor={"state": state_url, "poll_interval": "10m"}, fetch={"failing_after": "1h"})
    deliverer = Deliverer(kit.store, kit.settings.webhooks)
    try:
        feed = kit.feeds[0]
        times = [T0 + timedelta(minutes=20 * i) for i in range(8)]  # 2 h 20 min of failures
        for now in times:
            run_feed(feed, kit.deps, now)
            deliverer.run_once(now)
        state = kit.store.feed_state(url)
        assert state.consecutive_failures == 8 and state.failing_since == T0 and state.health == "failing"
        bodies = receiver.json_bodies("/ops")
        assert len(bodies) == 1
        notice = bodies[0]
        assert notice["type"] == "seedwatch.feed_health" and notice["status"] == "failing"
        assert notice["feed"]["url"] == url and notice["feed"]["name"] == "Flaky"
        assert notice["consecutive_failures"] == 4  # raised on the first poll past the 1 h window
        assert "HTTP 500" in notice["last_error"]
        assert [(r.seed_id, r.sink) for r in kit.store.recent_alerts()] == [("", "ops")]  # a notice about no item

        feed_server.set("/flaky", rss(UNRELATED))
        later = times[-1] + timedelta(minutes=20)
        assert run_feed(feed, kit.deps, later).status == "ok"
        deliverer.run_once(later)
        run_feed(feed, kit.deps, later + timedelta(hours=1))
        deliverer.run_once(later + timedelta(hours=1))
        bodies = receiver.json_bodies("/ops")
        assert [b["status"] for b in bodies] == ["failing", "recovered"]
        assert bodies[1]["id"] != bodies[0]["id"]
        healed = kit.store.feed_state(url)
        assert (healed.health, healed.consecutive_failures, healed.last_success) == ("ok", 0, later + timedelta(hours=1))
    finally:
        deliverer.close()
        kit.close()


def test_gone_feed_notifies_at_once(tmp_path: Path, state_url: str, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    url = feed_server.set("/gone", "bye", status=410)
    kit = Kit(tmp_path, [{"url": url}], [{"name": "ops", "url": receiver.url("/ops")}], monitor={"state": state_url})
    deliverer = Deliverer(kit.store, kit.settings.webhooks)
    try:
        run_feed(kit.feeds[0], kit.deps, T0)
        deliverer.run_once(T0)
        [notice] = receiver.json_bodies("/ops")
        assert (notice["status"], notice["reason"], notice["last_error_kind"]) == ("failing", "gone", "gone")
    finally:
        deliverer.close()
        kit.close()


def test_silent_feed_notifies_once(tmp_path: Path, state_url: str, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    url = feed_server.url("/quiet")
    kit = Kit(tmp_path, [{"url": url}], [{"name": "ops", "url": receiver.url("/ops")}], monitor={"state": state_url}, fetch={"silent_factor": 3, "failing_after": "2h"})
    deliverer = Deliverer(kit.store, kit.settings.webhooks)
    try:
        for hour in range(3):  # a new item every hour: cadence 1 h
            feed_server.set("/quiet", rss([Entry(f"Item {hour}", "x", f"http://news.example.org/q{hour}")]))
            assert run_feed(kit.feeds[0], kit.deps, T0 + timedelta(hours=hour)).new == 1
        for hour in range(3, 9):  # then nothing new, though the feed answers fine
            run_feed(kit.feeds[0], kit.deps, T0 + timedelta(hours=hour))
            deliverer.run_once(T0 + timedelta(hours=hour))
        [notice] = receiver.json_bodies("/ops")
        assert (notice["status"], notice["reason"]) == ("failing", "silent")
        assert kit.store.feed_state(url).cadence == 3600
    finally:
        deliverer.close()
        kit.close()


def test_feed_states_carry_every_health_field(tmp_path: Path, state_url: str, feed_server: FeedServer) -> None:
    ok = feed_server.set("/ok", rss(UNRELATED), etag='"e"')
    bad = feed_server.url("/missing")
    kit = Kit(tmp_path, [{"url": ok, "name": "OK"}, {"url": bad, "name": "Bad"}], monitor={"state": state_url})
    try:
        for feed in kit.feeds:
            run_feed(feed, kit.deps, T0)
        states = dict((s.url, (name, s)) for name, s in kit.store.feed_states())
        name, good = states[ok]
        assert name == "OK" and good.last_success == T0 and good.etag == '"e"' and good.next_poll > T0 and good.last_new == T0
        name, failing = states[bad]
        assert name == "Bad" and failing.last_success is None and failing.consecutive_failures == 1
        assert failing.last_error_kind == "http" and "HTTP 404" in failing.last_error and failing.failing_since == T0
        assert failing.health == "ok" and failing.next_poll > T0
    finally:
        kit.close()
