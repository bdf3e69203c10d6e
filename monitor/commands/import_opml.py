"""`seedwatch import-opml FILE`: add the feeds of an OPML subscription list to the config."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.cli import add_config_arg
from monitor.commands.feeds import reload_hint
from monitor.config import find_config, load_settings
from monitor.config.edit import NewFeed, append_feeds, check_feed
from monitor.errors import ConfigError
from monitor.ingest.opml import parse_opml
from monitor.urls import Url, parse_url


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import-opml", help="add the feeds of an OPML file to the config, keeping its comments")
    p.add_argument("file", help="OPML file (as exported by a feed reader)")
    p.add_argument("--dry-run", action="store_true", help="show what would be added, change nothing")
    add_config_arg(p)
    p.set_defaults(func=run)


def same_feed(url: str) -> str:
    """What the config's duplicate check compares: spellings of one address are one feed."""
    parsed = parse_url(url)
    return parsed.key if isinstance(parsed, Url) else url


def run(args: argparse.Namespace) -> int:
    path = find_config(args.config)
    settings = load_settings(path)
    source = Path(args.file)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
    known = {same_feed(f.url) for f in settings.feeds}
    new: list[NewFeed] = []
    present = invalid = 0
    for item in parse_opml(data, str(source)):
        feed = NewFeed(item.url, item.name, item.lang)
        problem = check_feed(feed)
        if problem:
            invalid += 1
            print(f"skipped  {source}:{item.line}: {item.url}: {problem}")
        elif same_feed(item.url) in known:
            present += 1
        else:
            known.add(same_feed(item.url))
            new.append(feed)
            print(f"{'would add' if args.dry_run else 'added'}  {item.name or '-'}  {item.url}")
    if new and not args.dry_run:
        append_feeds(path, new)
    verb = "would add" if args.dry_run else "added"
    print(f"{verb} {len(new)}, already present {present}, invalid {invalid}" + (f"; {reload_hint(settings)}" if new and not args.dry_run else ""))
    return 0
