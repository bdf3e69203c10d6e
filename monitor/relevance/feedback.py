"""Relevance feedback: a person's good/bad verdicts on a seed's alerts adapt its profile (pure).

Bounded and reversible: the verdicts are stored (monitor.store.seeds), and the profile is rebuilt
from the seed plus them at every start and reload, so clearing a verdict undoes it. Two effects:
- the seed's vectors move towards the items marked good and away from those marked bad
  (Rocchio's rule, each side's pull at most ROCCHIO_CAP of the seed's own vector), so items
  like them score higher or lower on the semantic signal;
- the general signal leans: LEAN per verdict (good minus bad), at most FEEDBACK_CAP either way,
  so a borderline item moves over or under the threshold even with the semantic signal off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from monitor.relevance.evidence import ItemText
from monitor.relevance.semantic import Background, SeedVectors
from monitor.types import FeedItem

ROCCHIO_STEP, ROCCHIO_CAP = 0.1, 0.4  # pull per verdict, and at most, of the mean verdict vector
LEAN, FEEDBACK_CAP = 0.35, 1.4  # logit shift per verdict, and at most (about a quarter of the scale)


@dataclass(frozen=True)
class Adapted:
    vectors: SeedVectors | None
    leaning: float


def counts(verdicts: Sequence[tuple[str, FeedItem]]) -> tuple[int, int]:
    good = sum(1 for v, _ in verdicts if v == "good")
    return good, len(verdicts) - good


def adapt(
    vectors: SeedVectors | None, verdicts: Sequence[tuple[str, ItemText]],
    embed: Callable[[list[str]], np.ndarray | None], background: Background | None,
) -> Adapted:
    """The seed's vectors and leaning after its verdicts (unchanged without any)."""
    good, bad = counts([(v, t.item) for v, t in verdicts])
    leaning = max(-FEEDBACK_CAP, min(FEEDBACK_CAP, LEAN * (good - bad)))
    if vectors is None or background is None or not verdicts:
        return Adapted(vectors, leaning)
    made = embed([t.embed_input for _v, t in verdicts])
    if made is None:
        return Adapted(vectors, leaning)
    pull = np.zeros_like(vectors.whole)
    for sign, verdict in ((1.0, "good"), (-1.0, "bad")):
        rows = [made[i] for i, (v, _t) in enumerate(verdicts) if v == verdict]
        if rows:
            pull += sign * min(ROCCHIO_CAP, ROCCHIO_STEP * len(rows)) * np.mean(rows, axis=0)

    def moved(v: np.ndarray) -> np.ndarray:
        out = v + pull
        return out / (np.linalg.norm(out) or 1.0)

    return Adapted(SeedVectors.of(moved(vectors.whole), moved(vectors.title), vectors.sentences, background), leaning)
