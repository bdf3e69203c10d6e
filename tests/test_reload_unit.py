"""Daemon.reload() in process: a config whose sinks cannot be built is rejected whole; what needs a restart is named."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from monitor.service.app import App, read
from monitor.service.daemon import Daemon
from tests.conftest import write_config


@pytest.fixture()
def daemon(tmp_path: Path):
    cfg = write_config(tmp_path, feeds=[{"url": "http://127.0.0.1:9/a.xml", "name": "a"}], webhooks=[{"name": "h", "url": "http://127.0.0.1:9/hook"}])
    app = App.open(*read(str(cfg)))
    try:
        yield Daemon(app), cfg, tmp_path
    finally:
        app.close()


def test_a_sink_refused_at_reload_keeps_the_running_config(daemon, caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("apprise")
    d, cfg, _tmp = daemon
    before = d.app.deliverer
    cfg.write_text(cfg.read_text() + '\n[[webhooks]]\nname = "x"\nformat = "apprise"\nurl = "nosuchscheme://foo"\n')
    with caplog.at_level(logging.ERROR, logger="seedwatch.daemon"):
        assert d.reload() is False
    assert d.app.deliverer is before and [h.name for h in d.app.settings.webhooks] == ["h"]
    assert any("reload rejected" in r.getMessage() for r in caplog.records)
    assert "nosuchscheme://foo" in caplog.text


def test_a_reloaded_deliverer_takes_over_the_delivery_lock(daemon) -> None:
    d, cfg, tmp = daemon
    before = d.app.deliverer
    write_config(tmp, feeds=[{"url": "http://127.0.0.1:9/a.xml", "name": "a"}], webhooks=[{"name": "h2", "url": "http://127.0.0.1:9/other"}])
    assert d.reload() is True
    assert d.app.deliverer is not before and d.app.deliverer.lock is before.lock


def test_reload_names_only_the_keys_that_need_a_restart(daemon, caplog: pytest.LogCaptureFixture) -> None:
    d, _cfg, tmp = daemon
    write_config(tmp, feeds=[{"url": "http://127.0.0.1:9/a.xml", "name": "a"}], webhooks=[{"name": "h", "url": "http://127.0.0.1:9/hook"}], fetch='max_body = "1MiB"\nbackoff_cap = "1h"', monitor="allow_hosts = [\"feeds.internal\"]")
    with caplog.at_level(logging.INFO, logger="seedwatch.daemon"):
        assert d.reload() is True
    [line] = [r for r in caplog.records if r.getMessage() == "reloaded"]
    assert line.kv["restart_needed_for"] == "fetch.max_body,monitor.allow_hosts"
