"""Scoring throughput: items/s over ../shared/corpus/*.jsonl with the first seed (or N copies of it).

    python bench/bench_score.py [--corpus DIR] [--seeds N] [--repeat R]

Prints one line: items, seeds, seconds, items/s (item x seed scorings per second / seeds).
Tokenisation is cached per text, so copies of a seed measure the per-profile matching cost.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.score import score  # noqa: E402
from monitor.seeds import load_seeds  # noqa: E402
from monitor.topics import build_profile  # noqa: E402
from monitor.types import FeedItem  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--seeds", type=int, default=1, help="score against N copies of the first seed")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    items = []
    for path in sorted(Path(args.corpus).glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            d = json.loads(line)
            items.append(FeedItem(d["id"], "", d.get("title") or "", d.get("url"), d.get("summary") or "", None, d.get("source") or "", d.get("lang")))
    seed = load_seeds(ROOT / "seeds")[0]
    base = build_profile(seed, 0.5)
    profiles = [replace(base, seed_id=f"{base.seed_id}#{i}", matcher=None) for i in range(args.seeds)]
    for p in profiles:  # compile outside the timed loop, as the daemon does once at start
        score(items[0], p)
    alerts = 0
    started = time.perf_counter()
    for _ in range(args.repeat):
        for item in items:
            for p in profiles:
                alerts += score(item, p).alert
    elapsed = time.perf_counter() - started
    n = len(items) * args.repeat
    print(f"items={n} seeds={args.seeds} seconds={elapsed:.2f} items_per_s={n / elapsed:.0f} alerts={alerts // args.seeds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
