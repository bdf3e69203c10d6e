"""`seedwatch stories`: recent stories, their events (first report, outlets) and items, and why
each item joined (similarity, shared names, hours apart) or alerted (what was new)."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

from monitor.cli import add_config_arg, positive_int
from monitor.config import find_config, load_settings, parse_duration
from monitor.errors import ConfigError
from monitor.relevance.seeds import seed_files
from monitor.service.clock import utcnow
from monitor.store import Store, StoryItemRow, StoryRow
from monitor.text import printable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stories", help="list recent stories (one alert each) with their items and sources")
    add_config_arg(p)
    p.add_argument("--seed", metavar="S", help="only stories of this seed id")
    p.add_argument("--since", metavar="DURATION", type=_duration, help="stories active within this long (default: [stories] window)")
    p.add_argument("--limit", type=positive_int, default=50, metavar="N", help="at most this many stories (default 50)")
    p.add_argument("--json", action="store_true", help="print one JSON object per story")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(find_config(args.config))
    since = args.since if args.since is not None else settings.stories.window
    store = Store(settings.state_url, readonly=True)
    try:
        rows = store.recent_stories(utcnow() - timedelta(seconds=since), args.seed, args.limit)
    finally:
        store.close()
    for row in rows:
        print(json.dumps(as_json(row), ensure_ascii=False) if args.json else as_text(row), flush=True)
    if not rows and args.seed and args.seed not in (ids := [p.stem for p in seed_files(settings.seeds_dir)]):
        # a seed whose file was removed may still have stories: only an id with neither is a mistake
        raise ConfigError(f"no seed {args.seed!r} in {settings.seeds_dir} (the id is the seed file's stem); seeds: {', '.join(ids) or 'none'}")
    if not args.json and not rows:
        print("no stories in the window")
    return 0


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def events(row: StoryRow) -> list[tuple[str, list[StoryItemRow]]]:
    """The story's events in the order they began, each with its items (oldest first); items
    placed before events had an event each story is one."""
    out: dict[str, list[StoryItemRow]] = {}
    for i in row.items:
        out.setdefault(i.event_id or row.id, []).append(i)
    return list(out.items())


def as_json(row: StoryRow) -> dict:
    return {
        "id": row.id,
        "seed": row.seed_id,
        "title": row.title,
        "first": row.created_at.isoformat(),
        "last": row.last_at.isoformat(),
        "alerts": sum(1 for i in row.items if i.alert_id),
        "sources": list(dict.fromkeys(i.source for i in row.items)),
        "events": [
            {
                "id": eid,
                "first": {"key": items[0].key, "title": items[0].title, "source": items[0].source, "at": items[0].at.isoformat()},
                "sources": list(dict.fromkeys(i.source for i in items)),
                "items": [i.key for i in items],
                "alerted": any(i.alert_id for i in items),
            }
            for eid, items in events(row)
        ],
        "items": [
            {
                "key": i.key, "title": i.title, "url": i.url, "source": i.source, "lang": i.lang, "at": i.at.isoformat(),
                "score": round(i.score, 4), "groups": list(i.groups), "alert": i.alert_id, "update": i.update, "reason": i.reason,
                "event": i.event_id or row.id, "why": i.why, "new": i.why.get("new", []),
            }
            for i in row.items
        ],
    }


def as_text(row: StoryRow) -> str:
    """A story for a terminal: every text from the feeds through `printable` (no escape sequences)."""
    p = printable
    sources = ", ".join(dict.fromkeys(p(i.source) for i in row.items))
    grouped = events(row)
    lines = [
        f"{row.id}  {p(row.seed_id)}  {len(row.items)} items, {len(grouped)} event{'s' if len(grouped) != 1 else ''}  {row.created_at:%Y-%m-%d %H:%M} .. {row.last_at:%Y-%m-%d %H:%M}  [{sources}]",
        f"  {p(row.title)}",
    ]
    for n, (_, items) in enumerate(grouped, 1):
        first = items[0]
        outlets = ", ".join(dict.fromkeys(p(i.source) for i in items))
        lines.append(f"  event {n}: first reported {first.at:%m-%d %H:%M} by {p(first.source) or '?'}: {p(first.title)}  [{outlets}]")
        for i in items:
            mark = "UPDATE" if i.update else ("ALERT " if i.alert_id else "      ")
            lines.append(f"    {mark} {i.at:%m-%d %H:%M} {i.score:.2f} {p(i.source)} [{p(i.lang) or '?'}] {p(i.title)}")
            lines.append(f"           {p(i.url)}  ({p(i.reason)})")
            if i.why.get("new"):
                lines.append(f"           new: {p(', '.join(i.why['new']))}")
    return "\n".join(lines)
