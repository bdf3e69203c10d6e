"""Shared fixtures: real servers on loopback, temporary configs, the repo's own seed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from monitor.relevance.engine import Relevance
from tests.pg import PgServer, connect_or_skip
from tests.servers import FeedServer, WebhookReceiver

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# The shared fixtures (real feeds, corpus, eval set) sit next to the repo; SEEDWATCH_SHARED points
# elsewhere, e.g. from a git worktree one level deeper.
SHARED = Path(os.environ.get("SEEDWATCH_SHARED") or ROOT.parent / "shared")
# How long `seedwatch run` may take to exit on SIGTERM: its own promise (8 s of grace for jobs in
# flight, then exit), well inside the unit's TimeoutStopSec=20. A bound to wait for, not a timing to assert.
STOP_PROMISE = 10.0


@pytest.fixture(scope="session")
def engine() -> Relevance:
    """The relevance engine without the semantic model (catalogue and lexical signals), built once."""
    return Relevance()


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """The PostgreSQL test server (SEEDWATCH_TEST_PG); skips the test where there is none."""
    server = connect_or_skip()
    yield server
    server.drop_all()


@pytest.fixture
def pg_url(pg: PgServer) -> str:
    """A fresh, empty PostgreSQL database for this test."""
    return pg.database()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh state store URL, once on SQLite and once on PostgreSQL: the store's contract holds on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return request.getfixturevalue("pg").database()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    yield server
    server.close()


def write_config(tmp: Path, feeds: list[dict], webhooks: list[dict] = (), monitor: str = "", fetch: str = "", extra: str = "", state: str | None = None) -> Path:
    """A config in `tmp` with loopback allowed, the repo's seeds and a fresh SQLite state (or the store URL `state`)."""
    lines = [
        "[monitor]",
        f'state = "{state or tmp / "state" / "seedwatch.db"}"',
        f'seeds = "{SEEDS}"',
        "allow_private_networks = true",
        'poll_interval = "1h"',
        "delivery_interval = \"1s\"",
        # the semantic model costs seconds per daemon start: off unless a test asks (tests/test_semantic.py)
        "" if "semantic" in monitor else "semantic = false",
        textwrap.dedent(monitor),
        "[fetch]",
        'timeout = "10s"',
        textwrap.dedent(fetch),
    ]
    for feed in feeds:
        lines.append("[[feeds]]")
        lines += [f"{k} = {_toml(v)}" for k, v in feed.items()]
    for hook in webhooks:
        lines.append("[[webhooks]]")
        lines += [f"{k} = {_toml(v)}" for k, v in hook.items()]
    lines.append(textwrap.dedent(extra))
    path = tmp / "seedwatch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def seedwatch(*args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command (`python -m monitor`) from the repo root."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def start_seedwatch(*args: str, env: dict | None = None, **kw) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        **kw,
    )


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll `predicate` every 0.1 s until it holds (True) or `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def stop_seedwatch(proc: subprocess.Popen[str], timeout: float = 15.0) -> tuple[int, float, str]:
    """SIGTERM a `seedwatch` subprocess: (exit code, seconds it took, its stderr); killed after `timeout`."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        _out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    return proc.returncode, time.monotonic() - started, err
