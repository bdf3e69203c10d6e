"""`seedwatch explain --seed S (--text ... | --file F | --url URL)`: score one text and say why."""

from __future__ import annotations

import argparse
from pathlib import Path

from bs4 import BeautifulSoup

from monitor.cli import add_config_arg
from monitor.errors import ConfigError
from monitor.ingest.clean import html_to_text
from monitor.ingest.fetch import Fetcher
from monitor.ingest.netguard import Guard
from monitor.service.app import scoring
from monitor.text import printable
from monitor.types import FeedItem, FeedState, Fetched


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="score a text, file or web page against a seed and explain the score")
    p.add_argument("--seed", required=True, help="seed id (the seed file's stem)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the text; its first line is taken as the title")
    src.add_argument("--file", help="a UTF-8 text file; its first line is taken as the title")
    src.add_argument("--url", help="a web page, fetched with the configured limits")
    add_config_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with scoring(args.config) as loaded:
        profile = next((p for p in loaded.profiles if p.seed_id == args.seed), None)
        if profile is None:
            raise ConfigError(f"no seed {args.seed!r}; seeds: {', '.join(p.seed_id for p in loaded.profiles)}")
        if args.text is not None:
            text = args.text
        elif args.file is not None:
            try:
                text = Path(args.file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{args.file}: cannot read: {exc}") from None
        else:
            text = _fetch_text(args.url, loaded.settings)
        title, _, rest = text.strip().partition("\n")
        item = FeedItem(key="explain", feed_url="", title=title.strip(), url=args.url, summary=rest.strip()[:1500], published=None, source="explain", text=rest.strip())
        engine = loaded.engine
        ready = engine.prepare(item, [profile])
        [vector] = engine.vectors([ready]) if ready.wants_vector else [None]
        match = engine.score(ready.text, profile, vector, ready.lexical[0])
    print(f"seed     {printable(profile.seed_id)}: {printable(profile.seed_title)}")
    print(f"score    {match.score:.3f} (alert at {profile.threshold:g}, related at {profile.related_threshold:g}) -> {'ALERT' if match.alert else 'related development' if match.band == 'related' else 'no alert'}")
    for part, why in match.why:  # seed sentences and item words: text from outside, never raw to the terminal
        print(f"{part:<9}{printable(why)}")
    for m in match.matched:
        print(f"  {printable(m.group):<24} {printable(m.term)!r} in {m.where}")
    return 0


def _fetch_text(url: str, settings) -> str:
    """The page's text via the project's Fetcher (limits, timeouts); a clear error when it fails."""
    fetcher = Fetcher(settings.fetch, Guard.from_settings(settings.monitor))
    try:
        result = fetcher.fetch(url, FeedState(url))
    finally:
        fetcher.close()
    if not isinstance(result, Fetched):
        raise ConfigError(f"{url}: cannot fetch: {getattr(result, 'message', 'not modified')}")
    # A web page: its <title> (or first <h1>) is the title, the rest of the body the text.
    soup = BeautifulSoup(result.body, "lxml")
    heading = soup.find("h1") or soup.title
    title = heading.get_text(" ", strip=True) if heading else ""
    if heading is not None:
        heading.decompose()
    for tag in soup(["script", "style", "nav", "header", "footer"]):
        tag.decompose()
    return title + "\n" + html_to_text(str(soup.body or soup))
