"""Is this item a report of that event? A handful of features and a logistic model (pure).

After Miranda et al. (EMNLP 2018, multilingual news clustering): similarities per kind of
evidence, a time feature, and a learned decision. An entry is compared with each open event of
its seed (the event's items seen so far) on:

| feature | what it measures |
| --- | --- |
| `similarity` | mean cosine of the entry's vector with the event's items, minus its usual cosine with the seed's other open items (every alert of a seed is close to every other: only the excess says "this event") |
| `shared` | share of the entry's marks (names, numbers, terms) the event has, each weighted by its rarity among the seed's open items (a name every item carries weighs nothing) |
| `gap` | log(1 + hours to the event's nearest item): a decaying window, not a hard cut |
| `outlet` | exp(-hours / OUTLET_HOURS) to the event's nearest item from the same outlet: one outlet rarely files the same report twice within hours |
| `copy` | estimated Jaccard similarity (MinHash) with the event's closest item |

What a headline names that its story had not (a new actor, a later toll) is no feature: on the
zoo it does not tell events apart (commentary on an event names new people and coins new words
as readily as a development does), and fitted, its weight came out pointing the wrong way. It
decides instead where its meaning is plain: an update must name something new (cluster.py).

Without vectors (semantic signal off, or stored by another model) the `lexical` model decides,
fitted on the same data without `similarity`. Coefficients, the thresholds and the figures they
reached are data (data/events.toml), written by bench/fit_events.py.
"""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from monitor.stories import nearcopy
from monitor.stories.entries import Entry

OUTLET_HOURS = 6.0
MIN_CONTEXT = 3  # weight of the prior mean cosine, in items, against the entry's cosines with other events' items


@dataclass(frozen=True)
class Context:
    """What every feature of one entry shares: mark weights among the open items, the entry's
    cosine with each open item that has a vector, and the prior mean cosine."""

    weights: Mapping[str, float]
    cosines: Mapping[str, float]
    prior_similarity: float

    def weight(self, key: str) -> float:
        return self.weights.get(key, 0.0)

    def baseline(self, event_keys: frozenset[str]) -> float:
        """The entry's usual cosine with the seed's items outside the event: their mean, shrunk
        towards the prior as if MIN_CONTEXT prior items were among them (few items say little)."""
        others = [c for k, c in self.cosines.items() if k not in event_keys]
        return (sum(others) + MIN_CONTEXT * self.prior_similarity) / (len(others) + MIN_CONTEXT)


def context(entry: Entry, open_items: Sequence[Entry], prior_similarity: float, language_gap: float = 0.0) -> Context:
    """Weights are inverse document frequencies over the open items and the entry itself.

    A cosine across two languages is raised by `language_gap`: e5 puts any two items of one
    language closer than two of different languages, so a translation would otherwise look
    like a looser report than a paraphrase.
    """
    n = len(open_items) + 1
    df = Counter(k for e in (*open_items, entry) for k in e.marks.keys)
    weights = {k: math.log((n + 1) / (d + 0.5)) for k, d in df.items()}
    with_vectors = [e for e in open_items if e.vector is not None]
    cosines = {}
    if entry.vector is not None and with_vectors:
        raw = (np.stack([e.vector for e in with_vectors]) @ entry.vector).tolist()
        cosines = {e.key: c + (language_gap if e.lang and entry.lang and e.lang != entry.lang else 0.0) for e, c in zip(with_vectors, raw)}
    return Context(weights, cosines, prior_similarity)


def features(entry: Entry, event: Sequence[Entry], ctx: Context) -> dict[str, float]:
    """The features of `entry` against one event's items (at least one); `similarity` only when
    the entry and some of the event's items have vectors."""
    keys = entry.marks.keys
    event_keys = frozenset().union(*(e.marks.keys for e in event))
    total = sum(ctx.weight(k) for k in keys)
    hours = [abs((entry.at - e.at).total_seconds()) / 3600 for e in event]
    same_outlet = [h for h, e in zip(hours, event) if e.source and e.source == entry.source]
    out = {
        "shared": sum(ctx.weight(k) for k in keys & event_keys) / total if total else 0.0,
        "gap": math.log1p(min(hours)),
        "outlet": math.exp(-min(same_outlet) / OUTLET_HOURS) if same_outlet else 0.0,
        "copy": max(nearcopy.jaccard(entry.minhash, e.minhash, entry.size, e.size) for e in event),
    }
    cosines = [ctx.cosines[e.key] for e in event if e.key in ctx.cosines]
    if cosines:
        # the mean, not the centroid: a centroid of many items is close to anything of the seed,
        # so the largest event would win every comparison
        out["similarity"] = sum(cosines) / len(cosines) - ctx.baseline(frozenset(e.key for e in event))
    return out


@dataclass(frozen=True)
class Logistic:
    """P(same event) = sigmoid(intercept + coef . (x - mean) / scale)."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.intercept + sum(c * (values[f] - m) / s for f, m, s, c in zip(self.features, self.mean, self.scale, self.coef))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True)
class Model:
    """The fitted decision: both logistic models and the thresholds applied to their probability.

    `join`: at or over it an entry joins the event (no alert). `related`: below `join` but at or
    over it, the entry is a new event of that event's story (an update); below, a new story.
    `quiet`: within so many hours of its story's nearest alert an item of the story is that
    alert's coverage, never an update (cluster.py); older event tables lack it (0: off).
    """

    semantic: Logistic
    lexical: Logistic
    join: float
    related: float
    prior_similarity: float  # an alert's mean cosine with a seed's other alerts
    language_gap: float  # how much closer two items of one language are than two of different languages
    quiet: float = 0.0  # hours after a story's alert in which its items are its coverage, not updates (0: off)

    def context(self, entry: Entry, open_items: Sequence[Entry]) -> Context:
        return context(entry, open_items, self.prior_similarity, self.language_gap)

    def probability(self, values: Mapping[str, float]) -> float:
        return (self.semantic if "similarity" in values else self.lexical).probability(values)

    @classmethod
    def shipped(cls) -> "Model":
        with resources.files("monitor.stories.data").joinpath("events.toml").open("rb") as fh:
            return cls.from_toml(tomllib.load(fh))

    @classmethod
    def from_toml(cls, data: Mapping) -> "Model":
        def logistic(d: Mapping) -> Logistic:
            return Logistic(tuple(d["features"]), tuple(d["mean"]), tuple(d["scale"]), tuple(d["coef"]), float(d["intercept"]))

        return cls(
            logistic(data["semantic"]), logistic(data["lexical"]), float(data["join"]), float(data["related"]), float(data["prior_similarity"]), float(data["language_gap"]),
            float(data.get("quiet", 0.0)),
        )
