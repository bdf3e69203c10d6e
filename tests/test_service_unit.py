"""The systemd unit: `systemd-analyze verify` is clean and `security --offline=yes` rates it 2.0 or lower."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

UNIT = ROOT / "systemd" / "seedwatch.service"
ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
needs_analyze = pytest.mark.skipif(not Path(ANALYZE).exists(), reason="systemd-analyze is not installed")


def directives(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2).strip())
    return out


def installed_copy(tmp: Path) -> Path:
    """The unit as installed, with ExecStart pointing at a seedwatch that exists on this machine.

    `verify` checks that the ExecStart binary exists; the shipped unit names
    /opt/seedwatch/venv/bin/seedwatch, which a test machine does not have.
    """
    script = Path(sys.executable).with_name("seedwatch")
    command = f"{script} run" if script.exists() else f"{sys.executable} -m monitor run"
    text = re.sub(r"^ExecStart=\S+ run", f"ExecStart={command}", UNIT.read_text(), count=1, flags=re.M)
    assert command in text
    path = tmp / "seedwatch.service"
    path.write_text(text)
    return path


def test_unit_has_the_service_contract() -> None:
    d = directives(UNIT.read_text())
    assert d["Type"] == ["notify"] and d["NotifyAccess"] == ["main"]
    assert d["ExecStart"][0].startswith("/opt/seedwatch/venv/bin/seedwatch run")
    assert d["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert d["Restart"] == ["on-failure"] and "StartLimitBurst" in d and "StartLimitIntervalSec" in d
    assert int(d["WatchdogSec"][0]) >= 10
    assert d["EnvironmentFile"][0].lstrip("-") == "/etc/seedwatch/seedwatch.env"
    assert (ROOT / "systemd" / "seedwatch.env.example").exists()
    for key, value in {"DynamicUser": "yes", "ProtectSystem": "strict", "NoNewPrivileges": "yes", "StateDirectory": "seedwatch", "CapabilityBoundingSet": ""}.items():
        assert d[key] == [value], key
    assert "@system-service" in d["SystemCallFilter"]
    assert set(d["RestrictAddressFamilies"][0].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}


@needs_analyze
def test_systemd_analyze_verify_is_clean(tmp_path: Path) -> None:
    out = subprocess.run([ANALYZE, "verify", str(installed_copy(tmp_path))], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "" and out.stdout.strip() == ""


@needs_analyze
def test_systemd_analyze_security_score(tmp_path: Path) -> None:
    out = subprocess.run([ANALYZE, "security", "--offline=yes", "--no-pager", str(installed_copy(tmp_path))], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    m = re.search(r"Overall exposure level for seedwatch\.service: (\d+\.\d+)", out.stdout)
    assert m, out.stdout[-2000:]
    assert float(m.group(1)) <= 2.0, out.stdout


def test_bundled_feed_list_covers_the_first_seed() -> None:
    from urllib.parse import parse_qs, urlsplit

    from monitor.config import load_settings

    settings = load_settings(ROOT / "config" / "seedwatch.toml")
    feeds = settings.feeds
    assert len({f.url for f in feeds}) == len(feeds) >= 15
    assert all(f.url.startswith("https://") and f.name and f.lang in ("id", "en") for f in feeds)
    hosts = {urlsplit(f.url).hostname for f in feeds}
    for expected in ("www.nato.int", "en.yna.co.kr", "www.ukrinform.net", "www.defensenews.com", "www.cnnindonesia.com", "rss.tempo.co"):
        assert expected in hosts, expected
    news = [f for f in feeds if urlsplit(f.url).hostname == "news.google.com"]
    assert {parse_qs(urlsplit(f.url).query)["hl"][0] for f in news} == {"id", "en-US"}
    seed_words = set(re.findall(r"\w+", next((ROOT / "seeds").glob("*.txt")).read_text().lower()))
    for feed in (f for f in news if f.lang == "id"):  # the Indonesian searches use the seed's own words
        query = set(re.findall(r"\w+", parse_qs(urlsplit(feed.url).query)["q"][0].lower()))
        assert query <= seed_words, query - seed_words
