"""The bench/ scripts run end to end on a tiny load and print their tables (figures are not asserted)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _bench(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_poll_cycle_compares_every_installed_tool() -> None:
    out = _bench("poll_cycle.py", "--feeds", "12", "--items", "5", "--rounds", "1", "--inproc-cycles", "1", "--no-semantic")
    assert out.returncode == 0, out.stderr[-2000:]
    rows = {line.split("|")[1].strip() for line in out.stdout.splitlines() if line.startswith("|")}
    assert {"seedwatch once", "feedparser alone (1 core)"} <= rows
    for tool, binary in (("rss2email", "r2e"), ("newsboat", "newsboat")):
        if shutil.which(binary):
            assert tool in rows
        else:
            assert "install it with" in out.stderr
    assert "inside one running process" in out.stdout and "['not_modified']" in out.stdout


@pytest.mark.slow
def test_soak_reports_rss_and_fds() -> None:
    out = _bench("soak.py", "--feeds", "10", "--items", "5", "--cycles", "3", "--interval", "1", "--churn", "2", "--no-semantic")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "daemon RSS MB" in out.stdout and "open fds" in out.stdout and "daemon exit 0 on SIGTERM" in out.stdout


@pytest.mark.slow
def test_time_to_alert_gets_every_alert() -> None:
    out = _bench("time_to_alert.py", "--feeds", "5", "--items", "5", "--samples", "2", "--interval", "1", "--no-semantic")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "p95 s" in out.stdout and out.stdout.count("sample ") == 2
