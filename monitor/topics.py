"""Seed -> TopicProfile: the seed's entities and concepts as cross-language groups, weighted by salience.

1. Detect the seed's language (monitor.langid).
2. Read the seed with the catalogue (CLDR countries, gazetteer, domain lexicon): every entity or
   concept it mentions becomes a group carrying all its aliases in every language. Mentions in the
   title count 3x, in subheads 2x.
3. Concepts the lexicon marks as `related` join at a lower weight (weapons -> ammunition).
4. Rare seed words and capitalised names the catalogue does not know become seed-language
   `term` groups (rarity from wordfreq); they add to a score but never satisfy the entity gate.
5. Per-seed config overrides (add/remove aliases, weights, required, exclude, threshold) apply last.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from typing import Any

from wordfreq import zipf_frequency

from monitor.langid import detect
from monitor.lexicon import catalogue, catalogue_matcher
from monitor.textmatch import tokenize
from monitor.types import ConceptGroup, Seed, TopicProfile

TITLE_BOOST, HEADING_BOOST = 3.0, 2.0
RELATED_FACTOR = 0.5
MIN_WEIGHT, TERM_WEIGHT_CAP = 0.3, 0.4
RARE_ZIPF, MIN_TERM_COUNT, MAX_TERMS = 3.0, 2, 8


def seed_sections(seed: Seed) -> list[tuple[str, float]]:
    """(text, boost) for the title, the subheads (short lines without final punctuation) and the body."""
    out = [(seed.title, TITLE_BOOST)]
    for line in (line.strip() for line in seed.text.splitlines()):
        if not line or line == seed.title.strip():
            continue
        heading = len(line) < 60 and not line.endswith((".", "!", "?", '"', ":", ","))
        out.append((line, HEADING_BOOST if heading else 1.0))
    return out


def build_profile(seed: Seed, threshold: float, override: Any = None) -> TopicProfile:
    """The seed's topic profile; `override` is the seed's config.ProfileOverride (or None)."""
    cat = catalogue()
    langs = tuple(cat.languages)
    lang = seed.lang or detect(seed.title + "\n" + seed.text, langs) or "en"
    salience: Counter[str] = Counter()
    surface: dict[str, set[str]] = {}
    covered: set[str] = set()
    pairs: Counter[tuple[str, str]] = Counter()
    term_counts: Counter[str] = Counter()
    term_seen: Counter[str] = Counter()
    for text, boost in seed_sections(seed):
        hits = catalogue_matcher().find(text)
        for hit in hits:
            for name in hit.groups:
                salience[name] += boost
                surface.setdefault(name, set()).add(hit.surface)
            covered.update(tokenize(hit.surface)[1])
        present = sorted({n for hit in hits for n in hit.groups})
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                pairs[(a, b)] += boost
        for word in tokenize(text)[1]:
            term_counts[word] += boost
            term_seen[word] += 1
    top = max(salience.values(), default=1.0)
    groups: dict[str, ConceptGroup] = {}
    for name, s in salience.items():
        known = cat.groups[name]
        groups[name] = ConceptGroup(name, known.kind, known.aliases, _weight(s, top))
    for name in list(groups):
        for rel in cat.groups[name].related:
            if rel not in groups and rel in cat.groups:
                known = cat.groups[rel]
                groups[rel] = ConceptGroup(rel, known.kind, known.aliases, round(max(MIN_WEIGHT, groups[name].weight * RELATED_FACTOR), 3))
    for word, count in _rare_terms(term_counts, term_seen, covered, lang):
        groups[word] = ConceptGroup(word, "term", (word,), round(min(TERM_WEIGHT_CAP, _weight(count, top)), 3))
    relations = _relations(pairs, groups, cat)
    profile = TopicProfile(seed.id, seed.title, lang, tuple(sorted(groups.values(), key=lambda g: (-g.weight, g.name))), threshold, relations=relations)
    if override is not None:
        profile = apply_override(profile, override)
    return profile


def _relations(pairs: Counter[tuple[str, str]], groups: dict[str, ConceptGroup], cat: Any) -> tuple[tuple[str, str, float], ...]:
    """Pairs of groups mentioned in the same seed paragraph, weighted on a log scale; related
    concepts inherit their parent's pairs at RELATED_FACTOR (weapons~Russia -> ammunition~Russia)."""
    top = max(pairs.values(), default=1.0)
    out: dict[tuple[str, str], float] = {}
    for (a, b), n in pairs.items():
        out[(a, b)] = _weight(n, top)
    for (a, b), w in list(out.items()):
        for x, y in ((a, b), (b, a)):
            for rel in cat.groups[x].related if x in cat.groups else ():
                if rel in groups and rel != y:
                    key = tuple(sorted((rel, y)))
                    out[key] = max(out.get(key, 0.0), round(w * RELATED_FACTOR, 3))
    return tuple(sorted(((a, b, w) for (a, b), w in out.items()), key=lambda t: (-t[2], t[0], t[1])))


def _weight(s: float, top: float) -> float:
    """Salience on a log scale in [MIN_WEIGHT, 1]: the seed's main subject is 1."""
    return round(MIN_WEIGHT + (1 - MIN_WEIGHT) * math.log1p(s) / math.log1p(top), 3)


def _rare_terms(counts: Counter[str], seen: Counter[str], covered: set[str], lang: str) -> list[tuple[str, float]]:
    """Seed words that are rare in the seed's language, repeated, and not already a group's alias."""
    out = []
    for word, count in counts.items():
        if seen[word] < MIN_TERM_COUNT or len(word) < 4 or word in covered or not word.isalpha():
            continue
        if zipf_frequency(word, lang) < RARE_ZIPF:
            out.append((word, count))
    return sorted(out, key=lambda wc: (-wc[1], wc[0]))[:MAX_TERMS]


def apply_override(profile: TopicProfile, ov: Any) -> TopicProfile:
    """Apply a config [profiles."<seed>"] table: remove, add, weights, required, exclude, threshold."""
    groups = {g.name: g for g in profile.groups}
    for item in ov.remove:
        if item in groups:
            del groups[item]
        else:  # an alias: drop it wherever it appears
            groups = {n: replace(g, aliases=tuple(a for a in g.aliases if a != item)) for n, g in groups.items()}
    cat = catalogue()
    for name, aliases in ov.add.items():
        if name in groups:
            groups[name] = replace(groups[name], aliases=tuple(dict.fromkeys(groups[name].aliases + tuple(aliases))))
        elif name in cat.groups and not aliases:
            known = cat.groups[name]
            groups[name] = ConceptGroup(name, known.kind, known.aliases, 0.5)
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
    threshold = ov.threshold if ov.threshold is not None else profile.threshold
    ordered = tuple(sorted(groups.values(), key=lambda g: (-g.weight, g.name)))
    return replace(profile, groups=ordered, threshold=threshold, excluded=tuple(ov.exclude))
