"""Acceptance replay for stories: alerts on ../shared/corpus for the first seed, without and with clustering.

Scores every corpus item against the seed's profile, then feeds the alerting items in
published-time order through the real store path (`monitor.pipeline.commit` with story rules and
each item's vector, one SQLite transaction per item, as a feed run would) and prints the counts,
timings and the largest clusters with their titles, sources and join reasons.

    /work/venv/bin/python bench/bench_stories.py [--corpus DIR] [--seed ID] [--top 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.zoo import VectorCache  # noqa: E402
from monitor import wire  # noqa: E402
from monitor.delivery.alerts import make_alert  # noqa: E402
from monitor.pipeline import (  # noqa: E402
    StoryMembers,
    commit,
    story_rules,  # noqa: E402
)
from monitor.service.loading import load  # noqa: E402
from monitor.store import Store  # noqa: E402
from monitor.types import FeedItem, FeedState  # noqa: E402


def read_corpus(folder: Path) -> tuple[list[FeedItem], int]:
    """Corpus lines as FeedItems; items without a publication time are counted and skipped."""
    out, undated = [], 0
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                published = _when(d.get("published"))
                if published is None:
                    undated += 1
                    continue
                out.append(FeedItem(d["id"], d.get("feed") or path.name, d["title"], d.get("url"), d.get("summary") or "", published, d.get("source") or "", d.get("lang")))
    return out, undated


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--config", default=str(ROOT / "config" / "seedwatch.toml"))
    parser.add_argument("--seed", help="seed id (default: the first seed)")
    parser.add_argument("--top", type=int, default=10, help="largest clusters to print")
    parser.add_argument("--similarity", type=float, help="override [stories] similarity")
    parser.add_argument("--lexical", action="store_true", help="no item vectors: the semantic signal off")
    args = parser.parse_args()

    loaded = load(args.config)  # scored without the model (names, terms, the catalogue): the corpus is 19,748 items
    settings, seeds, profiles, engine = loaded.settings, loaded.seeds, loaded.profiles, loaded.engine
    index = next(i for i, s in enumerate(seeds) if s.id == args.seed) if args.seed else 0
    seed, profile = seeds[index], profiles[index]
    rules = story_rules(settings)
    if args.similarity is not None:
        rules = replace(rules, similarity=args.similarity)
    if not sorted(Path(args.corpus).glob("*.jsonl")):
        print(f"bench_stories: no *.jsonl corpus files in {args.corpus} (pass --corpus DIR)", file=sys.stderr)
        return 2
    items, undated = read_corpus(Path(args.corpus))
    print(f"seed {seed.id}: {seed.title}")
    print(f"corpus {args.corpus}: {len(items)} dated items ({undated} without a date skipped)")
    print(f"rules: window {rules.window}, similarity {rules.similarity}")

    started = time.perf_counter()
    matches = [(item, engine.score(engine.read(item), profile)) for item in items]
    scoring = time.perf_counter() - started
    alerting = sorted(((i, m) for i, m in matches if m.alert), key=lambda im: (im[0].published, im[0].key))
    print(f"scored {len(items)} items in {scoring:.2f} s ({len(items) / scoring:.0f} items/s)")

    started = time.perf_counter()
    vectors = {} if args.lexical else VectorCache().vectors([i for i, _ in alerting])
    print(f"vectors of {len(vectors)} alerting items in {time.perf_counter() - started:.1f} s (cached in bench/.cache)")
    with tempfile.TemporaryDirectory() as tmp:
        store, members = Store(f"sqlite:///{tmp}/bench.db"), StoryMembers()
        started = time.perf_counter()
        queued = 0
        for item, match in alerting:
            alert = make_alert(item, match, profile, item.published, "bench")
            _, alerts = commit(store, members, FeedState(url=item.feed_url), "bench", item.published, [item], [(alert, wire.alert(alert), ["bench"])], rules=rules, vectors=vectors)
            queued += len(alerts)
        placing = time.perf_counter() - started
        stories = store.recent_stories(datetime(1970, 1, 2, tzinfo=timezone.utc), profile.seed_id, limit=1_000_000)
        store.close()

    members = [i for s in stories for i in s.items]
    updates = sum(1 for i in members if i.update)
    kinds = Counter(_kind(i.reason) for i in members)
    print(f"alerts without clustering: {len(alerting)}")
    print(f"alerts with clustering:    {queued} ({len(stories)} stories: {len(stories)} first alerts + {updates} updates; {len(members) - queued} items attached without an alert)")
    print("how items were placed: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    print(f"store path: {len(alerting)} items placed in {placing:.2f} s ({1000 * placing / max(1, len(alerting)):.1f} ms/item, one transaction each)")
    sizes = Counter(len(s.items) for s in stories)
    print("story sizes: " + ", ".join(f"{n} item{'s' if n > 1 else ''} x{c}" for n, c in sorted(sizes.items())))
    print(f"\nlargest {args.top} clusters:")
    for rank, s in enumerate(sorted(stories, key=lambda s: (-len(s.items), s.created_at))[: args.top], 1):
        sources = Counter(i.source for i in s.items)
        print(f"{rank:2}. {s.id}  {len(s.items)} items, {sum(1 for i in s.items if i.alert_id)} alerts, {len(sources)} sources  {s.created_at:%Y-%m-%d %H:%M} .. {s.last_at:%Y-%m-%d %H:%M}")
        for i in s.items:
            mark = "U" if i.update else ("A" if i.alert_id else " ")
            print(f"      {mark} {i.at:%m-%d %H:%M} [{i.lang}] {i.source}: {i.title[:110]}")
            if not i.alert_id or i.update:
                print(f"          <- {i.reason[:160]}")
    return 0


def _kind(reason: str) -> str:
    if reason.startswith("near-duplicate"):
        return "containment" if "words shared" in reason else "near-duplicate"
    for start, kind in (("update", "update"), ("same event", "same event"), ("nothing new", "nothing new"), ("first", "new story"), ("coverage", "coverage of an alert"), ("opinion", "opinion")):
        if reason.startswith(start):
            return kind
    return "other"


if __name__ == "__main__":
    raise SystemExit(main())
