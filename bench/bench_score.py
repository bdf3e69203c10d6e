"""Scoring throughput: items/s over ../shared/corpus/*.jsonl with the first seed (or N copies of it).

    python bench/bench_score.py [--corpus DIR] [--seeds N] [--repeat R]

Prints one line: items, seeds, the best of R passes in wall and CPU seconds, items/s for each
(items scored against all N seeds per second). CPU time is what one core delivers even when the
machine is shared; wall time is what a user waits. Copies of a seed share one alias index, as
profiles without alias overrides do in the daemon.
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

from monitor.relevance.score import score  # noqa: E402
from monitor.relevance.seeds import load_seeds  # noqa: E402
from monitor.relevance.topics import build_profile  # noqa: E402
from monitor.types import FeedItem  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--seeds", type=int, default=1, help="score against N copies of the first seed")
    ap.add_argument("--repeat", type=int, default=3, help="passes; the best one is reported")
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
    wall, cpu = [], []
    for _ in range(args.repeat):
        alerts = 0
        w0, c0 = time.perf_counter(), time.process_time()
        for item in items:
            for p in profiles:
                alerts += score(item, p).alert
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    n = len(items)
    print(
        f"items={n} seeds={args.seeds} best_of={args.repeat} wall_s={min(wall):.2f} cpu_s={min(cpu):.2f} "
        f"items_per_s_wall={n / min(wall):.0f} items_per_s_cpu={n / min(cpu):.0f} alerts_per_seed={alerts // args.seeds}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
