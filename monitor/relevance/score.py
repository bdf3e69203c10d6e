"""(FeedItem, TopicProfile) -> Match: score in [0, 1], the evidence and a one-line explanation (pure).

An item is relevant when it instantiates one of the seed's facts (monitor.relevance.topics): a core fact
needs two of the fact's actors (one when the fact has one, then in the title), one of them its
subject and one in the item's title, and one of its concepts (a related concept only in the
title); a relation fact needs two of its actors in the title and an interaction.
That is the gate: evidence from several groups, an entity among them, so "South Korea beats
Japan at badminton" or "NATO summit in Vilnius" never alert.

Score: an item that instantiates a fact scores 0.5 + 0.5 x the weighted share of the fact's
groups it shows (place-weighted: title 1, lead 0.8, deeper text less); any other item scores
below 0.5, by its partial coverage of the facts and the noisy-OR of the single groups it shows
(for ranking only). So the default threshold 0.5 means "instantiates a fact"; a higher
threshold asks for fuller coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from monitor.relevance.lexicon import catalogue, catalogue_matcher
from monitor.relevance.textmatch import Matcher, tokenize
from monitor.types import ConceptGroup, Fact, FeedItem, Match, MatchedTerm, TopicProfile

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
    """A profile's alias index and fact table (built once; stored in TopicProfile.matcher)."""

    matcher: Matcher
    groups: dict[str, ConceptGroup]
    facts: tuple[_FactInfo, ...]


@lru_cache(maxsize=64)
def _shared_matcher(tuned: tuple[tuple[str, str, tuple[str, ...]], ...]) -> Matcher:
    """One index for every profile with the same alias overrides (usually none): the whole
    catalogue, so the longest form wins ("nuclear weapons" is `nuclear`, not `weapons`);
    hits on groups outside a profile are ignored by that profile."""
    if not tuned:
        return catalogue_matcher()  # the same index the seeds were read with: build it once
    cat = catalogue()
    names = {name for name, _, _ in tuned}
    others = [(g.name, g.kind, g.aliases) for g in cat.groups.values() if g.name not in names]
    return cat.matcher(list(tuned) + others)


def compile_profile(profile: TopicProfile) -> Compiled:
    """The profile's compiled form, built on first use and cached on the profile."""
    if profile.matcher is not None:
        return profile.matcher
    cat = catalogue()
    groups = {g.name: g for g in profile.groups}
    tuned = tuple(sorted((g.name, g.kind, g.aliases) for g in profile.groups if g.name not in cat.groups or g.aliases != cat.groups[g.name].aliases))
    matcher = _shared_matcher(tuned)
    infos = []
    for fact in profile.facts:
        related = tuple(dict.fromkeys(r for c in fact.concepts if c in cat.groups for r in cat.groups[c].related if r in groups and r not in fact.concepts))
        links = fact.concepts if fact.kind == "core" else fact.concepts[:1]
        total = sum(groups[n].weight for n in fact.entities + links if n in groups) or 1.0
        infos.append(_FactInfo(fact, related, total))
    compiled = Compiled(matcher, groups, tuple(infos))
    object.__setattr__(profile, "matcher", compiled)  # a cache, not state: compare=False field
    return compiled


def evidence(item: FeedItem, profile: TopicProfile) -> dict[str, tuple[float, MatchedTerm]]:
    """Each profile group the item shows: (place factor, first strongest match)."""
    compiled = compile_profile(profile)
    matcher, names = compiled.matcher, compiled.groups
    best: dict[str, tuple[float, MatchedTerm]] = {}
    for where, factor in PLACES:
        text = getattr(item, where)
        if not text:
            continue
        if where != "title":
            text = catalogue().strip_dateline(text)
        for hit in matcher.find(text):
            f = factor if where == "title" or hit.start < LEAD_TOKENS else factor * DEEP_FACTOR
            for name in hit.groups:
                if name in names and (name not in best or best[name][0] < f):
                    best[name] = (f, MatchedTerm(name, hit.surface, where))
    if item.title and any(m.where != "title" and " " in m.term for _, m in best.values()):
        _short_names_in_title(item.title, matcher, names, best)
    return best


def _short_names_in_title(title: str, matcher: Matcher, names: dict[str, ConceptGroup], best: dict[str, tuple[float, MatchedTerm]]) -> None:
    """A name given in full below the title and shortened in it ("Kim and Putin meet" over
    "Kim Jong Un met Vladimir Putin ...") puts that entity in the title: the first or last word of
    the full name, capitalised, on a title word no alias claims. The full name must be in the item,
    so a bare "Kim" or "Mark" never counts by itself."""
    raw = tokenize(title)[0]
    claimed = {i for hit in matcher.find(title) for i in range(hit.start, hit.start + len(tokenize(hit.surface)[0]))}
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


def score(item: FeedItem, profile: TopicProfile) -> Match:
    """Score `item` against `profile`; see the module docstring for the rule."""
    best = evidence(item, profile)
    groups = compile_profile(profile).groups
    fact, coverage, loose = _best_fact(best, groups, profile)
    veto = _veto(best, profile, item)
    if fact is not None:
        value = 0.5 + 0.5 * fact.weight * coverage
    else:
        miss = 1.0
        for name, (factor, _) in best.items():
            miss *= 1.0 - GROUP_STRENGTH * groups[name].weight * factor
        value = 0.45 * (LOOSE_SHARE * loose + (1 - LOOSE_SHARE) * (1.0 - miss))
    matched = tuple(m for _, m in sorted(best.values(), key=lambda fm: -groups[fm[1].group].weight * fm[0]))
    alert = fact is not None and veto is None and value >= profile.threshold
    return Match(profile.seed_id, round(value, 4), matched, _explain(value, alert, matched, fact, veto, profile.threshold), alert)


def _best_fact(best: dict, groups: dict, profile: TopicProfile) -> tuple[Fact | None, float, float]:
    """(fact instantiated with the highest weighted coverage or None, its coverage, the best
    weighted coverage of any fact, instantiated or not: it ranks the items that do not alert)."""
    top, top_cov, loose = None, 0.0, 0.0
    interactions = _interaction(best, groups)
    for info in compile_profile(profile).facts:
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


def _veto(best: dict, profile: TopicProfile, item: FeedItem) -> str | None:
    """A reason from the config overrides why the item may not alert (required / excluded)."""
    missing = [g.name for g in profile.groups if g.required and g.name not in best]
    if missing:
        return "required group missing: " + ", ".join(missing)
    if profile.excluded:
        words: set[str] = set()
        for where, _ in PLACES:
            words.update(tokenize(getattr(item, where) or "")[1])
        found = [t for t in profile.excluded if all(w in words for w in tokenize(t)[1])]
        if found:
            return "excluded term: " + ", ".join(found)
    return None


def _explain(value: float, alert: bool, matched: tuple[MatchedTerm, ...], fact: Fact | None, veto: str | None, threshold: float) -> str:
    evidence_ = ", ".join(f"{m.group}={m.term!r} ({m.where})" for m in matched) or "nothing"
    if fact is None:
        verdict = "no seed fact instantiated"
    elif veto:
        verdict = veto
    else:
        verdict = ("alert" if alert else f"below threshold {threshold:g}") + f"; fact: {'+'.join(fact.entities)} / {'+'.join(fact.concepts)}"
    return f"score {value:.2f} ({verdict}): {evidence_}"
