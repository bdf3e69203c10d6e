"""The zoo's dev seeds for the story benches: each seed's pool, grades and events, and item vectors.

A pool (../shared/eval/zoo/<seed>/) is a seed.txt, items.jsonl (corpus fields), labels.jsonl
(grade per item) and events.jsonl (the event of each grade-2 item). Items come back in
publication order, ties broken by key, as a daemon polling their feeds would meet them.

Vectors are what the pipeline embeds (`semantic.embed_input` of title and summary), cached in
bench/.cache/vectors/ (gitignored) under the hash of the model tag and the text, so a rerun
embeds nothing and a change of model or input embeds afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from monitor.relevance.seeds import load_seed
from monitor.relevance.semantic import DIM, MODEL_TAG, E5Embedder, embed_input
from monitor.types import FeedItem, Seed

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SEEDWATCH_SHARED") or ROOT.parent / "shared")
ZOO = SHARED / "eval" / "zoo"
CACHE = ROOT / "bench" / ".cache" / "vectors"


@dataclass(frozen=True)
class Pool:
    """One dev seed: its seed, its items in publication order, their grades and events."""

    name: str
    seed: Seed
    items: tuple[FeedItem, ...]
    grades: dict[str, int]
    events: dict[str, str]  # item key -> event, for the grade-2 items


def pools(zoo: Path = ZOO, names: Sequence[str] = ()) -> list[Pool]:
    """Every seed folder of the zoo that has events.jsonl (or only those named), by name."""
    folders = sorted(p for p in zoo.iterdir() if (p / "events.jsonl").exists())
    return [load_pool(p) for p in folders if not names or p.name in names]


def load_pool(folder: Path) -> Pool:
    items = [_item(json.loads(line), folder.name) for line in _lines(folder / "items.jsonl")]
    items.sort(key=lambda i: (i.published or datetime.min.replace(tzinfo=timezone.utc), i.key))
    grades = {d["id"]: int(d["grade"]) for d in map(json.loads, _lines(folder / "labels.jsonl"))}
    events = {d["id"]: d["event"] for d in map(json.loads, _lines(folder / "events.jsonl"))}
    seed = load_seed(folder / "seed.txt")
    return Pool(folder.name, Seed(folder.name, seed.title, seed.text, seed.lang, seed.path), tuple(items), grades, events)


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _item(d: dict, pool: str) -> FeedItem:
    published = datetime.fromisoformat(d["published"].replace("Z", "+00:00")) if d.get("published") else None
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=timezone.utc)
    source = d.get("source") or ""
    feed = f"http://{pool}.zoo.example/{hashlib.sha1(source.encode()).hexdigest()[:8]}"  # one feed per outlet
    return FeedItem(d["id"], feed, d["title"], d.get("url"), d.get("summary") or "", published, source, d.get("lang"))


class VectorCache:
    """Item vectors by content hash, embedded once and kept on disk."""

    def __init__(self, folder: Path = CACHE) -> None:
        self.folder = folder
        self._embedder = E5Embedder()

    def vectors(self, items: Sequence[FeedItem]) -> dict[str, np.ndarray]:
        texts = {i.key: embed_input(i.title, i.summary) for i in items}
        paths = {k: self.folder / f"{hashlib.sha256(f'{MODEL_TAG}|{t}'.encode()).hexdigest()}.npy" for k, t in texts.items()}
        missing = sorted(k for k, p in paths.items() if not p.exists())
        if missing:
            self.folder.mkdir(parents=True, exist_ok=True)
            for key, vector in zip(missing, self._embedder([texts[k] for k in missing])):
                np.save(paths[key], vector.astype(np.float32))
        out = {k: np.load(p) for k, p in paths.items()}
        assert all(v.shape == (DIM,) for v in out.values())
        return out
