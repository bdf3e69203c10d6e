"""The curated catalogue: CLDR country names (babel) + gazetteer.toml + lexicon.toml, as known groups.

A known group is what a seed can mention: an entity (country, organisation, region) or a domain
concept, with its surface forms in every language we know. The catalogue is optional knowledge:
the engine finds a seed's names and terms without it (monitor.relevance.units); what it adds is
names across languages and scripts ("Korsel" = "Seoul" = "한국") and the domain concepts of
lexicon.toml that seed facts are made of. Loaded by the engine at start and reload; read-only.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources

from babel import Locale

from monitor.relevance.textmatch import Inflection, Matcher, is_hangul

# CLDR territory names that are regions or ambiguous words, not places a seed is about.
_SKIP_TERRITORIES = {"ZZ", "QO", "EZ", "UN", "XA", "XB", "XK", "AQ", "TA", "DG", "IC", "EA", "CP"}


@dataclass(frozen=True)
class KnownGroup:
    """One entity or concept of the catalogue: display name, kind and surface forms."""

    name: str
    kind: str  # entity | concept | background | interaction
    aliases: tuple[str, ...]
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """Every known group plus the per-language inflection rules."""

    groups: dict[str, KnownGroup]
    languages: dict[str, Inflection]
    word_endings: tuple[str, ...] = ()
    datelines: tuple[re.Pattern[str], ...] = ()

    def strip_dateline(self, text: str) -> str:
        """`text` without the datelines/bylines it opens with (lexicon.toml [datelines])."""
        changed = True
        while changed and text:
            changed = False
            for pattern in self.datelines:
                m = pattern.match(text)
                if m and m.end() > 0:
                    text, changed = text[m.end() :], True
        return text

    def inflection_for(self, alias: str, kind: str) -> Inflection | None:
        """Korean particles attach to every noun; Latin-script names inflect (Polish cases) while
        Latin-script concept forms only take plural-like word endings (no stemming of common words)."""
        if is_hangul(alias):
            return self.hangul
        return self.latin if kind == "entity" else self.words

    @property
    def hangul(self) -> Inflection:
        return self.languages.get("ko", Inflection())

    @property
    def latin(self) -> Inflection:
        """Endings of every non-Korean language: a name's case ending in one language is harmless in another."""
        rules = [r for lang, r in self.languages.items() if lang != "ko"]
        endings = tuple(sorted({e for r in rules for e in r.endings}))
        strip = tuple(sorted({s for r in rules for s in r.strip}, key=len, reverse=True))
        return Inflection(endings, strip, min((r.min_stem for r in rules), default=4))

    @property
    def words(self) -> Inflection:
        """Endings any Latin-script concept form may take (plurals), never stripping."""
        return Inflection(self.word_endings, (), 4)

    def matcher(self, groups: list[tuple[str, str, tuple[str, ...]]]) -> Matcher:
        """A Matcher for (name, kind, aliases) triples, with this catalogue's inflection rules."""
        m = Matcher()
        for name, kind, aliases in groups:
            for alias in aliases:
                m.add(name, alias, self.inflection_for(alias, kind))
        return m


def _read(name: str) -> dict:
    return tomllib.loads(resources.files("monitor.relevance.data").joinpath(name).read_text(encoding="utf-8"))


def load_catalogue() -> Catalogue:
    """The shipped catalogue (package data)."""
    lexicon, gazetteer = _read("lexicon.toml"), _read("gazetteer.toml")
    languages = {
        lang: Inflection(tuple(spec.get("endings", ())), tuple(spec.get("strip", ())), int(spec.get("min_stem", 4)), tuple(spec.get("pronouns", ())))
        for lang, spec in lexicon.get("languages", {}).items()
    }
    groups: dict[str, KnownGroup] = {}
    english = Locale("en").territories
    names_by_lang = {lang: Locale(lang).territories for lang in languages}
    extra = gazetteer.get("territories", {})
    exonyms = {code: set(names) for code, names in _read("exonyms.toml").get("names", {}).items()}
    for code, display in english.items():
        if len(code) != 2 or not code.isalpha() or code in _SKIP_TERRITORIES:
            continue
        aliases = {display} | {names[code] for names in names_by_lang.values() if code in names}
        aliases |= set(extra.get(code, {}).get("aliases", ())) | exonyms.get(code, set())
        groups[display] = KnownGroup(display, "entity", tuple(sorted(aliases)))
    for name, spec in gazetteer.get("entities", {}).items():
        groups[name] = KnownGroup(name, "entity", tuple(spec.get("aliases", ())))
    for name, spec in lexicon.get("concepts", {}).items():
        kind = "interaction" if spec.get("interaction") else "background" if spec.get("background") else "concept"
        groups[name] = KnownGroup(name, kind, tuple(spec.get("forms", ())), tuple(spec.get("related", ())))
    word_endings = tuple(sorted({e for spec in lexicon.get("languages", {}).values() for e in spec.get("word_endings", ())}))
    datelines = tuple(re.compile(p) for p in lexicon.get("datelines", {}).get("patterns", ()))
    return Catalogue(groups, languages, word_endings, datelines)


def whole_matcher(cat: Catalogue) -> Matcher:
    """One Matcher over the whole catalogue: seeds and items are read with it."""
    return cat.matcher([(g.name, g.kind, g.aliases) for g in cat.groups.values()])
