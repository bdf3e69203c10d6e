"""The parse worker pool: the same results as in-process parsing, errors carried over, a dead
worker survived, and no worker outliving its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.ingest.parse import ParseError, parse_feed
from monitor.ingest.parsepool import ParsePool
from tests.conftest import ROOT
from tests.feeds import RELATED_ID, UNRELATED, atom, rss

HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}


@pytest.fixture(scope="module")
def pool():
    pool = ParsePool(2)
    yield pool
    pool.close()


def test_pool_parses_exactly_like_parse_feed(pool: ParsePool) -> None:
    for body in (rss([RELATED_ID, *UNRELATED]).encode(), atom(UNRELATED).encode()):
        expected = parse_feed(body, HEADERS, "http://feeds.example.org/a", "a", "id")
        assert pool(body, HEADERS, "http://feeds.example.org/a", "a", "id") == expected
        assert len(expected.items) >= 2


def test_parse_error_crosses_the_process_boundary(pool: ParsePool) -> None:
    with pytest.raises(ParseError, match="not a feed"):
        pool(b"<html><body>Oops</body></html>", {"Content-Type": "text/html"}, "http://feeds.example.org/b", "b")


def test_a_dead_worker_falls_back_to_in_process_parsing() -> None:
    body = rss([RELATED_ID]).encode()
    pool = ParsePool(1)
    try:
        (worker,) = pool._pool._processes.values()  # the real worker process, to kill it
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(timeout=10)
        parsed = pool(body, HEADERS, "http://feeds.example.org/c", "c")
        assert [i.title for i in parsed.items] == [RELATED_ID.title]
        assert pool._pool is None  # later calls parse in-process
    finally:
        pool.close()


def test_workers_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    script = "from monitor.ingest.parsepool import ParsePool; import sys, time; p = ParsePool(2); print(*[w.pid for w in p._pool._processes.values()], flush=True); time.sleep(60)"
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(Path(f"/proc/{pid}").exists() for pid in workers)
    finally:
        parent.kill()
        parent.wait(timeout=10)

    def alive(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers)
