"""Scoring throughput over ../shared/corpus, with 1 and with N seeds, the semantic signal on and off.

    .venv/bin/python bench/bench_score.py [--seeds 1,10] [--embed-sample 600]

The seeds are the bundled first seed and the zoo's dev seeds, repeated (with other ids) up to N.
Reported per seed count, best of --repeat passes, on this machine (2 cores):
- `read + lexical + catalogue`: every corpus item read once and scored against every seed, no
  vectors (what `monitor.semantic = false` costs), items/s of CPU and of wall time;
- `wants a vector`: the share of items sharing a word with some seed (only those are embedded);
- `embedding`: items/s of the model on a sample (`--embed-sample` items, both cores, batches of 64);
- `with semantic`: the items/s a feed run reaches: 1 / (1/lexical + share/embedding).
Nothing is cached between passes (a fresh in-memory vector list each time).
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

from monitor.relevance.engine import Relevance  # noqa: E402
from monitor.relevance.seeds import load_seed  # noqa: E402
from monitor.relevance.semantic import E5Embedder  # noqa: E402
from monitor.types import FeedItem  # noqa: E402

SHARED = ROOT.parent / "shared"


def corpus(folder: Path) -> list[FeedItem]:
    items = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            d = json.loads(line)
            items.append(FeedItem(d["id"], "", d.get("title") or "", d.get("url"), d.get("summary") or "", None, d.get("source") or "", d.get("lang")))
    return items


def seed_files() -> list[Path]:
    return [ROOT / "seeds" / "000_3cec3928e0cca43c.txt", *sorted((SHARED / "eval" / "zoo").glob("*/seed.txt"))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(SHARED / "corpus"))
    ap.add_argument("--seeds", default="1,10", help="seed counts to measure")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--embed-sample", type=int, default=600)
    args = ap.parse_args()
    items = corpus(Path(args.corpus))
    if not items:
        print(f"no corpus in {args.corpus}", file=sys.stderr)
        return 2
    embed = E5Embedder()
    engine = Relevance(embed)
    base = [engine.profile(load_seed(p), 0.5, 0.3) for p in seed_files() if p.exists()]
    sample = items[:: max(1, len(items) // args.embed_sample)][: args.embed_sample]
    texts = [engine.read(i).embed_input for i in sample]
    embed(texts[:8])  # load the model outside the timing
    started = time.perf_counter()
    for k in range(0, len(texts), 64):
        embed(texts[k : k + 64])
    embed_rate = len(texts) / (time.perf_counter() - started)
    print(f"embedding: {embed_rate:.1f} items/s ({len(texts)} corpus items, title + {200} characters, 2 threads)\n")
    print("| seeds | items | read + lexical + catalogue, items/s (CPU / wall) | wants a vector | with semantic, items/s |")
    print("|---|---|---|---|---|")
    for count in (int(c) for c in args.seeds.split(",")):
        profiles = [replace(base[i % len(base)], seed_id=f"{base[i % len(base)].seed_id}#{i}") for i in range(count)]
        cpu, wall, wanted = [], [], 0
        for _ in range(args.repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            wanted = 0
            for item in items:
                ready = engine.prepare(item, profiles)
                wanted += ready.wants_vector
                for profile, found in zip(profiles, ready.lexical):
                    engine.score(ready.text, profile, None, found)
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
        lexical = len(items) / min(cpu)
        share = wanted / len(items)
        combined = 1 / (1 / lexical + share / embed_rate)
        print(f"| {count} | {len(items)} | {lexical:.0f} / {len(items) / min(wall):.0f} | {share:.1%} | {combined:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
