"""The general signal: lexical and semantic evidence fused into one calibrated score (pure).

The engine measures seven signals (`SIGNALS`, all on scales that mean the same for every seed);
the model reads five features made from them:

| feature | from the signal | what it is |
| --- | --- | --- |
| semantic | semantic | z-score of the item's cosine with the whole seed, against ordinary items of the item's language (monitor.relevance.semantic) |
| name_title, name_body | same, squared | the strongest seed name the item names in its title / only in its body, by its weight (rare names weigh up to 1, common ones such as "NATO" about 0.5); squared, so a common name says little |
| cover_title, cover_body | same | share of the seed title's units (by weight) the item's title shows / only its body shows |

(`semantic_title` and `title_units` are measured and explained, not weighed.) A logistic model
fitted on labelled seeds of different subjects and languages (bench/fit_relevance.py; its
figures, leave-one-seed-out, in README) combines them; a second one without `semantic` scores
items that have no vector (the semantic signal off, or its worker down). A model's output is the
chance that an item is a related development; the score is that chance re-centred so that the
operating point chosen on the dev seeds is 0.5: `monitor.threshold = 0.5` is the same decision for
every seed, 0.3 its related band. When the catalogue reads the seed as facts and the item shows
the facts' actors without instantiating one, the catalogue says no: the general signal must then
pass a stricter point (`contradicted_point`).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources

SIGNALS = ("semantic", "semantic_title", "name_title", "name_body", "cover_title", "cover_body", "title_units")
FEATURES = ("semantic", "name_title", "name_body", "cover_title", "cover_body")
LEXICAL = FEATURES[1:]
Z_CAP = 12.0  # z-scores past this say nothing more (and a degenerate background cannot explode a score)


def features(signals: dict[str, float]) -> dict[str, float]:
    """The model's features from the engine's signals (missing signals count 0)."""
    out = {name: signals.get(name, 0.0) for name in FEATURES}
    out["semantic"] = max(-Z_CAP, min(Z_CAP, out["semantic"]))
    out["name_title"] **= 2
    out["name_body"] **= 2
    return out


@dataclass(frozen=True)
class Model:
    """A fitted model: one weight per feature it uses, a bias, the probability that scores 0.5."""

    weights: dict[str, float]
    bias: float
    operating_point: float

    @classmethod
    def from_table(cls, data: dict, names: tuple[str, ...]) -> "Model":
        weights = {k: float(v) for k, v in data["weights"].items()}
        if set(weights) != set(names):
            raise ValueError(f"fusion model weights {sorted(weights)} are not the features {sorted(names)}")
        return cls(weights, float(data["bias"]), float(data["operating_point"]))

    def logit(self, signals: dict[str, float]) -> float:
        values = features(signals)
        return self.bias + sum(w * values[name] for name, w in self.weights.items())

    def score(self, signals: dict[str, float], point: float | None = None, leaning: float = 0.0) -> float:
        """The calibrated score in [0, 1]: 0.5 at the operating point (or at `point`); `leaning`
        is a seed's shift of the logit learnt from feedback."""
        p = point or self.operating_point
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, self.logit(signals) + leaning - math.log(p / (1 - p))))))

    def contributions(self, signals: dict[str, float]) -> list[tuple[str, float]]:
        """Each feature's share of the logit, largest first (for explanations)."""
        values = features(signals)
        return sorted(((name, w * values[name]) for name, w in self.weights.items()), key=lambda p: -abs(p[1]))


@dataclass(frozen=True)
class Fusion:
    """The two models (with the semantic feature, and without it for an item with no vector) and
    the stricter operating point for an item the catalogue's facts contradict."""

    semantic: Model
    lexical: Model
    contradicted_point: float

    @classmethod
    def shipped(cls) -> "Fusion":
        data = tomllib.loads(resources.files("monitor.relevance.data").joinpath("fusion.toml").read_text(encoding="utf-8"))
        return cls(Model.from_table(data["semantic"], FEATURES), Model.from_table(data["lexical"], LEXICAL), float(data["contradicted_point"]))

    def model(self, with_vector: bool) -> Model:
        return self.semantic if with_vector else self.lexical
