"""Several daemons on one database: feed leases, live instances, sink turns, and three real daemons on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from monitor.config import FetchSection
from monitor.errors import LeaseLost
from monitor.ingest.fetch import Fetcher
from monitor.ingest.netguard import Guard
from monitor.service.sharing import alive, dead_here
from monitor.store import InstanceRow, Store
from monitor.types import FeedState
from tests.conftest import seedwatch, wait_until, write_config
from tests.feeds import KORUT, RELATED_ID, UNRELATED, Entry, rss
from tests.outbox import alert, queue
from tests.servers import FeedServer, WebhookReceiver
from tests.test_service import Daemon

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
FEED = "http://feeds.example.org/a"


def test_a_lease_goes_to_one_instance_and_only_its_holder_saves(state_url: str) -> None:
    st = Store(state_url)
    try:
        until = NOW + timedelta(seconds=60)
        assert st.lease_feed(FEED, "a", "one", NOW, until, NOW).granted
        other = st.lease_feed(FEED, "a", "two", NOW, until, NOW)
        assert not other.granted and other.holder == "one" and other.retry_at == until
        with pytest.raises(LeaseLost, match="feeds.example.org/a"):
            st.save_feed_state(FeedState(FEED, etag='"x"', next_poll=NOW + timedelta(hours=1)), "a", NOW, holder="two")
        assert st.feed_state(FEED).etag is None  # the non-holder wrote nothing
        st.save_feed_state(FeedState(FEED, etag='"x"', next_poll=NOW + timedelta(hours=1)), "a", NOW, holder="one")
        later = NOW + timedelta(seconds=5)
        not_due = st.lease_feed(FEED, "a", "two", later, later + timedelta(seconds=60), later)
        assert not not_due.granted and not_due.holder is None and not_due.retry_at == NOW + timedelta(hours=1)
        due = NOW + timedelta(hours=1)
        assert st.lease_feed(FEED, "a", "two", due, due + timedelta(seconds=60), due).granted  # saving ended one's lease
    finally:
        st.close()


def test_a_lapsed_lease_is_taken_over_and_the_late_run_is_dropped(state_url: str) -> None:
    st = Store(state_url)
    try:
        assert st.lease_feed(FEED, "a", "dead", NOW, NOW + timedelta(seconds=30), NOW).granted
        soon = NOW + timedelta(seconds=10)
        assert not st.lease_feed(FEED, "a", "live", soon, soon + timedelta(seconds=30), soon).granted
        lapsed = NOW + timedelta(seconds=31)
        assert st.lease_feed(FEED, "a", "live", lapsed, lapsed + timedelta(seconds=30), lapsed).granted
        with pytest.raises(LeaseLost):
            st.save_feed_state(FeedState(FEED, etag='"late"'), "a", NOW, holder="dead")
        assert st.release_leases("live") == 1 and st.release_leases("live") == 0
        assert st.lease_feed(FEED, "a", "dead", lapsed, lapsed + timedelta(seconds=30), lapsed).granted
        assert st.release_leases(None) == 1  # every lease (a sole daemon's start on its SQLite file)
        assert st.lease_feed(FEED, "a", "next", lapsed, lapsed + timedelta(seconds=30), lapsed).granted
    finally:
        st.close()


def test_instances_beat_leave_and_are_swept(state_url: str) -> None:
    st = Store(state_url)
    try:
        old = InstanceRow("h:1:aa", "h", 1, NOW, NOW, "c1", "0.1.0", 3)
        st.beat(old)
        st.beat(InstanceRow("h:2:bb", "h", 2, NOW, NOW + timedelta(seconds=20), "c2", "0.1.0", 4))
        st.beat(InstanceRow("h:1:aa", "h", 1, NOW, NOW + timedelta(seconds=30), "c1", "0.1.0", 5))  # a beat refreshes the row
        rows = st.instances()
        assert [(r.id, r.feeds, r.heartbeat) for r in rows] == [("h:1:aa", 5, NOW + timedelta(seconds=30)), ("h:2:bb", 4, NOW + timedelta(seconds=20))]
        assert st.sweep_instances(NOW + timedelta(seconds=25)) == 1 and [r.id for r in st.instances()] == ["h:1:aa"]
        st.leave("h:1:aa")
        assert st.instances() == []
    finally:
        st.close()


def test_a_sinks_turn_is_one_daemons_at_a_time_on_postgres(pg_url: str) -> None:
    first, second = Store(pg_url), Store(pg_url)
    try:
        with first.sink_turn("hook") as mine:
            assert mine
            with second.sink_turn("hook") as theirs, second.sink_turn("other") as elsewhere:
                assert not theirs and elsewhere  # per sink: another sink's turn is free
        with second.sink_turn("hook") as theirs:
            assert theirs  # released when the first block ended
    finally:
        first.close()
        second.close()


def test_story_decisions_wait_for_the_seeds_lock_on_postgres(pg_url: str) -> None:
    first, second = Store(pg_url), Store(pg_url)
    order: list[str] = []
    try:
        with first.feed_run() as run:
            run.lock_stories(["000_nato"])

            def other() -> None:
                with second.feed_run() as theirs:
                    theirs.lock_stories(["000_nato"])
                    order.append("second")

            thread = threading.Thread(target=other)
            thread.start()
            time.sleep(0.5)
            order.append("first")
        thread.join(timeout=30)
        assert order == ["first", "second"]
    finally:
        first.close()
        second.close()


# ---- three real daemons on one PostgreSQL database -----------------------------------------

INTERVAL = 3.0  # seconds between polls of a feed
FEEDS = 12


def _daemons(tmp_path: Path, cfg: Path, n: int) -> list[Daemon]:
    out = []
    for i in range(n):
        home = tmp_path / f"d{i}"
        home.mkdir()
        out.append(Daemon(cfg, home, {}))
    return out


def _too_close(server: FeedServer, paths: list[str], after: float) -> list[tuple[str, float]]:
    """GETs of one feed less than half an interval after the previous GET of it (a second instance polling it)."""
    out = []
    for path in paths:
        times = sorted(r.at for r in server.hits(path) if r.at >= after)
        out += [(path, round(b - a, 3)) for a, b in zip(times, times[1:]) if b - a < INTERVAL / 2]
    return out


def _setup(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver, pg_url: str) -> tuple[Path, list[str]]:
    paths = [f"/f{n}" for n in range(FEEDS)]
    for n, path in enumerate(paths):
        entries = [Entry(f"{e.title} ({n})", e.summary, f"{e.link}-{n}") for e in UNRELATED]
        if n % 4 == 0:
            entries.append(RELATED_ID)  # the same article in three feeds: one alert
        feed_server.set(path, rss(entries), etag=f'"{n}-1"')
    feeds = [{"url": feed_server.url(p), "name": f"feed {n}", "interval": f"{INTERVAL:g}s"} for n, p in enumerate(paths)]
    cfg = write_config(tmp_path, feeds, webhooks=[{"name": "hook", "url": receiver.url("/hook")}], state=pg_url)
    # write_config sets a 10 s deadline; a 2 s one keeps the lease (and the kill test) short
    cfg.write_text(cfg.read_text().replace('timeout = "10s"', 'timeout = "2s"', 1))
    return cfg, paths


def _alert_ids(pg_url: str) -> set[str]:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT id FROM alerts WHERE seed_id <> ''"))}
    finally:
        engine.dispose()


def test_three_daemons_share_the_feeds_and_send_each_alert_once(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver, pg_url: str) -> None:
    cfg, paths = _setup(tmp_path, feed_server, receiver, pg_url)
    daemons = _daemons(tmp_path, cfg, 3)
    try:
        for d in daemons:
            assert d.wait_log(r"INFO started", timeout=60), d.log
        started = time.time()
        assert wait_until(lambda: all(len(feed_server.hits(p)) >= 4 for p in paths), timeout=60), [len(feed_server.hits(p)) for p in paths]
        feed_server.set(paths[1], rss([KORUT, *UNRELATED]), etag='"1-2"')  # a development arrives mid-run
        assert wait_until(lambda: len({p.headers["webhook-id"] for p in receiver.posts("/hook")}) >= 2, timeout=30), receiver.posts("/hook")
        status = json.loads(seedwatch("status", "--json", "--config", str(cfg)).stdout)
        assert status["daemon"]["running"] and not status["config_mismatch"]
        assert sorted(i["pid"] for i in status["instances"] if i["alive"]) == sorted(d.proc.pid for d in daemons)
        time.sleep(2 * INTERVAL)
        window = time.time() - started
    finally:
        codes = [d.stop() for d in daemons]
    assert codes == [0, 0, 0], [d.log[-2000:] for d in daemons]
    gets = [len([r for r in feed_server.hits(p) if r.at >= started]) for p in paths]
    cycles = window / INTERVAL
    assert _too_close(feed_server, paths, started) == [], "a feed polled by two instances at once"
    assert sum(gets) / len(paths) / cycles <= 1.2, (gets, cycles)  # about one GET per feed per cycle, not three
    sent = Counter(p.headers["webhook-id"] for p in receiver.posts("/hook"))
    assert set(sent) == _alert_ids(pg_url) and len(sent) == 2, sent  # RELATED_ID once (three feeds carry it), KORUT once
    assert max(sent.values()) == 1, sent
    logs = "".join(d.log for d in daemons)
    assert "Traceback" not in logs and "different config" not in logs


@pytest.mark.slow
def test_a_killed_daemons_feeds_are_polled_again_within_two_leases(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver, pg_url: str) -> None:
    cfg, paths = _setup(tmp_path, feed_server, receiver, pg_url)
    slow_started = threading.Event()

    def slow(handler) -> None:  # noqa: ANN001 - the request handler
        slow_started.set()
        _answer_late(handler, 1.5)  # under the 2 s fetch deadline: the holder is mid-run when it is killed

    feed_server.set(paths[5], handler=slow)
    daemons = _daemons(tmp_path, cfg, 3)
    lease = 2 * 2.0 + 30.0  # monitor.service.sharing.lease_time for fetch.timeout = 2s
    try:
        for d in daemons:
            assert d.wait_log(r"INFO started", timeout=60), d.log
        assert slow_started.wait(30)
        holder = _lease_holder(pg_url, feed_server.url(paths[5]))
        victim = next(d for d in daemons if holder and holder.split(":")[1] == str(d.proc.pid))
        os.kill(victim.proc.pid, signal.SIGKILL)
        killed = time.time()
        feed_server.set(paths[2], rss([KORUT, *UNRELATED]), etag='"2-2"')
        assert wait_until(lambda: any(r.at > killed + 1 for r in feed_server.hits(paths[5])), timeout=2 * lease + 10), "the killed daemon's feed was not taken over"
        taken_over = min(r.at for r in feed_server.hits(paths[5]) if r.at > killed + 1) - killed
        assert taken_over <= 2 * lease
        assert all(wait_until(lambda p=p: any(r.at > killed + 1 for r in feed_server.hits(p)), timeout=30) for p in paths)
        assert wait_until(lambda: {p.headers["webhook-id"] for p in receiver.posts("/hook")} >= _alert_ids(pg_url) and len(_alert_ids(pg_url)) >= 2, timeout=60)
    finally:
        codes = [d.stop() for d in daemons]
    assert sorted(codes) == [-9, 0, 0], codes
    print(f"taken over after {taken_over:.1f} s (lease {lease:.0f} s)")


def _answer_late(handler, seconds: float) -> None:  # noqa: ANN001 - the request handler
    """A feed answer (200, an RSS document) after `seconds`."""
    time.sleep(seconds)
    body = rss(UNRELATED).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _lease_holder(pg_url: str, feed_url: str) -> str | None:
    engine = create_engine(pg_url)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                holder = conn.execute(text("SELECT leased_by FROM feeds WHERE url = :u"), {"u": feed_url}).scalar()
            if holder:
                return holder
            time.sleep(0.05)
        return None
    finally:
        engine.dispose()


def test_status_lists_the_daemon_on_sqlite(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/news", rss(UNRELATED))
    cfg = write_config(tmp_path, feeds=[{"url": url, "interval": "1h"}])
    daemon = Daemon(cfg, tmp_path, {})
    try:
        assert daemon.wait_log(r"INFO started", timeout=60), daemon.log
        db = tmp_path / "state" / "seedwatch.db"
        assert wait_until(lambda: _sqlite_instances(db) == [daemon.proc.pid], timeout=20)
    finally:
        assert daemon.stop() == 0
    assert _sqlite_instances(db) == []  # a clean stop signs off


def _sqlite_instances(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT pid FROM instances")]


def test_claims_of_senders_dead_on_this_host_are_given_back(state_url: str) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    dead, live, elsewhere = f"{host}:{gone.pid}:ab", f"{host}:{os.getpid()}:cd", f"other-host:{gone.pid}:ef"
    assert dead_here([dead, live, elsewhere]) == [dead]  # a live process, or one on another host, keeps its claims
    st = Store(state_url)
    try:
        now = datetime.now(timezone.utc)
        for n in range(3):
            queue(st, alert(n, now), ["h"])
        assert len(st.claim_due(now, "h", dead, now + timedelta(minutes=5), 2)) == 2
        assert st.claimers() == [dead]
        assert st.claim_due(now, "h", live, now + timedelta(minutes=5), 10)[0].alert_id  # the one left
        assert st.release_claims(dead_here(st.claimers())) == 2
        assert len(st.claim_due(now, "h", live, now + timedelta(minutes=5), 10)) == 2  # claimable again at once
    finally:
        st.close()


def test_per_host_slots_hold_across_instances_on_postgres(pg_url: str, feed_server: FeedServer) -> None:
    urls = [feed_server.set(f"/slow{i}", handler=lambda h: _answer_late(h, 1.0)) for i in range(2)]
    stores = [Store(pg_url), Store(pg_url)]
    # two instances (own fetchers, own stores) on one host with fetch.per_host = 1
    fetchers = [Fetcher(FetchSection(timeout=5.0, per_host=1), Guard(allow_private=True), shared_slot=st.host_slot) for st in stores]
    results: list[object] = [None, None]

    def get(i: int) -> None:
        results[i] = fetchers[i].fetch(urls[i], FeedState(urls[i]))

    threads = [threading.Thread(target=get, args=(i,)) for i in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        for f, st in zip(fetchers, stores):
            f.close()
            st.close()
    assert all(getattr(r, "status", None) == 200 for r in results), results
    first, second = sorted(r.at for p in ("/slow0", "/slow1") for r in feed_server.hits(p))
    assert second - first >= 0.9, "the second instance did not wait for the host's one slot"


def test_a_killed_daemon_of_this_host_is_not_counted_alive_while_its_heartbeat_is_fresh() -> None:
    """`status` on the killed daemon's host knows at once; another host's row waits for its heartbeat to age."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    now = datetime.now(timezone.utc)
    here, elsewhere = socket.gethostname(), "another-host.example"

    def row(host: str, pid: int) -> InstanceRow:
        return InstanceRow(f"{host}:{pid}:abcdef", host, pid, now, now, "h", "v", 1)

    rows = [row(here, gone.pid), row(here, os.getpid()), row(elsewhere, gone.pid)]
    assert [r.id for r in alive(rows, now)] == [rows[1].id, rows[2].id]
