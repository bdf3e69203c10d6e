"""Stories against the zoo's events: does one alert per development hold?

For each dev seed of ../shared/eval/zoo (those with events.jsonl), the pool is served as feeds
in publication order (one feed per outlet, one feed run per item) through the daemon's decision
path: the real `monitor.pipeline.commit` with the real store on a temporary SQLite file, stories
off and on. Which items alert with stories off is pluggable:

- `--alerts labels` (the oracle): an item alerts iff it is graded 2;
- `--alerts engine`: the relevance engine's own decision (`monitor.relevance.engine`, the semantic model included), each seed alone.

Per seed it prints the events, the alerts without stories, the alerts with stories (first
alerts + updates), events kept (events with an alert without stories that still get an alert
or an update with stories: target 100 %) and alerts per event (alerts and updates on event items
over the events that get any: target <= 1.2), beside today's figures (bench/events_baseline.json:
the MinHash clustering before issue 14, measured by this script's first version at a101c79), then
the largest stories for a hand check.

    SEEDWATCH_SHARED=/work/shared .venv/bin/python bench/bench_events.py [--alerts labels|engine] [--lexical] [--top 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.zoo import ZOO, Pool, VectorCache, pools  # noqa: E402
from monitor import wire  # noqa: E402
from monitor.delivery.alerts import make_alert  # noqa: E402
from monitor.pipeline import StoryMembers, commit  # noqa: E402
from monitor.relevance.engine import Relevance  # noqa: E402
from monitor.store import Store, StoryRow  # noqa: E402
from monitor.stories.cluster import Rules  # noqa: E402
from monitor.types import FeedItem, FeedState, Match, TopicProfile  # noqa: E402

BASELINE = ROOT / "bench" / "events_baseline.json"
THRESHOLD = 0.5  # the default monitor.threshold: the zoo is evaluated at it


@dataclass(frozen=True)
class Figures:
    events: int
    without: int  # alerts with stories off
    with_stories: int  # first alerts + updates
    updates: int
    kept: int  # events with an alert off that keep one on
    eligible: int  # events with an alert off
    on_events: int  # alerts and updates on event items
    reached: int  # events that get any alert or update

    @property
    def per_event(self) -> float:
        return self.on_events / self.reached if self.reached else 0.0


def matches(pool: Pool, engine: Relevance, profile: TopicProfile, mode: str) -> tuple[list[tuple[FeedItem, Match]], dict]:
    """The items that alert with stories off, with their matches, in publication order, and the
    vectors the engine made for them (as a feed run hands them to the story stage).

    The oracle (`labels`) still takes the engine's match (its evidence) for each grade-2 item.
    """
    out, vectors = [], {}
    prepared = [engine.prepare(item, [profile]) for item in pool.items]
    for item, ready, vector in zip(pool.items, prepared, engine.vectors(prepared)):
        match = engine.score(ready.text, profile, vector, ready.lexical[0])
        if (pool.grades.get(item.key) == 2) if mode == "labels" else match.alert:
            out.append((item, match if match.alert else replace(match, alert=True, band="alert")))
            if vector is not None:
                vectors[item.key] = vector
    return out, vectors


def replay(pool: Pool, alerting: list[tuple[FeedItem, Match]], profile: TopicProfile | None, stories: bool, vectors: dict) -> tuple[set[str], list[StoryRow]]:
    """Keys of the items that alerted, and the stories, after one feed run per item (with its
    vector, as the pipeline hands it over, unless `vectors` is empty: the semantic signal off)."""
    sent: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        store, members = Store(f"sqlite:///{tmp}/bench.db"), StoryMembers()
        try:
            for item, match in alerting:
                polled = item.published or datetime.now(timezone.utc)
                alert = make_alert(item, match, profile or TopicProfile(pool.name, pool.seed.title, pool.seed.lang, (), THRESHOLD), polled, item.source)
                queued = [(alert, wire.alert(alert), ["bench"])]
                _, alerts = commit(store, members, FeedState(url=item.feed_url), item.source, polled, [item], queued, rules=Rules() if stories else None, vectors=vectors)
                sent.update(a.item.key for a in alerts)
            rows = store.recent_stories(datetime(1970, 1, 2, tzinfo=timezone.utc), pool.name, limit=1_000_000)
        finally:
            store.close()
    return sent, rows


def figures(pool: Pool, off: set[str], on: set[str], updates: int) -> Figures:
    eligible = {pool.events[k] for k in off if k in pool.events}
    reached = {pool.events[k] for k in on if k in pool.events}
    return Figures(len(set(pool.events.values())), len(off), len(on), updates, len(eligible & reached), len(eligible), sum(1 for k in on if k in pool.events), len(reached))


def hand_check(pool: Pool, rows: list[StoryRow], top: int) -> None:
    print(f"  largest {top} stories:")
    for rank, row in enumerate(sorted(rows, key=lambda r: (-len(r.items), r.created_at, r.id))[:top], 1):
        events = Counter(pool.events.get(i.key, f"grade {pool.grades.get(i.key, '?')}") for i in row.items)
        print(f"  {rank}. {len(row.items)} items, {sum(1 for i in row.items if i.alert_id)} alerts: " + ", ".join(f"{e} x{n}" for e, n in events.most_common()))
        for i in row.items:
            mark = "U" if i.update else ("A" if i.alert_id else " ")
            print(f"       {mark} {i.at:%m-%d %H:%M} {pool.events.get(i.key, '-')[:24]:24} {i.source[:14]:14} {i.title[:80]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", default=str(ZOO))
    parser.add_argument("--alerts", choices=("labels", "engine"), default="labels")
    parser.add_argument("--seed", action="append", default=[], help="only this zoo seed (repeatable)")
    parser.add_argument("--top", type=int, default=5, help="largest stories to print per seed")
    parser.add_argument("--lexical", action="store_true", help="no item vectors: the semantic signal off")
    args = parser.parse_args()
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    cache = VectorCache()
    engine = Relevance(None if args.lexical else cache.embed)
    for pool in pools(Path(args.zoo), args.seed):
        profile = engine.profile(pool.seed, THRESHOLD, 0.3)
        alerting, made = matches(pool, engine, profile, args.alerts)
        vectors = {} if args.lexical else (made if args.alerts == "engine" else cache.vectors([i for i, _ in alerting]))
        off, _ = replay(pool, alerting, profile, False, vectors)
        on, rows = replay(pool, alerting, profile, True, vectors)
        fig = figures(pool, off, on, sum(1 for r in rows for i in r.items if i.update))
        was = baseline.get(args.alerts, {}).get(pool.name)
        print(f"{pool.name} ({args.alerts}{', lexical' if args.lexical else ''}): events {fig.events}, alerts without stories {fig.without}, with stories {fig.with_stories} "
              f"({fig.with_stories - fig.updates} first + {fig.updates} updates), events kept {fig.kept}/{fig.eligible}, alerts per event {fig.per_event:.2f}"
              + (f", alerts on items of no event {fig.with_stories - fig.on_events}" if fig.with_stories > fig.on_events else ""))
        if was:
            old = Figures(**was)
            print(f"  today (MinHash): with stories {old.with_stories} ({old.with_stories - old.updates} first + {old.updates} updates), "
                  f"events kept {old.kept}/{old.eligible}, alerts per event {old.per_event:.2f}")
        if args.top:
            hand_check(pool, rows, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
