"""The catalogue signal: does an item instantiate one of the seed's facts? (pure)

A seed's sentences, read with the catalogue (monitor.relevance.topics), become facts: actors and
the domain concepts linking them. A core fact is instantiated by two of its actors (one when the
fact has one, then in the title), one of them its subject and one in the item's title, and one
of its concepts (a related concept only in the title); a relation fact by two of its actors in
the title and an interaction. So "South Korea beats Japan at badminton" or "NATO summit in
Vilnius" never instantiate "NATO urges South Korea to send weapons to Ukraine".

Score: an instantiated fact scores 0.5 + 0.5 x the weighted share of the fact's groups the item
shows (title 1, lead 0.8, deeper text less); anything else below 0.5 by its partial coverage
(for ranking). Seeds whose sentences the catalogue cannot read have no facts and this signal
says nothing; the general signal (monitor.relevance.fusion) scores them.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.relevance.lexicon import Catalogue
from monitor.relevance.textmatch import Hit, Matcher, tokenize
from monitor.types import ConceptGroup, Fact, MatchedTerm

PLACES = (("title", 1.0), ("summary", 0.8), ("text", 0.6))
LEAD_TOKENS, DEEP_FACTOR = 40, 0.5  # evidence past the lead (datelines, long bodies) counts less
GROUP_STRENGTH = 0.3
LOOSE_SHARE = 0.7  # below the gate, rank by partial coverage of a fact more than by loose words
RELATED_CREDIT = 0.5


@dataclass(frozen=True)
class _FactInfo:
    """What scoring needs of a fact, computed once per profile."""

    fact: Fact
    related: tuple[str, ...]  # concepts related to the fact's own, present in the profile
    total: float  # the fact's full weight (actors + linking concepts): coverage is measured against it


@dataclass(frozen=True)
class Compiled:
    """A profile's catalogue tables, built with the profile: its groups, facts, and the matcher
    to read items with (the engine's shared one unless the profile tunes aliases)."""

    matcher: Matcher
    groups: dict[str, ConceptGroup]
    facts: tuple[_FactInfo, ...]
    shared: bool  # matcher is the engine's: items are read with it once for every seed


def compile_facts(groups: tuple[ConceptGroup, ...], facts: tuple[Fact, ...], cat: Catalogue, matcher: Matcher, shared: bool) -> Compiled:
    """A profile's compiled catalogue tables; `matcher` reads items (see Compiled.shared)."""
    by_name = {g.name: g for g in groups}
    infos = []
    for fact in facts:
        related = tuple(dict.fromkeys(r for c in fact.concepts if c in cat.groups for r in cat.groups[c].related if r in by_name and r not in fact.concepts))
        links = fact.concepts if fact.kind == "core" else fact.concepts[:1]
        total = sum(by_name[n].weight for n in fact.entities + links if n in by_name) or 1.0
        infos.append(_FactInfo(fact, related, total))
    return Compiled(matcher, by_name, tuple(infos), shared)


# hits per place ("title", "summary", "text"), as read by Compiled.matcher (datelines already cut)
PlaceHits = dict[str, tuple[Hit, ...]]


def evidence(hits: PlaceHits, title: str, compiled: Compiled) -> dict[str, tuple[float, MatchedTerm]]:
    """Each profile group the item shows: (place factor, first strongest match)."""
    names = compiled.groups
    best: dict[str, tuple[float, MatchedTerm]] = {}
    for where, factor in PLACES:
        for hit in hits.get(where, ()):
            f = factor if where == "title" or hit.start < LEAD_TOKENS else factor * DEEP_FACTOR
            for name in hit.groups:
                if name in names and (name not in best or best[name][0] < f):
                    best[name] = (f, MatchedTerm(name, hit.surface, where))
    if title and any(m.where != "title" and " " in m.term for _, m in best.values()):
        _short_names_in_title(title, hits.get("title", ()), names, best)
    return best


def _short_names_in_title(title: str, title_hits: tuple[Hit, ...], names: dict[str, ConceptGroup], best: dict[str, tuple[float, MatchedTerm]]) -> None:
    """A name given in full below the title and shortened in it ("Kim and Putin meet" over
    "Kim Jong Un met Vladimir Putin ...") puts that entity in the title: the first or last word of
    the full name, capitalised, on a title word no alias claims. The full name must be in the item,
    so a bare "Kim" or "Mark" never counts by itself."""
    raw = tokenize(title)[0]
    claimed = {i for hit in title_hits for i in range(hit.start, hit.start + len(tokenize(hit.surface)[0]))}
    free = {t for i, t in enumerate(raw) if i not in claimed and t[:1].isupper() and t.isalpha()}
    if not free:
        return
    for name, (_, term) in list(best.items()):
        if term.where == "title" or names[name].kind != "entity":
            continue
        words = tokenize(term.term)[0]
        if len(words) > 1:
            short = next((w for w in (words[0], words[-1]) if w in free and len(w) > 1), None)
            if short is not None:
                best[name] = (PLACES[0][1], MatchedTerm(name, short, "title"))


@dataclass(frozen=True)
class FactScore:
    """The catalogue signal for one item: its score, the fact instantiated (or None), the evidence."""

    value: float
    fact: Fact | None
    matched: tuple[MatchedTerm, ...]  # strongest first
    missing_required: tuple[str, ...]  # required groups (config) the item lacks
    actors: bool  # the item shows an actor of some fact (whether or not it instantiates one)


def score_facts(best: dict[str, tuple[float, MatchedTerm]], compiled: Compiled) -> FactScore:
    """Score an item's catalogue evidence against the profile's facts; see the module docstring."""
    groups = compiled.groups
    fact, coverage, loose = _best_fact(best, compiled)
    if fact is not None:
        value = 0.5 + 0.5 * fact.weight * coverage
    else:
        miss = 1.0
        for name, (factor, _) in best.items():
            miss *= 1.0 - GROUP_STRENGTH * groups[name].weight * factor
        value = 0.45 * (LOOSE_SHARE * loose + (1 - LOOSE_SHARE) * (1.0 - miss))
    matched = tuple(m for _, m in sorted(best.values(), key=lambda fm: -groups[fm[1].group].weight * fm[0]))
    missing = tuple(g.name for g in groups.values() if g.required and g.name not in best)
    actors = any(e in best for info in compiled.facts for e in info.fact.entities)
    return FactScore(round(value, 4), fact, matched, missing, actors)


def _best_fact(best: dict, compiled: Compiled) -> tuple[Fact | None, float, float]:
    """(fact instantiated with the highest weighted coverage or None, its coverage, the best
    weighted coverage of any fact, instantiated or not: it ranks the items that do not alert)."""
    groups = compiled.groups
    top, top_cov, loose = None, 0.0, 0.0
    interactions = _interaction(best, groups)
    for info in compiled.facts:
        fact = info.fact
        actors = [e for e in fact.entities if e in best]
        if fact.kind == "core":
            direct = [c for c in fact.concepts if c in best]
            indirect = [r for r in info.related if r in best]
        else:
            direct, indirect = interactions[:1], []
        if not actors and not direct and not indirect:
            continue
        got = sum(groups[n].weight * best[n][0] for n in actors)
        got += sum(groups[n].weight * best[n][0] for n in direct)
        got += sum(RELATED_CREDIT * groups[n].weight * best[n][0] for n in indirect)
        cov = min(1.0, got / info.total)
        loose = max(loose, fact.weight * cov)
        if _instantiates(fact, actors, direct, indirect, best, interactions) and fact.weight * cov > (top.weight * top_cov if top else -1.0):
            top, top_cov = fact, cov
    return top, top_cov, loose


def _instantiates(fact: Fact, actors: list[str], direct: list[str], indirect: list[str], best: dict, interactions: list[str]) -> bool:
    """The gate: does the item show this fact (its actors, their subject, a link between them)?"""
    title = [a for a in actors if best[a][1].where == "title"]
    if len(actors) < min(2, len(fact.entities)) or not title:
        return False  # the fact must be the item's subject: one of its actors in the title
    if not any(a in fact.anchors for a in actors):
        # Without the fact's subject, its objects and its concept must all be in the title
        # ("Poland sends Leopard tanks to Ukraine" for "Germany sends Leopard tanks to Ukraine").
        return len(title) >= 2 and any(best[c][1].where == "title" for c in direct)
    if fact.kind == "relation":
        # two actors and a visit or talks are weak evidence: both actors in the title
        return bool(direct) and len(title) >= 2
    if len(fact.entities) == 1:  # one actor: it and a concept in the title, as two different words
        return any(best[c][1].where == "title" and best[c][1].term != best[actors[0]][1].term for c in direct)
    if direct or any(best[r][1].where == "title" for r in indirect):
        return True
    # A fact between exactly two actors is also shown by those two meeting in the title
    # ("Kim meets Putin").
    return len(fact.entities) == 2 and len(title) >= 2 and bool(interactions)


def _interaction(best: dict, groups: dict) -> list[str]:
    """Interaction groups (talks, visits, cooperation) shown in the title or the lead."""
    return [n for n, (factor, _) in best.items() if groups[n].kind == "interaction" and factor >= PLACES[1][1]]

