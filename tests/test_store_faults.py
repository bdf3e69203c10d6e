"""Store faults and run failures: a full disk (a real tmpfs), a damaged file, a bug in a run.

Nothing of it may silence a feed or crash a command: the run is recorded as the feed's failure
when the store can take it, the feed is polled again, /healthz names the fault until it clears,
and every command says what is wrong with which file in one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.service.app import App, read
from monitor.service.daemon import Daemon as Service
from tests.conftest import seedwatch, wait_until, write_config
from tests.feeds import RELATED_ID, UNRELATED, Entry, rss
from tests.servers import FeedServer, WebhookReceiver
from tests.test_service import Daemon, _get


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A real, small filesystem at `path` (needs root and mount(8)); skips the test where that is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}); run as root to test a full disk")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(folder: Path) -> Path:
    """Write a file until the filesystem says ENOSPC."""
    filler = folder / "filler"
    # unbuffered: a buffered file's close() retries the partial last write and raises ENOSPC itself
    with open(filler, "wb", buffering=0) as out:
        with contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * 65536)
    return filler


def one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in out.stderr.splitlines() if line.startswith("seedwatch: error:")]
    assert "Traceback" not in out.stderr, out.stderr
    assert len(lines) == 1, out.stderr
    return lines[0]


def test_a_bug_in_a_run_is_the_feeds_error_and_the_feed_is_polled_again(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/news", rss(UNRELATED))
    cfg = write_config(tmp_path, feeds=[{"url": url, "name": "news", "interval": "1s"}])
    app = App.open(*read(str(cfg)), polls=False)

    def broken_parser(*_args: object, **_kw: object) -> None:  # the parse seam App injects; here a stage with a bug
        raise RuntimeError("a bug in a stage")

    app.parser = broken_parser  # type: ignore[assignment]
    service = Service(app)
    try:
        service._schedule_all()
        service.scheduler.start()
        # one-shot jobs: before, the first failure was never rescheduled and the feed went quiet for good
        assert wait_until(lambda: len(feed_server.hits("/news")) >= 3, timeout=20), feed_server.hits("/news")
        state = app.store.feed_state(url)
        assert state.last_error_kind == "internal" and "RuntimeError: a bug in a stage" in (state.last_error or "")
        assert state.consecutive_failures >= 2 and state.next_poll is not None  # backoff as for any failure
    finally:
        service.scheduler.shutdown(wait=True)
        app.parser = None
        app.close()


def test_a_full_disk_is_reported_and_the_daemon_recovers_by_itself(tmp_path: Path, feed_server: FeedServer, receiver: WebhookReceiver) -> None:
    url = feed_server.set("/news", rss(UNRELATED), etag='"1"')
    with tmpfs(tmp_path / "state", "3m") as state_dir:
        cfg = write_config(tmp_path, feeds=[{"url": url, "name": "news", "interval": "1s"}], webhooks=[{"name": "hook", "url": receiver.url("/hook")}], extra='[service]\nlisten = "127.0.0.1:0"\n')
        daemon = Daemon(cfg, tmp_path, {})
        try:
            listening = daemon.wait_log(r"listening address=(\S+)")
            assert listening, daemon.log
            health = f"http://{listening.group(1)}/healthz"
            assert wait_until(lambda: len(feed_server.hits("/news")) >= 2)
            filler = fill(state_dir)
            feed_server.set("/news", rss([Entry(f"Filler {n}", "x" * 2000, f"http://news.example.org/f{n}") for n in range(40)]), etag='"2"')
            assert wait_until(lambda: _get(health)[0] == 503, timeout=30), daemon.log
            body = json.loads(_get(health)[1])
            assert body["store"] == "error" and str(state_dir / "seedwatch.db") in body["store_error"] and "full" in body["store_error"]
            polled = len(feed_server.hits("/news"))
            assert wait_until(lambda: len(feed_server.hits("/news")) >= polled + 3, timeout=15), "the feed stopped being polled while the disk was full"

            feed_server.set("/news", rss([RELATED_ID, *UNRELATED]), etag='"3"')
            filler.unlink()
            assert wait_until(lambda: _get(health)[0] == 200, timeout=30), daemon.log[-3000:]
            assert len(receiver.wait_for(1, timeout=30, path="/hook")) == 1, "no alert after the disk was freed"
        finally:
            code = daemon.stop()
        assert code == 0, daemon.log[-3000:]
        assert "Traceback" not in daemon.log and "database or disk is full; the disk holding" in daemon.log


def test_once_and_run_on_a_full_disk_say_so_in_one_line(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/news", rss(UNRELATED))
    with tmpfs(tmp_path / "state", "2m") as state_dir:
        cfg = write_config(tmp_path, feeds=[{"url": url}])
        assert seedwatch("once", "--config", str(cfg)).returncode == 0
        feed_server.set("/news", rss([Entry(f"Item {n}", "y" * 3000, f"http://news.example.org/i{n}") for n in range(60)]))
        fill(state_dir)
        for command in ("once", "run"):
            out = seedwatch(command, "--config", str(cfg), timeout=60)
            line = one_line_error(out)
            assert out.returncode == 3 and f"{state_dir / 'seedwatch.db'}:" in line and "free space there" in line, (command, line)
        for command in ("status", "alerts", "feeds"):
            assert seedwatch(command, "--config", str(cfg)).returncode == 0, command  # reading needs no space


def _damaged_pages(db: Path) -> tuple[int, bytes]:
    """Overwrite the items table's root page with garbage, keeping the header and the schema page;
    returns (offset, garbage)."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'items'").fetchone()[0]
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    garbage = os.urandom(page)
    with open(db, "r+b") as f:
        f.seek((root - 1) * page)
        f.write(garbage)
    return (root - 1) * page, garbage


@pytest.mark.parametrize("damage", ["random bytes", "damaged pages"])
def test_a_corrupt_state_file_is_one_line_naming_the_file_and_nothing_is_recreated(tmp_path: Path, feed_server: FeedServer, damage: str) -> None:
    url = feed_server.set("/news", rss([RELATED_ID, *UNRELATED]))
    cfg = write_config(tmp_path, feeds=[{"url": url}])
    db = tmp_path / "state" / "seedwatch.db"
    if damage == "random bytes":
        db.parent.mkdir()
        db.write_bytes(os.urandom(64 * 1024))
        offset, garbage = 0, db.read_bytes()
        commands = [["once"], ["run"], ["status"], ["alerts"], ["feeds"]]
    else:
        assert seedwatch("once", "--config", str(cfg)).returncode == 0
        offset, garbage = _damaged_pages(db)
        feed_server.set("/news", rss([Entry("Something new", "text", "http://news.example.org/new"), *UNRELATED]))  # so `once` reads items
        commands = [["once"], ["status"], ["alerts"]]
    for command in commands:
        out = seedwatch(*command, "--config", str(cfg), timeout=60)
        line = one_line_error(out)
        assert out.returncode == 3, (command, out.stderr)
        assert f"{db}:" in line and "damaged" in line and "restore a backup" in line, (command, line)
    with open(db, "rb") as f:  # the damage is left for recovery, never silently replaced by a new store
        f.seek(offset)
        assert f.read(len(garbage)) == garbage


def test_status_reads_a_store_it_may_not_write(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/news", rss([RELATED_ID, *UNRELATED]))
    with tmpfs(tmp_path / "state", "8m") as state_dir:
        cfg = write_config(tmp_path, feeds=[{"url": url, "name": "news"}])
        assert seedwatch("once", "--config", str(cfg)).returncode == 0
        subprocess.run(["mount", "-o", "remount,ro", str(state_dir)], check=True)
        for command in (["status", "--json"], ["feeds", "--json"], ["alerts", "--json"], ["stories", "--json"]):
            out = seedwatch(*command, "--config", str(cfg))
            assert out.returncode == 0, (command, out.stderr)
        status = json.loads(seedwatch("status", "--json", "--config", str(cfg)).stdout)
        assert status["feeds"] == {"ok": 1} and status["items"] == 3 and len(status["alerts"]) == 1


def test_reading_commands_create_nothing_and_report_an_old_schema(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, feeds=[{"url": "https://news.example.org/rss", "name": "news"}])
    db = tmp_path / "state" / "seedwatch.db"
    out = seedwatch("feeds", "--json", "--config", str(cfg))
    assert out.returncode == 0 and json.loads(out.stdout)["status"] == "new"
    assert not db.exists()  # before the first run there is nothing to read, and a reader writes nothing

    db.parent.mkdir(exist_ok=True)
    with sqlite3.connect(db) as conn:  # a store as the first release left it: schema version 1
        conn.execute("CREATE TABLE feeds (url TEXT PRIMARY KEY)")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    out = seedwatch("status", "--config", str(cfg))
    line = one_line_error(out)
    assert out.returncode == 3 and f"{db}: the state store has schema version 1, older than" in line and "seedwatch once" in line
