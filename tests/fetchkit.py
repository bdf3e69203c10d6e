"""Helpers for the fetching tests: settings with short deadlines, real Deps on a SQLite file.

Tests read results back through the store's own API; what a run parsed (the items it then
stores) is recorded by `Kit` at the pipeline's parse seam, since the store has no item reader.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from monitor.config import FeedConfig
from monitor.ingest.fetch import Fetcher
from monitor.ingest.netguard import Guard
from monitor.ingest.parse import ParsedFeed, parse_feed
from monitor.pipeline import Deps
from monitor.service.loading import load
from monitor.store import Store
from monitor.types import FeedItem, FeedState, Fetched, FetchFailed
from tests.conftest import SEEDS, _toml

T0 = datetime(2026, 1, 30, 10, 0, tzinfo=timezone.utc)


def config_file(tmp: Path, feeds: list[dict], webhooks: list[dict] = (), monitor: dict | None = None, fetch: dict | None = None, extra: str = "") -> Path:
    """A TOML config with loopback allowed and a 2 s fetch deadline (override with `fetch`); `extra` is TOML appended as is."""
    sections = {
        # semantic off unless a test asks: the model costs seconds per test (tests/test_semantic.py runs it)
        "monitor": {"state": str(tmp / "state" / "seedwatch.db"), "seeds": str(SEEDS), "allow_private_networks": True, "poll_interval": "1h", "semantic": False, **(monitor or {})},
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
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def fetch_once(fetcher: Fetcher, url: str) -> Fetched | FetchFailed:
    """One fetch of `url` from a fresh feed state; a 304 here would be a test bug."""
    result = fetcher.fetch(url, FeedState(url))
    assert isinstance(result, (Fetched, FetchFailed))
    return result


class Kit:
    """Real settings, store, fetcher and seed profiles for in-process feed runs."""

    def __init__(self, tmp: Path, feeds: list[dict], webhooks: list[dict] = (), monitor: dict | None = None, fetch: dict | None = None, extra: str = "") -> None:
        loaded = load(str(config_file(tmp, feeds, webhooks, monitor, fetch, extra)))
        self.settings, profiles = loaded.settings, loaded.profiles
        self.store = Store(self.settings.state_url)
        self.fetcher = Fetcher(self.settings.fetch, Guard.from_settings(self.settings.monitor))
        self.parsed: list[ParsedFeed] = []
        self.deps = Deps(self.settings, self.store, self.fetcher, loaded.engine, profiles, random.Random(7), self._parse)

    def _parse(self, *args: Any) -> ParsedFeed:
        parsed = parse_feed(*args)
        self.parsed.append(parsed)
        return parsed

    def stored_items(self) -> list[FeedItem]:
        """The items of every document parsed so far, each checked to be in the store."""
        items = [item for parsed in self.parsed for item in parsed.items]
        assert self.store.unseen(items) == [], "a parsed item is missing from the store"
        return items

    @property
    def feeds(self) -> tuple[FeedConfig, ...]:
        return self.settings.feeds

    def close(self) -> None:
        self.fetcher.close()
        self.store.close()

