"""The relevance engine: seeds -> profiles, items -> explained, calibrated matches.

Built once at start and at every reload (`Relevance(...)`), read-only afterwards, shared by
every feed run. Two signals, whichever says more:
- the general one (monitor.relevance.fusion), from the seed alone in any language: its names
  and terms found in the item (units, evidence) and the semantic similarity of the two against
  the background of ordinary news (semantic);
- the catalogue's (monitor.relevance.facts): when the shipped or a user's catalogue can read
  the seed's sentences as facts, an item that instantiates one scores 0.5 or more.
Both are on one scale: at or over the profile's threshold (0.5 by default) an item alerts, at or
over its related threshold (0.3) it is a related development for digests. Then the user's own
rules (monitor.relevance.rules) may veto.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.relevance import explain, feedback, rules
from monitor.relevance.evidence import ItemText, Lexical, Place, body_text, lexical
from monitor.relevance.facts import compile_facts, evidence, score_facts
from monitor.relevance.fusion import Fusion
from monitor.relevance.langid import LanguageGuesser
from monitor.relevance.lexicon import Catalogue, load_catalogue, whole_matcher
from monitor.relevance.rarity import Rarity
from monitor.relevance.semantic import Background, Embedder, SeedVectors, embed_input
from monitor.relevance.textmatch import Matcher
from monitor.relevance.topics import apply_override, read_seed
from monitor.relevance.units import seed_parts, seed_units
from monitor.types import FeedItem, Match, Seed, SeedRules, SeedUnit, TopicProfile

log = logging.getLogger("seedwatch.relevance")
MAX_SENTENCES = 24
# An item is embedded when it shares a unit at least this strong with some seed: on the dev
# seeds no alert needed a vector without one, and weaker words ("over", "her") are in every item.
VECTOR_GATE = 0.15  # seed sentences embedded for "closest to" (the rest still count in the whole)


@dataclass(frozen=True)
class Prepared:
    """An item read once for all seeds: its text, its lexical evidence per seed, whether a
    vector could change anything (some seed shares a name or a key term with it)."""

    text: ItemText
    lexical: tuple[Lexical, ...]  # in the order of the profiles given to `prepare`
    wants_vector: bool


class Relevance:
    """One engine per config: the catalogue, the rarity tables, the background, the fusion model
    and (optionally) an embedder. `embed=None` turns the semantic signal off."""

    def __init__(self, embed: Embedder | None = None, catalogue: Catalogue | None = None, background: Background | None = None, fusion: Fusion | None = None) -> None:
        self.rarity = Rarity()
        self.catalogue = catalogue or load_catalogue()
        self.matcher = whole_matcher(self.catalogue)
        self.languages = LanguageGuesser(tuple(self.catalogue.languages))
        self.fusion = fusion or Fusion.shipped()
        self.embed = embed
        self.background = (background or Background.shipped()) if embed is not None else None

    # profiles -------------------------------------------------------------------
    def profile(self, seed: Seed, threshold: float, related_threshold: float, override: Any = None, verdicts: Sequence[tuple[str, FeedItem]] = ()) -> TopicProfile:
        """The seed's profile; `override` is its config.ProfileOverride (or None); `verdicts` the
        (good | bad, item) feedback it adapts to (monitor.relevance.feedback)."""
        lang = seed.lang or self.languages.detect(seed.title + "\n" + seed.text) or "en"
        title, sentences = seed_parts(seed.title, seed.text)
        units = seed_units(title, sentences, lang, self.rarity)
        units = tuple(self._linked(u) for u in units)
        groups, facts = read_seed(seed, self.catalogue, self.matcher, self.rarity)
        seed_rules = SeedRules()
        if override is not None:
            groups, facts = apply_override(groups, facts, override, self.catalogue)
            threshold = override.threshold if override.threshold is not None else threshold
            related_threshold = override.related_threshold if override.related_threshold is not None else related_threshold
            seed_rules = SeedRules(tuple(override.keep), tuple(override.block), tuple(override.must_mention), tuple(override.exclude))
        matcher, shared = self._matcher_for(groups)
        lines = (title, *sentences[: MAX_SENTENCES - 1])
        marks = tuple(sorted((verdict, item.key) for verdict, item in verdicts))
        digest = hashlib.sha1(repr((seed.title, seed.text, lang, threshold, related_threshold, override, marks)).encode()).hexdigest()[:16]
        vectors = self._vectors(title, sentences, lines)
        adapted = feedback.adapt(vectors, [(v, self.read(item)) for v, item in verdicts], self._embed_quietly, self.background)
        return TopicProfile(
            seed.id, seed.title, lang, groups, threshold, seed_rules.exclude, facts, units, related_threshold, seed_rules, lines, digest,
            feedback.counts(verdicts), adapted.leaning,
            compiled=compile_facts(groups, facts, self.catalogue, matcher, shared),
            vectors=adapted.vectors,
        )

    def _linked(self, unit: SeedUnit) -> SeedUnit:
        """A unit the catalogue knows as one entity carries that entity: its names in every language match."""
        hits = self.matcher.find(unit.surface)
        if len(hits) == 1 and hits[0].surface.lower() == unit.surface.lower() and len(hits[0].groups) == 1:
            group = hits[0].groups[0]
            if self.catalogue.groups[group].kind == "entity":
                return SeedUnit(unit.key, unit.surface, unit.weight, unit.name, unit.in_title, group)
        return unit

    def _matcher_for(self, groups: Sequence[Any]) -> tuple[Matcher, bool]:
        """The shared matcher, or one with the profile's own aliases when the config tunes them."""
        cat = self.catalogue
        tuned = [(g.name, g.kind, g.aliases) for g in groups if g.name not in cat.groups or g.aliases != cat.groups[g.name].aliases]
        if not tuned:
            return self.matcher, True
        names = {name for name, _, _ in tuned}
        return cat.matcher(tuned + [(g.name, g.kind, g.aliases) for g in cat.groups.values() if g.name not in names]), False

    def _vectors(self, title: str, sentences: list[str], lines: tuple[str, ...]) -> SeedVectors | None:
        if self.background is None:
            return None
        vectors = self._embed_quietly([title + "\n" + " ".join(sentences), *lines])
        return None if vectors is None else SeedVectors.of(vectors[0], vectors[1], vectors[1:], self.background)

    def _embed_quietly(self, texts: list[str]) -> np.ndarray | None:
        """Vectors, or None (logged) when there is no embedder or it fails."""
        if self.embed is None or not texts:
            return None
        try:
            return self.embed(texts)
        except Exception as exc:  # the embedder is a seam to a model or a worker: its failure costs the signal, not the seed
            log.error("seed profile without the semantic signal: the embedder failed", extra={"kv": {"error": f"{type(exc).__name__}: {exc}"}})
            return None

    # items ------------------------------------------------------------------------
    def read(self, item: FeedItem) -> ItemText:
        body = body_text(item)
        hits = self._hits(item, self.matcher)
        lang = item.lang or self.languages.detect(f"{item.title}\n{item.summary[:300]}")
        body_hits = hits.get("summary", ()) + hits.get("text", ())
        return ItemText(item, Place.of(item.title, hits["title"]), Place.of(body, body_hits), hits, lang, embed_input(item.title, item.summary or item.text))

    def prepare(self, item: FeedItem, profiles: Sequence[TopicProfile]) -> Prepared:
        text = self.read(item)
        found = tuple(lexical(p.units, text) for p in profiles)
        wants = self.embed is not None and any(unit.weight >= VECTOR_GATE for lex in found for unit, _s, _w in lex.found)
        return Prepared(text, found, wants)

    def vectors(self, prepared: Sequence[Prepared]) -> list[np.ndarray | None]:
        """One vector per prepared item that wants one (None for the others), in one batch."""
        wanted = [p for p in prepared if p.wants_vector]
        if not wanted or self.embed is None:
            return [None] * len(prepared)
        try:
            made = iter(self.embed([p.text.embed_input for p in wanted]))
        except Exception as exc:  # as in _vectors: these items are scored without the semantic signal
            log.warning("items scored without the semantic signal: the embedder failed", extra={"kv": {"items": len(wanted), "error": f"{type(exc).__name__}: {exc}"}})
            return [None] * len(prepared)
        return [next(made) if p.wants_vector else None for p in prepared]

    def score(self, text: ItemText, profile: TopicProfile, vector: np.ndarray | None = None, found: Lexical | None = None) -> Match:
        """Score one read item against one profile; see the module docstring."""
        lex = found or lexical(profile.units, text)
        signals = {
            "name_title": lex.name_title, "name_body": lex.name_body, "cover_title": lex.cover_title,
            "cover_body": lex.cover_body, "title_units": lex.title_units,
        }
        closest = None
        if vector is not None and profile.vectors is not None:
            signals["semantic"], signals["semantic_title"] = profile.vectors.z(vector, text.lang)
            closest = profile.sentences[profile.vectors.closest(vector)]
        compiled = profile.compiled
        hits = text.hits if compiled.shared else self._hits(text.item, compiled.matcher)
        facts = score_facts(evidence(hits, text.item.title, compiled), compiled)
        model = self.fusion.model("semantic" in signals)
        # the catalogue reads this seed as facts and the item shows their actors without one: a no
        contradicted = bool(compiled.facts) and facts.fact is None and facts.actors
        general = model.score(signals, self.fusion.contradicted_point if contradicted else None, profile.leaning)
        value = round(max(general, facts.value), 4)
        veto = rules.veto(profile.rules, facts.missing_required, text, lex)
        band = None if veto else "alert" if value >= profile.threshold else "related" if value >= profile.related_threshold else None
        matched = explain.matched_terms(facts.matched, lex)
        why = explain.why(value, band, veto, profile, signals, lex, facts, closest, text.lang, model, contradicted)
        numbers = tuple((k, round(v, 4)) for k, v in signals.items()) + (("general", round(general, 4)), ("facts", facts.value), ("contradicted", float(contradicted)))
        return Match(profile.seed_id, value, matched, explain.line(why), band == "alert", band, why, numbers)

    def _hits(self, item: FeedItem, matcher: Matcher) -> dict[str, tuple]:
        """Catalogue hits per place, datelines cut from the summary and text."""
        hits = {"title": matcher.find(item.title)}
        for where, text in (("summary", item.summary), ("text", item.text)):
            if text:
                hits[where] = matcher.find(self.catalogue.strip_dateline(text))
        return hits
