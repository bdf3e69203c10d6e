"""`seedwatch feeds [--json]`: feed health from the store; `seedwatch feeds add URL`: add one to the config."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from monitor.cli import add_config_arg
from monitor.config import Settings, find_config, load_settings
from monitor.config.edit import NewFeed, append_feeds, check_feed
from monitor.errors import ConfigError
from monitor.service.clock import utcnow
from monitor.service.lock import lock_holder
from monitor.store import Store
from monitor.text import printable
from monitor.types import FeedState

STYLE = {"ok": "green", "failing": "red", "silent": "yellow", "disabled": "red bold", "new": "cyan", "paused": "dim"}


@dataclass(frozen=True)
class FeedRow:
    """One configured feed joined with what the store knows about it."""

    url: str
    name: str
    status: str  # ok | failing | silent | disabled | new | paused
    last_success: datetime | None
    last_error: str | None
    last_error_kind: str | None
    consecutive_failures: int
    next_poll: datetime | None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feeds", help="feed health (last success, errors, next poll); `feeds add URL` adds a feed")
    add_config_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON object per feed")
    p.set_defaults(func=run)
    fsub = p.add_subparsers(dest="feeds_command", metavar="[add URL | enable URL]")
    add = fsub.add_parser("add", help="append a [[feeds]] table to the config file, keeping its comments")
    add.add_argument("url")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--lang", help="language of the feed (e.g. id, en, ko)")
    # SUPPRESS: a default here would overwrite a --config given before `add`
    add.add_argument("--config", "-c", metavar="PATH", default=argparse.SUPPRESS, help="config file to edit")
    add.set_defaults(func=run_add)
    enable = fsub.add_parser("enable", help="poll a feed again that a 410 Gone disabled")
    enable.add_argument("url")
    enable.add_argument("--config", "-c", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    enable.set_defaults(func=run_enable)


def feed_status(enabled: bool, state: FeedState) -> str:
    if state.disabled:
        return "disabled"
    if not enabled:
        return "paused"
    if state.consecutive_failures:
        return "failing"
    if state.health == "failing":  # answers, but nothing new far beyond its cadence: a notice went out
        return "silent"
    return "ok" if state.last_success else "new"


def feed_rows(settings: Settings, store: Store) -> list[FeedRow]:
    """Every configured feed, in config order, with its stored state (empty if never polled)."""
    states = {state.url: state for _name, state in store.feed_states()}
    rows = []
    for feed in settings.feeds:
        st = states.get(feed.url, FeedState(url=feed.url))
        rows.append(FeedRow(feed.url, feed.name, feed_status(feed.enabled, st), st.last_success, st.last_error, st.last_error_kind, st.consecutive_failures, st.next_poll))
    return rows


def ago(when: datetime | None, now: datetime) -> str:
    """'5m ago', 'in 2h', '-' for a person reading a table."""
    if when is None:
        return "-"
    secs = (when - now).total_seconds()
    span = abs(secs)
    text = f"{span:.0f}s" if span < 90 else f"{span / 60:.0f}m" if span < 5400 else f"{span / 3600:.1f}h" if span < 172800 else f"{span / 86400:.0f}d"
    return f"in {text}" if secs > 0 else f"{text} ago"


def feeds_table(rows: list[FeedRow], now: datetime, title: str = "Feeds") -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("feed", "status", "last success", "failures", "last error", "next poll"):
        table.add_column(col, overflow="fold")
    for r in rows:
        error = f"{r.last_error_kind}: {r.last_error}" if r.last_error and r.status != "ok" else ""
        table.add_row(cell(r.name or r.url), f"[{STYLE[r.status]}]{r.status}[/]", ago(r.last_success, now), str(r.consecutive_failures or ""), cell(error, 160), ago(r.next_poll, now))
    return table


def cell(value: object, limit: int | None = None) -> Text:
    """Text from a feed, a receiver or a seed for a rich table: controls dropped, never read as markup
    (a title with `[/b]` crashed the table; one with `[link=...]` put markup in the operator's terminal)."""
    return Text(printable(value, limit))


def row_json(row: FeedRow) -> str:
    data = asdict(row)
    for key in ("last_success", "next_poll"):
        data[key] = data[key].isoformat(timespec="seconds") if data[key] else None
    return json.dumps(data, ensure_ascii=False)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(find_config(args.config))
    store = Store(settings.state_url, readonly=True)
    try:
        rows = feed_rows(settings, store)
    finally:
        store.close()
    if args.json:
        for row in rows:
            print(row_json(row), flush=True)
    else:
        Console().print(feeds_table(rows, utcnow()))
    return 0


def run_add(args: argparse.Namespace) -> int:
    path = find_config(args.config)
    settings = load_settings(path)  # the file must be valid before we touch it
    feed = NewFeed(args.url.strip(), args.name.strip(), args.lang.strip() if args.lang else None)
    problem = check_feed(feed)
    if problem:
        raise ConfigError(f"{feed.url}: {problem}")
    if any(f.url == feed.url for f in settings.feeds):
        raise ConfigError(f"{path}: {feed.url} is already in the config")
    append_feeds(path, [feed])
    print(f"added {feed.url} to {path}; {reload_hint(settings)}")
    return 0


def run_enable(args: argparse.Namespace) -> int:
    settings = load_settings(find_config(args.config))
    feed = next((f for f in settings.feeds if f.url == args.url), None)
    if feed is None:
        raise ConfigError(f"{settings.path}: {args.url} is not a configured feed")
    store = Store(settings.state_url)
    try:
        state = store.feed_state(args.url)
        if not state.disabled:
            print(f"{args.url} is not disabled")
            return 0
        # the person enabling it knows: no "recovered" notice will follow, and it is not shown as silent
        store.save_feed_state(replace(state, disabled=False, consecutive_failures=0, failing_since=None, health="ok", next_poll=utcnow()), feed.name)
    finally:
        store.close()
    print(f"enabled {args.url}; {reload_hint(settings)}")
    return 0


def reload_hint(settings: Settings) -> str:
    """How to make the running daemon (if any) pick up a config change."""
    pid = lock_holder(settings)
    if pid and pid > 0:
        return f"the daemon (pid {pid}) polls it after `systemctl reload seedwatch` or `kill -HUP {pid}`"
    return "the daemon polls it from its next start (or `systemctl reload seedwatch` if it runs elsewhere)"
