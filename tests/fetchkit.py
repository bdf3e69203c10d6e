"""Helpers for the fetching tests: settings with short deadlines, real Deps on a SQLite file."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from monitor.config import FeedConfig
from monitor.ingest.fetch import Fetcher
from monitor.ingest.netguard import Guard
from monitor.pipeline import Deps
from monitor.service.app import load
from monitor.store import Store
from monitor.types import FeedState, Fetched, FetchFailed
from tests.conftest import SEEDS, _toml

T0 = datetime(2026, 1, 30, 10, 0, tzinfo=timezone.utc)


def config_file(tmp: Path, feeds: list[dict], webhooks: list[dict] = (), monitor: dict | None = None, fetch: dict | None = None) -> Path:
    """A TOML config with loopback allowed and a 2 s fetch deadline (override with `fetch`)."""
    sections = {
        "monitor": {"state": str(tmp / "state" / "seedwatch.db"), "seeds": str(SEEDS), "allow_private_networks": True, "poll_interval": "1h", **(monitor or {})},
        "fetch": {"timeout": "2s", **(fetch or {})},
    }
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml(v)}" for k, v in values.items()]
    for table, rows in (("feeds", feeds), ("webhooks", webhooks)):
        for row in rows:
            lines.append(f"[[{table}]]")
            lines += [f"{k} = {_toml(v)}" for k, v in row.items()]
    path = tmp / "seedwatch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def fetch_once(fetcher: Fetcher, url: str) -> Fetched | FetchFailed:
    """One fetch of `url` from a fresh feed state; a 304 here would be a test bug."""
    result = fetcher.fetch(url, FeedState(url))
    assert isinstance(result, (Fetched, FetchFailed))
    return result


class Kit:
    """Real settings, store, fetcher and seed profiles for in-process feed runs."""

    def __init__(self, tmp: Path, feeds: list[dict], webhooks: list[dict] = (), monitor: dict | None = None, fetch: dict | None = None) -> None:
        self.settings, _seeds, profiles = load(str(config_file(tmp, feeds, webhooks, monitor, fetch)))
        self.store = Store(self.settings.state_url)
        self.fetcher = Fetcher(self.settings.fetch, Guard.from_settings(self.settings.monitor))
        self.deps = Deps(self.settings, self.store, self.fetcher, profiles, random.Random(7))

    @property
    def feeds(self) -> tuple[FeedConfig, ...]:
        return self.settings.feeds

    def close(self) -> None:
        self.fetcher.close()
        self.store.close()


def rows(store: Store, sql: str) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.exec_driver_sql(sql).mappings())

