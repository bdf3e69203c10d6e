"""`seedwatch once` beside a daemon: a feed whose lease another instance holds is left to it
(no second GET), the others are polled, and `once` leaves no lease of its own behind."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from monitor.store import Store
from tests.conftest import seedwatch, write_config
from tests.feeds import UNRELATED, rss
from tests.servers import FeedServer

DAEMON = "other-host:4242:abcdef"  # the name a daemon on another host would lease under


def test_once_leaves_a_leased_feed_to_its_holder_and_polls_the_rest(tmp_path: Path, feed_server: FeedServer, state_url: str) -> None:
    busy, free = feed_server.set("/busy", rss(UNRELATED)), feed_server.set("/free", rss(UNRELATED))
    cfg = write_config(tmp_path, feeds=[{"url": busy, "name": "Busy"}, {"url": free, "name": "Free"}], state=state_url)
    store = Store(state_url)
    try:
        now = datetime.now(timezone.utc)
        assert store.lease_feed(busy, "Busy", DAEMON, now, now + timedelta(minutes=5), now).granted

        ran = seedwatch("once", "--json", "--config", str(cfg))
        assert ran.returncode == 0, ran.stderr
        reports = {r["feed"]: r for r in map(json.loads, ran.stdout.splitlines())}
        assert reports[busy]["status"] == "left" and DAEMON in reports[busy]["error"]
        assert reports[free]["status"] == "ok"
        assert feed_server.hits("/busy") == [] and len(feed_server.hits("/free")) == 1

        # the daemon's lease is untouched; `once` ended its own when it saved the run
        assert not store.lease_feed(busy, "Busy", "third:1:000000", now, now + timedelta(minutes=5), now).granted
        assert store.lease_feed(free, "Free", "third:1:000000", now, now + timedelta(minutes=5), now + timedelta(days=1)).granted

        plain = seedwatch("once", "--config", str(cfg))
        assert plain.returncode == 0, plain.stderr
        assert plain.stdout.startswith("0 ok, 0 not modified, 0 failed, 2 left to other instances;"), plain.stdout
        assert len(feed_server.hits("/free")) == 1
    finally:
        store.close()
