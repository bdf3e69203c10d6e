"""`seedwatch run` as systemd runs it: sd_notify, watchdog, health/metrics, SIGHUP reload, SIGTERM."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.service.clock import utcnow
from monitor.store import Store
from tests.conftest import ROOT, SEEDS, STOP_PROMISE, wait_until, write_config
from tests.feeds import RELATED_ID, TANKS, TANKS_SEED, UNRELATED, Entry, rss
from tests.servers import FeedServer, WebhookReceiver

SEED = "000_3cec3928e0cca43c"


class NotifyListener:
    """The service manager's end of NOTIFY_SOCKET: an AF_UNIX datagram socket in tmp, read by a thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.messages: list[str] = []
        self.lock = threading.Lock()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.closed.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append(data.decode())

    def seen(self) -> int:
        with self.lock:
            return len(self.messages)

    def count(self, field: str, after: int = 0) -> int:
        with self.lock:
            return sum(field in msg.splitlines() for msg in self.messages[after:])

    def wait_for(self, field: str, timeout: float = 30.0, after: int = 0) -> bool:
        """True once a message with the line `field` arrived after the first `after` messages."""
        return wait_until(lambda: self.count(field, after) > 0, timeout)

    def close(self) -> None:
        self.closed.set()
        self.thread.join(timeout=2)
        self.sock.close()


class Daemon:
    """A `seedwatch run` subprocess whose stderr goes to a file we can read while it runs."""

    def __init__(self, cfg: Path, tmp: Path, env: dict[str, str]) -> None:
        self.log_path = tmp / "daemon.log"
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(cfg)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.log_file,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def wait_log(self, pattern: str, timeout: float = 30.0, start: int = 0) -> re.Match[str] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.log[start:])
            if m:
                return m
            if self.proc.poll() is not None:
                return re.search(pattern, self.log[start:])
            time.sleep(0.1)
        return None

    def stop(self) -> int:
        """SIGTERM, then the exit code; a daemon still running after STOP_PROMISE is killed (code -9)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=STOP_PROMISE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.log_file.close()
        return code



def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _metric(text: str, name: str) -> float:
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


@pytest.fixture
def notify(tmp_path: Path):
    listener = NotifyListener(tmp_path / "notify.sock")
    yield listener
    listener.close()


def test_run_under_a_service_manager(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver, notify: NotifyListener) -> None:
    a = feed_server.set("/a", rss(UNRELATED), etag='"a1"')
    b = feed_server.set("/b", rss(UNRELATED[:1]))
    service = '[service]\nlisten = "127.0.0.1:0"\n'
    feed_a = {"url": a, "name": "feed a", "interval": "1s"}
    cfg = write_config(tmp_path, feeds=[feed_a], extra=service)
    daemon = Daemon(cfg, tmp_path, {"NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "400000"})
    try:
        assert notify.wait_for("READY=1"), daemon.log
        listening = daemon.wait_log(r"listening address=(\S+)")
        assert listening, daemon.log
        base = f"http://{listening.group(1)}"

        # the scheduler's heartbeat keeps pinging the watchdog (its period, WATCHDOG_USEC/2, is
        # checked in process by test_health_needs_a_recent_heartbeat_and_a_store_that_answers)
        since = notify.seen()
        assert wait_until(lambda: notify.count("WATCHDOG=1", after=since) >= 4), "the watchdog pings stopped"

        assert wait_until(lambda: len(feed_server.hits("/a")) >= 1)
        status, body = _get(base + "/healthz")
        assert status == 200 and json.loads(body)["store"] == "ok"
        assert wait_until(lambda: _metric(_get(base + "/metrics")[1], 'seedwatch_polls_total{status="ok"}') >= 1)
        metrics = _get(base + "/metrics")[1]
        assert _metric(metrics, "seedwatch_items_seen_total") == 2
        assert "seedwatch_poll_duration_seconds_bucket" in metrics and _metric(metrics, "seedwatch_outbox_depth") == 0
        assert _get(base + "/nope")[0] == 404

        # add a feed and a webhook to the file, SIGHUP: both take effect without a restart
        mark = len(daemon.log)
        since = notify.seen()
        write_config(tmp_path, feeds=[feed_a, {"url": b, "name": "feed b", "interval": "1s"}], webhooks=[{"name": "hook", "url": receiver.url("/hook")}], extra=service)
        daemon.proc.send_signal(signal.SIGHUP)
        assert daemon.wait_log(r"INFO reloaded .*added=1 removed=0", start=mark), daemon.log[mark:]
        assert notify.wait_for("RELOADING=1", after=since) and notify.wait_for("READY=1", after=since)
        assert wait_until(lambda: len(feed_server.hits("/b")) >= 2), "the added feed was never polled"
        feed_server.set("/a", rss([RELATED_ID, *UNRELATED]), etag='"a2"')
        assert len(receiver.wait_for(1, timeout=30, path="/hook")) == 1, "the added webhook got no alert"

        # a broken config is rejected with the key named; the running one goes on
        mark = len(daemon.log)
        broken = write_config(tmp_path, feeds=[{"url": a, "interval": "soon"}], extra=service)
        daemon.proc.send_signal(signal.SIGHUP)
        rejected = daemon.wait_log(r"ERROR reload rejected.*", start=mark)
        assert rejected and f"{broken}:" in rejected.group(0) and "feeds[0].interval" in rejected.group(0), daemon.log[mark:]
        hits_a, hits_b = len(feed_server.hits("/a")), len(feed_server.hits("/b"))
        assert wait_until(lambda: len(feed_server.hits("/a")) >= hits_a + 2 and len(feed_server.hits("/b")) >= hits_b + 2)
        assert _get(base + "/healthz")[0] == 200
        assert 'seedwatch_reloads_total{result="rejected"} 1.0' in _get(base + "/metrics")[1]

        # removing a feed stops its polls; a [fetch] change waits for a restart, and says so
        mark = len(daemon.log)
        write_config(tmp_path, feeds=[feed_a], extra=service, fetch="max_redirects = 3")
        daemon.proc.send_signal(signal.SIGHUP)
        assert daemon.wait_log(r"(?m)INFO reloaded .*added=0 removed=1 .*restart_needed_for=fetch.max_redirects$", start=mark), daemon.log[mark:]
        # a run of /b in flight at the reload may still finish: count from two polls of /a later
        hits_a = len(feed_server.hits("/a"))
        assert wait_until(lambda: len(feed_server.hits("/a")) >= hits_a + 2)
        hits_b = len(feed_server.hits("/b"))
        hits_a = len(feed_server.hits("/a"))
        assert wait_until(lambda: len(feed_server.hits("/a")) >= hits_a + 2)
        assert len(feed_server.hits("/b")) == hits_b
    finally:
        since = notify.seen()
        code = daemon.stop()
    assert code == 0, daemon.log  # exited by itself within STOP_PROMISE
    assert notify.wait_for("STOPPING=1", timeout=2, after=since)


def test_reload_rebuilds_profiles_from_changed_seeds(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "tanks.txt").write_text(TANKS_SEED)
    url = feed_server.set("/news", rss([TANKS, RELATED_ID]), etag='"1"')
    cfg = write_config(tmp_path, feeds=[{"url": url, "interval": "1s"}], webhooks=[{"name": "hook", "url": receiver.url("/hook")}])
    cfg.write_text(cfg.read_text().replace(f'seeds = "{SEEDS}"', f'seeds = "{seeds}"'))
    daemon = Daemon(cfg, tmp_path, {})
    store = Store(f"sqlite:///{tmp_path / 'state' / 'seedwatch.db'}")
    try:
        # the tanks seed alerts on the tanks item; the NATO item, scored in the same run, does not alert
        posts = receiver.wait_for(1, timeout=30, path="/hook")
        assert [json.loads(p.body)["item"]["title"] for p in posts] == [TANKS.title], daemon.log
        assert [(a.seed_id, a.title) for a in store.recent_alerts()] == [("tanks", TANKS.title)]
        shutil.copy(SEEDS / f"{SEED}.txt", seeds)
        mark = len(daemon.log)
        daemon.proc.send_signal(signal.SIGHUP)
        assert daemon.wait_log(r"INFO reloaded .*seeds=2", start=mark), daemon.log[mark:]
        # the new seed re-scores what the store holds: the NATO item it would have alerted on
        posts = receiver.wait_for(2, timeout=30, path="/hook")
        assert [json.loads(p.body)["item"]["title"] for p in posts] == [TANKS.title, RELATED_ID.title]
        assert json.loads(posts[1].body)["seed"]["id"] == SEED
        # a later copy of that story joins it without a second alert
        fresh = Entry(RELATED_ID.title + " lagi", RELATED_ID.summary, RELATED_ID.link + "-2")
        feed_server.set("/news", rss([fresh, TANKS, RELATED_ID]), etag='"2"')
        assert wait_until(lambda: any(len(s.items) == 2 for s in store.recent_stories(utcnow() - timedelta(days=30), SEED)), timeout=30), daemon.log
        assert len(receiver.posts("/hook")) == 2
    finally:
        code = daemon.stop()
        store.close()
    assert code == 0, daemon.log


def test_offline_feeds_fail_but_the_daemon_stays_healthy(tmp_path: Path, notify: NotifyListener) -> None:
    with socket.socket() as s:  # a port nobody listens on: connection refused, like a feed host that is down
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/feed"
    with socket.socket() as s:  # `status` must find the listener from the config, so no port 0 here
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = write_config(tmp_path, feeds=[{"url": dead, "name": "down"}], extra=f'[service]\nlisten = "127.0.0.1:{port}"\n')
    daemon = Daemon(cfg, tmp_path, {"NOTIFY_SOCKET": str(notify.path)})
    try:
        assert notify.wait_for("READY=1"), daemon.log
        listening = daemon.wait_log(r"listening address=(\S+)")
        assert daemon.wait_log(r"WARNING feed run feed=\S+ status=error"), daemon.log
        status, body = _get(f"http://{listening.group(1)}/healthz")
        assert status == 200, body
        metrics = _get(f"http://{listening.group(1)}/metrics")[1]
        assert _metric(metrics, 'seedwatch_fetch_errors_total{kind="network"}') == 1
        out = subprocess.run([sys.executable, "-m", "monitor", "status", "--json", "--config", str(cfg)], cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert out.returncode == 0, out.stderr
        report = json.loads(out.stdout)
        assert report["daemon"]["running"] and report["daemon"]["pid"] == daemon.proc.pid and report["daemon"]["health"] == "healthy"
        assert report["feeds"] == {"failing": 1}
        assert report["failing"][0]["kind"] == "network" and report["failing"][0]["failures"] == 1
        added = subprocess.run([sys.executable, "-m", "monitor", "feeds", "add", "https://example.org/rss", "--config", str(cfg)], cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert added.returncode == 0 and f"kill -HUP {daemon.proc.pid}" in added.stdout, added.stdout + added.stderr
    finally:
        code = daemon.stop()
    assert code == 0, daemon.log


def test_listen_address_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        cfg = write_config(tmp_path, feeds=[], extra=f'[service]\nlisten = "127.0.0.1:{s.getsockname()[1]}"\n')
        out = subprocess.run([sys.executable, "-m", "monitor", "run", "--config", str(cfg)], cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 2
    assert "service.listen: cannot listen on 127.0.0.1:" in out.stderr


def test_health_needs_a_recent_heartbeat_and_a_store_that_answers(tmp_path: Path) -> None:
    from monitor.service.app import App, read
    from monitor.service.daemon import STALE_TICKS
    from monitor.service.daemon import Daemon as Service
    from monitor.service.notify import Notifier

    cfg = write_config(tmp_path, feeds=[])
    app = App.open(*read(str(cfg)))
    try:
        service = Service(app, notifier=Notifier({"WATCHDOG_USEC": "2000000"}))
        assert service.tick_interval == 1.0
        assert not service.health().ok  # never ticked: the scheduler has not started
        service._heartbeat()
        health = service.health()
        assert health.ok and health.detail["scheduler"] == "ok" and health.detail["store"] == "ok"
        service.last_tick = time.monotonic() - STALE_TICKS * service.tick_interval - 0.5  # a hung loop stops ticking
        assert not service.health().ok and service.health().detail["scheduler"] == "stalled"
        service._heartbeat()
        db = tmp_path / "state" / "seedwatch.db"
        app.store.engine.dispose()
        for path in tmp_path.joinpath("state").glob("seedwatch.db*"):
            path.unlink()
        db.mkdir()  # the database path is now a directory: every new connection fails
        health = service.health()
        assert not health.ok and health.detail == {**health.detail, "scheduler": "ok", "store": "error"}
    finally:
        app.close()
