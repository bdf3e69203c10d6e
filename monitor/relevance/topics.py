"""Seed -> its catalogue groups and facts: the seed's entities and concepts as cross-language
groups, and what its sentences state in the catalogue's terms (the engine adds the rest).

1. (The engine detects the seed's language.)
2. Read the seed with the catalogue (CLDR countries, gazetteer, domain lexicon): every entity or
   concept it mentions becomes a group carrying all its aliases in every language, weighted by
   salience (mentions; title 3x, subheads 2x) on a log scale.
3. Concepts the lexicon marks as `related` join at a lower weight (weapons -> ammunition).
4. Each seed sentence becomes a Fact: its entities plus the domain concepts (a "core" fact) or
   interactions (a "relation" fact) linking them. Sentences that only set the scene (war,
   invasion, no domain concept) are not facts. A fact's subject (its anchors) is the actors named
   before its first concept; a sentence opening with a pronoun takes the last actor of the
   previous sentence ("... disangkal oleh Korut. Mereka tak pernah mengirim senjata untuk Rusia").
5. Per-seed config overrides (add/remove aliases, weights, required) apply last (`apply_override`).
Rare words the catalogue does not know are the general signal's units (monitor.relevance.units).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace
from typing import Any

from monitor.relevance.lexicon import Catalogue
from monitor.relevance.rarity import Rarity
from monitor.relevance.textmatch import Matcher, tokenize
from monitor.types import ConceptGroup, Fact, Seed

TITLE_BOOST, HEADING_BOOST = 3.0, 2.0
FACT_WEIGHT = {TITLE_BOOST: 1.0, HEADING_BOOST: 0.9, 1.0: 0.8}
RELATED_FACTOR = 0.5
MIN_WEIGHT = 0.3
COMMON_ZIPF = 5.0  # an entity whose English name is this frequent (US, China, Europe) is not an actor
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def seed_sections(seed: Seed) -> list[tuple[str, float]]:
    """(text, boost) for the title, the subheads (short lines without final punctuation) and the body."""
    out = [(seed.title, TITLE_BOOST)]
    for line in (line.strip() for line in seed.text.splitlines()):
        if not line or line == seed.title.strip():
            continue
        heading = len(line) < 60 and not line.endswith((".", "!", "?", '"', ":", ","))
        out.append((line, HEADING_BOOST if heading else 1.0))
    return out


def read_seed(seed: Seed, cat: Catalogue, matcher: Matcher, rarity: Rarity) -> tuple[tuple[ConceptGroup, ...], tuple[Fact, ...]]:
    """The seed's catalogue groups (strongest first) and facts; `matcher` is the whole catalogue's."""
    salience: Counter[str] = Counter()
    covered: set[str] = set()
    facts: list[Fact] = []
    pronouns = {p for rule in cat.languages.values() for p in rule.pronouns}
    for text, boost in seed_sections(seed):
        last_actor: str | None = None
        first_actor: str | None = None  # the first actor named by the sentence of the last fact
        previous_was_fact = False
        for sentence in _SENTENCE.split(text):
            hits = matcher.find(sentence)
            for hit in hits:
                for name in hit.groups:
                    salience[name] += boost
                covered.update(tokenize(hit.surface)[1])
            names = sorted({n for hit in hits for n in hit.groups})
            first = tokenize(sentence)[1][:1]
            subject = (last_actor,) if last_actor and first and first[0] in pronouns else _subject(hits, cat)
            fact = _fact(sorted(set(names) | set(subject)), cat, FACT_WEIGHT[boost], sentence, subject)
            if fact is not None:
                facts.append(fact)
            elif facts and previous_was_fact and names and all(cat.groups[n].kind == "entity" for n in names):
                # "Korsel adalah kunjungan pertama dalam safari NATO di Asia. Negara berikutnya adalah
                # Jepang": a bare mention is an ellipsis of the previous fact with the new actor in
                # place of that sentence's first-named one (NATO's tour, next stop Japan). The two
                # stand in parallel: Japan is not said to deal with Korea.
                facts.append(_parallel(facts[-1], first_actor, tuple(names)))
            actors = [n for hit in hits for n in hit.groups if cat.groups[n].kind == "entity"]
            if fact is not None:
                first_actor = actors[0] if actors else None
            previous_was_fact = fact is not None
            last_actor = actors[-1] if actors else None
    top = max(salience.values(), default=1.0)
    groups: dict[str, ConceptGroup] = {}
    for name, s in salience.items():
        known = cat.groups[name]
        common = known.kind == "entity" and rarity.zipf(name.lower(), "en") >= COMMON_ZIPF
        groups[name] = ConceptGroup(name, known.kind, known.aliases, _weight(s, top), common=common)
    facts = [f for f in (_without_common(f, groups) for f in facts) if f is not None]
    # A relation (two actors and talks, a visit) is the seed's news only when the seed's subject
    # takes part: one incidental sentence about two other countries ("Korea and Japan met on
    # fisheries") must not make every such meeting an alert.
    subject = {n for hit in matcher.find(seed.title) for n in hit.groups if cat.groups[n].kind == "entity"}
    facts = [f for f in facts if f.kind != "relation" or subject & set(f.entities)]
    for name in list(groups):
        for rel in cat.groups[name].related:
            if rel not in groups and rel in cat.groups:
                known = cat.groups[rel]
                groups[rel] = ConceptGroup(rel, known.kind, known.aliases, round(max(MIN_WEIGHT, groups[name].weight * RELATED_FACTOR), 3))
    return tuple(sorted(groups.values(), key=lambda g: (-g.weight, g.name))), tuple(facts)


def _subject(hits: list, cat: Any) -> tuple[str, ...]:
    """The sentence's subject, by word order: the actors named before its first domain concept
    (SVO and SOV languages alike put the subject first); every actor when none comes first."""
    cut = next((h.start for h in hits if any(cat.groups[n].kind == "concept" for n in h.groups)), None)
    before = tuple(dict.fromkeys(n for h in hits if cut is None or h.start < cut for n in h.groups if cat.groups[n].kind == "entity"))
    return before or tuple(dict.fromkeys(n for h in hits for n in h.groups if cat.groups[n].kind == "entity"))


def _fact(names: list[str], cat: Any, weight: float, sentence: str, subject: tuple[str, ...]) -> Fact | None:
    """The fact a seed sentence states, or None (no actor, or only scene-setting)."""
    kinds = {n: cat.groups[n].kind for n in names}
    entities = tuple(n for n in names if kinds[n] == "entity")
    concepts = tuple(n for n in names if kinds[n] == "concept")
    interactions = tuple(n for n in names if kinds[n] == "interaction")
    if not entities:
        return None
    if concepts:
        return Fact("core", entities, concepts, weight, sentence, subject)
    scene = any(kinds[n] == "background" for n in names)
    if interactions and len(entities) >= 2 and not scene:
        return Fact("relation", entities, interactions, weight, sentence, entities)
    return None


def _parallel(fact: Fact, replaced: str | None, names: tuple[str, ...]) -> Fact:
    """`fact` with `names` in place of its actor `replaced` (or added, when that is unknown)."""
    def swap(actors: tuple[str, ...]) -> tuple[str, ...]:
        if replaced not in actors:
            return actors
        i = actors.index(replaced)
        return tuple(dict.fromkeys(actors[:i] + names + actors[i + 1 :]))

    entities = swap(fact.entities) if replaced in fact.entities else tuple(dict.fromkeys(fact.entities + names))
    return replace(fact, entities=entities, anchors=swap(fact.anchors))


def _without_common(fact: Fact, groups: dict[str, ConceptGroup]) -> Fact | None:
    """The fact with ubiquitous actors dropped; None when no actor is left."""
    entities = tuple(e for e in fact.entities if not groups[e].common)
    anchors = tuple(e for e in fact.anchors if e in entities)
    if not entities or not anchors or (fact.kind == "relation" and len(entities) < 2):
        return None
    return replace(fact, entities=entities, anchors=anchors)


def _weight(s: float, top: float) -> float:
    """Salience on a log scale in [MIN_WEIGHT, 1]: the seed's main subject is 1."""
    return round(MIN_WEIGHT + (1 - MIN_WEIGHT) * math.log1p(s) / math.log1p(top), 3)



def apply_override(groups_in: tuple[ConceptGroup, ...], facts_in: tuple[Fact, ...], ov: Any, cat: Catalogue) -> tuple[tuple[ConceptGroup, ...], tuple[Fact, ...]]:
    """A config [profiles."<seed>"] table's catalogue tuning: remove, add, weights, required."""
    groups = {g.name: g for g in groups_in}
    for item in ov.remove:
        if item in groups:
            del groups[item]
        else:  # an alias: drop it wherever it appears
            groups = {n: replace(g, aliases=tuple(a for a in g.aliases if a != item)) for n, g in groups.items()}
    for name, aliases in ov.add.items():
        if name in groups:
            groups[name] = replace(groups[name], aliases=tuple(dict.fromkeys(groups[name].aliases + tuple(aliases))))
        else:
            known = cat.groups.get(name)
            kind = known.kind if known else "concept"
            base = known.aliases if known else ()
            groups[name] = ConceptGroup(name, kind, tuple(dict.fromkeys(base + tuple(aliases))), 0.5)
    for name, weight in ov.weights.items():
        if name in groups:
            groups[name] = replace(groups[name], weight=weight)
    for name in ov.required:
        if name in groups:
            groups[name] = replace(groups[name], required=True)
    facts = tuple(
        replace(f, entities=tuple(e for e in f.entities if e in groups), concepts=tuple(c for c in f.concepts if c in groups), anchors=tuple(e for e in f.anchors if e in groups) or tuple(e for e in f.entities if e in groups))
        for f in facts_in
    )
    ordered = tuple(sorted(groups.values(), key=lambda g: (-g.weight, g.name)))
    return ordered, tuple(f for f in facts if f.entities)
