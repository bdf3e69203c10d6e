"""Relevance metrics for labelled replays (pure): P/R/F1 at the threshold, average precision, C_norm.

Grades: 0 unrelated, 1 related development, 2 on-topic. "Grade 2" figures count only grade-2
items as relevant; "grade >= 1" figures count both. C_norm is the TDT normalised detection cost
P_miss + 4.9 * P_fa with grade 2 as the target (every other item is a non-target).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

C_FA_WEIGHT = 4.9


@dataclass(frozen=True)
class Judged:
    """One scored, labelled item."""

    lang: str
    score: float
    alert: bool
    grade: int


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float
    relevant: int
    alerts: int
    hits: int


@dataclass(frozen=True)
class Metrics:
    """All figures for one slice (all items or one language)."""

    items: int
    grade2: PRF
    grade1: PRF
    average_precision: float
    c_norm: float


def prf(rows: list[Judged], min_grade: int) -> PRF:
    relevant = sum(r.grade >= min_grade for r in rows)
    alerts = sum(r.alert for r in rows)
    hits = sum(r.alert and r.grade >= min_grade for r in rows)
    precision = hits / alerts if alerts else 0.0
    recall = hits / relevant if relevant else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PRF(precision, recall, f1, relevant, alerts, hits)


def average_precision(rows: list[Judged], min_grade: int = 1) -> float:
    """Mean of precision at the rank of each relevant item; ties keep input order."""
    ranked = sorted(range(len(rows)), key=lambda i: -rows[i].score)
    relevant = sum(r.grade >= min_grade for r in rows)
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for rank, i in enumerate(ranked, start=1):
        if rows[i].grade >= min_grade:
            found += 1
            total += found / rank
    return total / relevant


def c_norm(rows: list[Judged]) -> float:
    targets = [r for r in rows if r.grade == 2]
    others = [r for r in rows if r.grade != 2]
    p_miss = sum(not r.alert for r in targets) / len(targets) if targets else 0.0
    p_fa = sum(r.alert for r in others) / len(others) if others else 0.0
    return p_miss + C_FA_WEIGHT * p_fa


def metrics(rows: list[Judged]) -> Metrics:
    """Every figure for `rows`."""
    return Metrics(len(rows), prf(rows, 2), prf(rows, 1), average_precision(rows, 1), c_norm(rows))


def by_language(rows: Iterable[Judged]) -> dict[str, Metrics]:
    """'all' first, then one entry per language in sorted order."""
    rows = list(rows)
    out = {"all": metrics(rows)}
    for lang in sorted({r.lang for r in rows}):
        out[lang] = metrics([r for r in rows if r.lang == lang])
    return out
