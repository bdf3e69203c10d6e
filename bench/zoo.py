"""The zoo's dev seeds for the story benches: each seed's pool, grades and events, and item vectors.

A pool (../shared/eval/zoo/<seed>/) is a seed.txt, items.jsonl (corpus fields), labels.jsonl
(grade per item) and events.jsonl (the event of each grade-2 item). Items come back in
publication order, ties broken by key, as a daemon polling their feeds would meet them.

Vectors are what the pipeline embeds (`semantic.embed_input` of title and summary), cached by
content in bench/.cache/vectors.db (gitignored), so a rerun embeds nothing and a change of model
or input embeds afresh.
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
from monitor.relevance.semantic import CachedEmbedder, E5Embedder, embed_input
from monitor.store import Store
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
    """Item vectors as the pipeline makes them, cached by content in a SQLite store under
    bench/.cache/ (the store's own vector cache, monitor.store.vectors): a rerun embeds nothing."""

    def __init__(self, folder: Path = CACHE) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.store = Store(f"sqlite:///{folder / 'vectors.db'}")
        self.embed = CachedEmbedder(E5Embedder(), self.store.cached_vectors, lambda rows: self.store.cache_vectors(rows, datetime.now(timezone.utc)))

    def vectors(self, items: Sequence[FeedItem]) -> dict[str, np.ndarray]:
        if not items:
            return {}
        made = self.embed([embed_input(i.title, i.summary) for i in items])
        return {item.key: vector for item, vector in zip(items, made)}
