"""Config validation: every bad config names file, line, key path and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_settings, parse_duration
from monitor.errors import ConfigError
from monitor.store import Store
from tests.conftest import SEEDS, seedwatch

GOOD = f'''
[monitor]
state = "state/x.db"
seeds = "{SEEDS}"
poll_interval = "10m"

[[feeds]]
url = "https://a.example.org/rss"
name = "A"

[[feeds]]
url = "https://b.example.org/rss"
interval = "30m"
'''

BAD = [
    # (replace this, with this, expected key path, expected reason fragment)
    ('interval = "30m"', 'interval = "10 minutes"', "feeds[1].interval", '"10 minutes" is not a duration like "10m"'),
    ('poll_interval = "10m"', 'poll_interval = "soon"', "monitor.poll_interval", '"soon" is not a duration'),
    ('poll_interval = "10m"', "threshold = 1.5", "monitor.threshold", "less than or equal to 1"),
    ('url = "https://a.example.org/rss"', 'url = "ftp://a.example.org/rss"', "feeds[0].url", "is not an http(s) URL"),
    ('name = "A"', 'nmae = "A"', "feeds[0].nmae", "unknown key"),
    ('name = "A"', "enabled = 3", "feeds[0].enabled", "valid boolean"),
    ('poll_interval = "10m"', "allow_private_networks = \"maybe\"", "monitor.allow_private_networks", "valid boolean"),
    ('url = "https://a.example.org/rss"\n', "", "feeds[0].url", "required key is missing"),
    # zero where zero is absurd: "0s" polled a feed ~466 times a second
    ('poll_interval = "10m"', 'poll_interval = "0s"', "monitor.poll_interval", '"0s" is shorter than the minimum 1s'),
    ('interval = "30m"', "interval = 0", "feeds[1].interval", "0 is shorter than the minimum 1s"),
    ('poll_interval = "10m"', 'delivery_interval = "0.2s"', "monitor.delivery_interval", '"0.2s" is shorter than the minimum 1s'),
    ('poll_interval = "10m"', '[fetch]\ntimeout = "0s"', "fetch.timeout", '"0s" is shorter than the minimum 1s'),
    ('poll_interval = "10m"', '[fetch]\nbackoff_cap = "0s"', "fetch.backoff_cap", "shorter than the minimum 1s"),
    ('poll_interval = "10m"', '[stories]\nwindow = "0s"', "stories.window", '"0s" is shorter than the minimum 1m'),
    # a feed listed twice was fetched twice per cycle; spellings of one address are one feed
    ('url = "https://b.example.org/rss"', 'url = "https://A.example.org:443/rss"', "feeds[1].url", 'is a duplicate of feeds[0]'),
    # TOML's nan and inf pass every bound; a huge duration overflowed the first date made from it
    ('interval = "30m"', "interval = nan", "feeds[1].interval", "nan is not a duration"),
    ('interval = "30m"', "interval = inf", "feeds[1].interval", "inf is not a duration"),
    ('interval = "30m"', 'interval = "999999999999d"', "feeds[1].interval", "is longer than the longest duration, 3650d"),
    ('poll_interval = "10m"', "[fetch]\njitter = nan", "fetch.jitter", "finite number"),
    ('poll_interval = "10m"', "threshold = nan", "monitor.threshold", "finite number"),
    # store addresses that SQLAlchemy would only refuse at the first command, with a traceback
    ('state = "state/x.db"', 'state = "mysql://u@127.0.0.1/x"', "monitor.state", '"mysql://" is no store Seedwatch can use'),
    ('state = "state/x.db"', 'state = "sqlite://"', "monitor.state", "an in-memory SQLite store forgets everything"),
    ('state = "state/x.db"', 'state = "postgresql+psycopg2://u@db.example.org/x"', "monitor.state", "needs a driver that is not installed"),
    ('state = "state/x.db"', 'state = "postgresql+psycopg://u@db.example.org:port/x"', "monitor.state", "is not a number"),
    ('state = "state/x.db"', 'state = "."', "monitor.state", "is a folder; give the SQLite file in it"),
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seedwatch.toml"
    path.write_text(text)
    return path


def test_good_config_loads(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, GOOD))
    assert [f.url for f in settings.feeds] == ["https://a.example.org/rss", "https://b.example.org/rss"]
    assert settings.feed_interval(settings.feeds[0]) == 600
    assert settings.feed_interval(settings.feeds[1]) == 1800
    assert settings.state_url == f"sqlite:///{tmp_path / 'state' / 'x.db'}"


@pytest.mark.parametrize("old,new,key,reason", BAD)
def test_bad_config_names_key_and_line(tmp_path: Path, old: str, new: str, key: str, reason: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert message.startswith(f"{path}:"), message
    assert f": {key}: " in message, message
    assert reason in message, message
    line = int(message.split(":")[1])
    bad_key = key.split(".")[-1]
    assert bad_key in text.splitlines()[line - 1] or "[[feeds]]" in text.splitlines()[line - 1]


def test_a_relative_sqlite_url_is_beside_the_config_whatever_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")
    settings = load_settings(_write(tmp_path, GOOD.replace('state = "state/x.db"', 'state = "sqlite:///state/x.db?timeout=5"')))
    assert settings.state_url == f"sqlite:///{tmp_path / 'state' / 'x.db'}?timeout=5"
    store = Store(settings.state_url)  # the driver option is no part of the file's name
    try:
        assert store.where == str(tmp_path / "state" / "x.db")
    finally:
        store.close()
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["x.db"]


def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "seedwatch.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert len(load_settings(path).feeds) == 2


def test_a_config_not_in_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "seedwatch.toml"
    path.write_bytes(GOOD.replace('name = "A"', 'name = "Wiadomo\u015bci"').encode("cp1250"))
    line = next(n for n, x in enumerate(GOOD.splitlines(), 1) if x.startswith('name = "A"'))
    with pytest.raises(ConfigError, match=rf"^{path}:{line}: not UTF-8 text .*save the config as UTF-8"):
        load_settings(path)


def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + "\n[[feeds]\n")
    with pytest.raises(ConfigError, match=r"seedwatch.toml: .*line \d+"):
        load_settings(path)


def test_missing_env_var_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SW_TEST_SECRET", raising=False)
    path = _write(tmp_path, GOOD + '\n[[webhooks]]\nname = "w"\nurl = "https://h.example.org/"\nsecret = "${SW_TEST_SECRET}"\n')
    with pytest.raises(ConfigError, match=r"webhooks\[0\]\.secret: environment variable SW_TEST_SECRET is not set"):
        load_settings(path)
    monkeypatch.setenv("SW_TEST_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert load_settings(path).webhooks[0].secret == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_duplicate_webhook_names(tmp_path: Path) -> None:
    hook = '\n[[webhooks]]\nname = "w"\nurl = "https://h.example.org/"\n'
    with pytest.raises(ConfigError, match=r"webhooks\[1\]\.name: \"w\" is used twice"):
        load_settings(_write(tmp_path, GOOD + hook + hook))


@pytest.mark.parametrize("text,seconds", [("90s", 90), ("10m", 600), ("1h30m", 5400), ("2d", 172800), (45, 45)])
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_check_command_exit_codes(tmp_path: Path) -> None:
    good = seedwatch("check", "--config", str(_write(tmp_path, GOOD)))
    assert good.returncode == 0, good.stderr
    assert "000_3cec3928e0cca43c" in good.stdout
    bad = seedwatch("check", "--config", str(_write(tmp_path, GOOD.replace('"30m"', '"10 minutes"'))))
    assert bad.returncode == 2
    assert 'feeds[1].interval: "10 minutes" is not a duration like "10m"' in bad.stderr
