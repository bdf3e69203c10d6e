"""Explanations of one shape for every seed (pure): the verdict, the seed sentence the item is
closest to, the semantic similarity and what it means, the names and terms shared and where,
the catalogue fact instantiated. Shown by `explain`, `replay --output`, webhook payloads and
the chat formats (monitor.wire carries `why` as a list of [part, text]).
"""

from __future__ import annotations

from monitor.relevance.evidence import Lexical
from monitor.relevance.facts import FactScore
from monitor.relevance.fusion import Model
from monitor.relevance.semantic import percentile
from monitor.types import MatchedTerm, TopicProfile

SHOWN = 6  # names or terms listed in one part
SHOWN_WEIGHT = 0.1  # units weaker than this count in the score but are not listed as evidence


def matched_terms(catalogue: tuple[MatchedTerm, ...], lex: Lexical) -> tuple[MatchedTerm, ...]:
    """Every piece of evidence as (group, surface seen, where): catalogue groups first, then seed
    units not already covered by one (a unit's group is its catalogue entity, else its own form)."""
    out = list(catalogue)
    seen = {m.group for m in out} | {m.term.lower() for m in out}
    for unit, surface, where in lex.found:
        group = unit.group or unit.surface
        if group not in seen and surface.lower() not in seen and unit.weight >= SHOWN_WEIGHT:
            seen.update((group, surface.lower()))
            out.append(MatchedTerm(group, surface, where, "catalogue" if unit.group else "seed"))
    return tuple(out)


def why(
    score: float, band: str | None, veto: str | None, profile: TopicProfile, signals: dict[str, float],
    lex: Lexical, facts: FactScore, closest: str | None, lang: str | None, model: Model, contradicted: bool = False,
) -> tuple[tuple[str, str], ...]:
    parts = [("verdict", _verdict(score, band, veto, profile))]
    if closest is not None:
        parts.append(("closest", f"“{_cut(closest, 160)}”"))
    if "semantic" in signals:
        z = signals["semantic"]
        share = percentile(z)
        closer = "more than 99.99 %" if share > 0.9999 else f"{share:.2%}"
        parts.append(("semantic", f"similarity z {z:.1f} against ordinary {lang or 'news'} items: closer to the seed than {closer} of them"))
    else:
        parts.append(("semantic", "not compared (no word in common with the seed, or the semantic signal is off)"))
    names = _listed(lex, True)
    terms = _listed(lex, False)
    parts.append(("names", ", ".join(names) or "none of the seed's names"))
    parts.append(("terms", ", ".join(terms) or "none of the seed's key terms"))
    if facts.fact is not None:
        parts.append(("fact", f"instantiates “{_cut(facts.fact.text, 120)}”: {'+'.join(facts.fact.entities)} / {'+'.join(facts.fact.concepts)} (catalogue score {facts.value:.2f})"))
    elif contradicted:
        parts.append(("fact", "names the actors of the seed's facts but instantiates none: the other evidence must be stronger"))
    top = [f"{name} {value:+.1f}" for name, value in model.contributions(signals)[:3] if abs(value) >= 0.05]
    if top:
        parts.append(("weighed", ", ".join(top)))
    return tuple(parts)


def _listed(lex: Lexical, names: bool) -> list[str]:
    """The seed's names (or terms) the item shows, strongest first, each surface once."""
    out: dict[str, str] = {}
    for unit, surface, where in sorted(lex.found, key=lambda f: -f[0].weight):
        if unit.name == names and unit.weight >= SHOWN_WEIGHT and surface.lower() not in out:
            out[surface.lower()] = f"{surface} ({where})"
    return list(out.values())[:SHOWN]


def line(parts: tuple[tuple[str, str], ...]) -> str:
    """The explanation on one line, for logs and `replay --output`."""
    return "; ".join(text if name == "verdict" else f"{name}: {text}" for name, text in parts)


def _verdict(score: float, band: str | None, veto: str | None, profile: TopicProfile) -> str:
    if veto:
        return f"score {score:.2f}, no alert: {veto}"
    if band == "alert":
        return f"score {score:.2f} >= {profile.threshold:g}: alert"
    if band == "related":
        return f"score {score:.2f} >= {profile.related_threshold:g}: related development (digest)"
    return f"score {score:.2f} < {profile.related_threshold:g}: unrelated"


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
