"""Log lines: key=value or JSON, the config's log_format, and no doubled timestamps under journald."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from monitor.service.notify import Notifier
from tests.conftest import ROOT, write_config
from tests.feeds import UNRELATED, rss
from tests.servers import FeedServer

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d ")


def _once_stderr(cfg: Path, *flags: str, journal: str | None = None) -> list[str]:
    """stderr lines of `seedwatch once`, written into a pipe; JOURNAL_STREAM names that pipe when journal == "this"."""
    r, w = os.pipe()
    st = os.fstat(w)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JOURNAL_STREAM", None)
    if journal == "this":
        env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    elif journal:
        env["JOURNAL_STREAM"] = journal
    proc = subprocess.Popen([sys.executable, "-m", "monitor", *flags, "once", "--config", str(cfg)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=w, env=env)
    os.close(w)
    with os.fdopen(r, encoding="utf-8") as stream:
        text = stream.read()
    assert proc.wait(timeout=60) == 0, text
    return [line for line in text.splitlines() if line.strip()]


def _feed_run(lines: list[str]) -> str:
    runs = [line for line in lines if "feed run" in line]
    assert len(runs) == 1, lines
    return runs[0]


def test_text_lines_carry_a_timestamp_off_journald(tmp_path: Path, feed_server: FeedServer) -> None:
    cfg = write_config(tmp_path, feeds=[{"url": feed_server.set("/f", rss(UNRELATED))}])
    line = _feed_run(_once_stderr(cfg, journal="1:1"))  # another stream's id: stderr is not the journal
    assert STAMP.match(line) and len(re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line)) == 1
    assert re.search(r" INFO feed run feed=http://127\.0\.0\.1:\d+/f status=ok new=2 alerts=0 error=\"\" ms=\d+$", line), line


def test_under_journald_no_timestamp_and_a_priority_prefix(tmp_path: Path, feed_server: FeedServer) -> None:
    ok = feed_server.set("/ok", rss(UNRELATED))
    cfg = write_config(tmp_path, feeds=[{"url": ok}, {"url": feed_server.url("/missing")}])
    lines = _once_stderr(cfg, journal="this")
    assert lines and not any(STAMP.search(line) for line in lines)
    runs = [line for line in lines if "feed run" in line]
    assert sorted(line[:3] for line in runs) == ["<4>", "<6>"]  # warning for the 404, info for the other
    assert any(line.startswith(f"<6>INFO feed run feed={ok} status=ok") for line in runs)

    json_lines = [line for line in _once_stderr(cfg, "--log-format", "json", journal="this") if "feed run" in line]
    assert len(json_lines) == 2 and all(line[:3] in ("<4>", "<6>") for line in json_lines)
    records = [json.loads(line[3:]) for line in json_lines]
    assert all("ts" not in rec and rec["msg"] == "feed run" for rec in records)


def test_config_log_format_applies_and_the_flag_wins(tmp_path: Path, feed_server: FeedServer) -> None:
    cfg = write_config(tmp_path, feeds=[{"url": feed_server.set("/f", rss(UNRELATED))}], monitor='log_format = "json"')
    record = json.loads(_feed_run(_once_stderr(cfg)))
    assert record["status"] == "ok" and record["new"] == 2 and "ts" in record
    line = _feed_run(_once_stderr(cfg, "--log-format", "text"))
    assert STAMP.match(line) and " status=not_modified " in line  # second run: same body


def test_notifier_speaks_the_sd_notify_protocol(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "n.sock"))
        sock.settimeout(5)
        n = Notifier({"NOTIFY_SOCKET": str(tmp_path / "n.sock"), "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": str(os.getpid())})
        assert n.watchdog_interval == 1.5
        assert n.ready("watching 3 feeds") and n.watchdog() and n.stopping()
        assert [sock.recv(4096).decode() for _ in range(3)] == ["READY=1\nSTATUS=watching 3 feeds", "WATCHDOG=1", "STOPPING=1"]
        n.close()
    assert Notifier({"WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"}).watchdog_interval is None  # meant for pid 1
    silent = Notifier({})
    assert not silent.enabled and silent.ready() is False
    gone = Notifier({"NOTIFY_SOCKET": str(tmp_path / "nobody.sock")})
    assert gone.ready() is False  # logged, never raised


def test_notifier_reaches_an_abstract_socket() -> None:
    name = f"seedwatch-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).watchdog()
        assert sock.recv(100) == b"WATCHDOG=1"
