"""Fit the general relevance signal (monitor/relevance/data/fusion.toml) on the labelled dev seeds.

For each dev seed (../shared/eval: the first seed; ../shared/eval/zoo/*: three more), every pool
item is scored by the real engine (monitor.relevance.engine, the model included, vectors cached
in bench/.cache/) and its signals kept. A logistic model (numpy, IRLS with an L2 penalty) is
fitted on the seeds named by --train (default: all four), the operating point chosen on
leave-one-seed-out predictions of the zoo seeds, the stricter point for items the catalogue's
facts contradict chosen so that the first seed keeps the precision of its facts alone, and the
figures printed beside the choice:

    .venv/bin/python bench/fit_relevance.py [--train first,zahawi,coupang,rajaampat] [--write]

Targets (issue 13): each zoo seed at the default threshold: grade-2 recall >= 0.90, alert
precision >= 0.90 (an alert on grade 1 or 2 is right). The leave-one-seed-out figures are the
honest estimate for a seed never seen; in-sample ones are printed too.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitor.relevance.engine import Relevance  # noqa: E402
from monitor.relevance.fusion import FEATURES, LEXICAL, SIGNALS, Fusion, Model, features  # noqa: E402
from monitor.relevance.seeds import load_seed  # noqa: E402
from monitor.relevance.semantic import CachedEmbedder, E5Embedder  # noqa: E402
from monitor.store import Store  # noqa: E402
from monitor.types import FeedItem  # noqa: E402

SHARED = ROOT.parent / "shared"
CACHE = ROOT / "bench" / ".cache"
GRADE1_WEIGHT = 0.5  # a related development counts as half a positive: alerting on one is right, not required
PENALTY = 1.0  # L2 on the weights (not the bias), as scikit-learn's C = 1


@dataclass(frozen=True)
class Row:
    seed: str
    grade: int
    lang: str
    signals: dict[str, float]
    facts: float
    title: str
    has_vector: bool
    contradicted: bool


def dev_seeds() -> dict[str, tuple[Path, Path, Path]]:
    """seed name -> (seed file, items, labels)."""
    out = {"first": (ROOT / "seeds" / "000_3cec3928e0cca43c.txt", SHARED / "eval" / "dev-items.jsonl", SHARED / "eval" / "dev-labels.jsonl")}
    for folder in sorted((SHARED / "eval" / "zoo").iterdir()):
        if (folder / "seed.txt").exists():
            out[folder.name] = (folder / "seed.txt", folder / "items.jsonl", folder / "labels.jsonl")
    return out


def rows_for(engine: Relevance, name: str, files: tuple[Path, Path, Path]) -> list[Row]:
    seed_file, items_file, labels_file = files
    profile = engine.profile(load_seed(seed_file), 0.5, 0.3)
    labels = {o["id"]: o["grade"] for o in map(json.loads, labels_file.open(encoding="utf-8"))}
    objs = [o for o in map(json.loads, items_file.open(encoding="utf-8")) if o["id"] in labels]
    items = [FeedItem(o["id"], "", o.get("title") or "", o.get("url"), o.get("summary") or "", None, o.get("source") or "", o.get("lang")) for o in objs]
    prepared = [engine.prepare(i, [profile]) for i in items]
    out = []
    for o, ready, vector in zip(objs, prepared, engine.vectors(prepared)):
        match = engine.score(ready.text, profile, vector, ready.lexical[0])
        signals = dict(match.signals)
        out.append(Row(name, labels[o["id"]], o.get("lang") or "?", {k: signals.get(k, 0.0) for k in SIGNALS}, signals["facts"], o.get("title") or "", "semantic" in signals, bool(signals["contradicted"])))
    return out


def fit(rows: list[Row], names: tuple[str, ...]) -> Model:
    """Weighted logistic regression with non-negative weights: more evidence never lowers a score
    (unconstrained, collinear features such as a title name and the title's coverage trade signs).
    A feature whose weight comes out negative is dropped (weight 0) and the rest refitted."""
    kept = list(names)
    while True:
        model = _fit(rows, tuple(kept))
        negative = [k for k, w in model.weights.items() if w < 0]
        if not negative:
            return Model({k: model.weights.get(k, 0.0) for k in names}, model.bias, model.operating_point)
        kept = [k for k in kept if k not in negative]


def _fit(rows: list[Row], names: tuple[str, ...]) -> Model:
    """Weighted logistic regression (each seed weighs the same in all); IRLS with an L2 penalty.
    The operating point is set by the caller."""
    X = np.array([[features(r.signals)[k] for k in names] for r in rows])
    y = np.array([1.0 if r.grade >= 1 else 0.0 for r in rows])
    per_seed = {s: sum(1 for r in rows if r.seed == s) for s in {r.seed for r in rows}}
    w = np.array([(GRADE1_WEIGHT if r.grade == 1 else 1.0) / per_seed[r.seed] for r in rows]) * len(rows)
    A = np.hstack([X, np.ones((len(X), 1))])
    beta = np.zeros(A.shape[1])
    ridge = np.diag([PENALTY] * X.shape[1] + [0.0])
    for _ in range(100):
        p = 1 / (1 + np.exp(-A @ beta))
        grad = A.T @ (w * (p - y)) + ridge @ beta
        hess = (A * (w * p * (1 - p))[:, None]).T @ A + ridge
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return Model({k: round(float(w), 4) for k, w in zip(names, beta[:-1])}, round(float(beta[-1]), 4), 0.5)


@dataclass(frozen=True)
class Pair:
    """The semantic and lexical models fitted on the same rows; a row is scored as the engine does."""

    semantic: Model
    lexical: Model

    @classmethod
    def fitted(cls, rows: list[Row]) -> "Pair":
        return cls(fit([r for r in rows if r.has_vector], FEATURES), fit(rows, LEXICAL))

    def probability(self, row: Row) -> float:
        model = self.semantic if row.has_vector else self.lexical
        z = model.logit(row.signals)
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))


def figures(scores: list[float], rows: list[Row], threshold: float) -> tuple[float, float, int, float]:
    """(grade-2 recall, precision counting grade 1 or 2, alerts, average precision for grade >= 1)."""
    alerts = [s >= threshold for s in scores]
    g2 = sum(1 for r in rows if r.grade == 2)
    recall = sum(a and r.grade == 2 for a, r in zip(alerts, rows)) / max(1, g2)
    precision = sum(a and r.grade >= 1 for a, r in zip(alerts, rows)) / max(1, sum(alerts))
    order = sorted(range(len(rows)), key=lambda i: -scores[i])
    hits, total = 0, 0.0
    for rank, i in enumerate(order, 1):
        if rows[i].grade >= 1:
            hits += 1
            total += hits / rank
    return recall, precision, sum(alerts), total / max(1, sum(r.grade >= 1 for r in rows))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", default="first,zahawi,coupang,rajaampat")
    parser.add_argument("--write", action="store_true", help="write monitor/relevance/data/fusion.toml")
    args = parser.parse_args()
    if not (SHARED / "eval").is_dir():
        print(f"needs the labelled dev seeds in {SHARED / 'eval'}", file=sys.stderr)
        return 2
    CACHE.mkdir(exist_ok=True)
    store = Store(f"sqlite:///{CACHE / 'vectors.db'}")
    neutral = Fusion(Model(dict.fromkeys(FEATURES, 0.0), 0.0, 0.5), Model(dict.fromkeys(LEXICAL, 0.0), 0.0, 0.5), 0.5)  # signals do not depend on it
    engine = Relevance(CachedEmbedder(E5Embedder(), store.cached_vectors, lambda rows: store.cache_vectors(rows, datetime.now(timezone.utc))), fusion=neutral)
    rows = [r for name, files in dev_seeds().items() for r in rows_for(engine, name, files)]
    train = args.train.split(",")
    seeds = sorted({r.seed for r in rows}, key=lambda s: (s != "first", s))
    loso: dict[str, list[float]] = {}
    for seed in seeds:
        pair = Pair.fitted([r for r in rows if r.seed in train and r.seed != seed])
        loso[seed] = [pair.probability(r) for r in rows if r.seed == seed]
    print("leave-one-seed-out, general and catalogue signals together (R: grade-2 recall, P: precision, alerts):")
    best, best_margin = 0.5, -1.0
    for point in GRID:
        cells, margin = [], 1.0
        for seed in seeds:
            mine = [x for x in rows if x.seed == seed]
            r, p, n, _ap = figures(combined(loso[seed], mine, point, point), mine, 0.5)
            cells.append(f"{seed} R {r:.2f} P {p:.2f} ({n})")
            if seed in train and seed != "first":
                margin = min(margin, r - 0.9, p - 0.9)
        print(f"  {point:.2f}: " + " | ".join(cells))
        if margin > best_margin:
            best, best_margin = point, margin
    first = [x for x in rows if x.seed == "first"]
    catalogue_only = figures([x.facts for x in first], first, 0.5)
    strict = next((p for p in GRID if p >= best and figures(combined(loso["first"], first, best, p), first, 0.5)[1] >= catalogue_only[1] - 0.005), GRID[-1])
    pair = Pair.fitted([r for r in rows if r.seed in train])
    fusion = Fusion(Model(pair.semantic.weights, pair.semantic.bias, best), Model(pair.lexical.weights, pair.lexical.bias, best), strict)
    print(f"operating point {best:.2f}, when the catalogue's facts say no {strict:.2f}; semantic {fusion.semantic}; lexical {fusion.lexical}")
    print(f"(the first seed with its catalogue facts alone: R {catalogue_only[0]:.3f} P {catalogue_only[1]:.3f} AP {catalogue_only[3]:.3f})")
    print("\n| seed | items | g2 R | P (g>=1) | alerts | AP g>=1 |")
    print("|---|---|---|---|---|---|")
    for seed in seeds:
        mine = [x for x in rows if x.seed == seed]
        fitted = [pair.probability(x) for x in mine]
        for label, probs in (("trained on all", fitted), ("leave-one-seed-out", loso[seed])):
            r, p, n, ap = figures(combined(probs, mine, best, strict), mine, 0.5)
            print(f"| {seed}, {label} | {len(mine)} | {r:.3f} | {p:.3f} | {n} | {ap:.3f} |")
    if args.write:
        path = ROOT / "monitor" / "relevance" / "data" / "fusion.toml"
        lines = [
            "# The general relevance signal's model (monitor/relevance/fusion.py), written by",
            f"# bench/fit_relevance.py --train {args.train} --write. Fitted on the labelled dev seeds",
            "# (logistic, grade >= 1 positive, grade 1 at half weight); the operating point (the model",
            "# probability that scores 0.5) was chosen on leave-one-seed-out predictions.",
            f"contradicted_point = {fusion.contradicted_point}  # when the catalogue reads the seed as facts and the item instantiates none",
            *_table("semantic", fusion.semantic, "the semantic feature and four lexical ones: an item with a vector"),
            *_table("lexical", fusion.lexical, "the lexical features alone: an item without a vector (semantic signal off or down)"),
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    store.close()
    return 0


GRID = [round(0.40 + 0.05 * k, 2) for k in range(12)]


def combined(probabilities: list[float], rows: list[Row], point: float, strict: float) -> list[float]:
    """The engine's score of each row: the general chance re-centred on `point` (`strict` when the
    catalogue's facts contradict the item), or the catalogue's score when that is higher."""
    return [max(_score_at(p, strict if r.contradicted else point), r.facts) for p, r in zip(probabilities, rows)]


def _table(name: str, model: Model, what: str) -> list[str]:
    weights = ", ".join(f"{k} = {v}" for k, v in model.weights.items())
    return ["", f"[{name}]  # {what}", f"bias = {model.bias}", f"operating_point = {model.operating_point}", f"weights = {{ {weights} }}"]


def _score_at(probability_: float, point: float) -> float:
    """A model probability re-centred so that `point` scores 0.5 (as Fusion.score does)."""
    p = min(max(probability_, 1e-9), 1 - 1e-9)
    shift = math.log(point / (1 - point))
    return 1 / (1 + math.exp(-(math.log(p / (1 - p)) - shift)))


if __name__ == "__main__":
    sys.exit(main())
