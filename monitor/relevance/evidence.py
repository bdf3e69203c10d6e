"""What an item shares with a seed in words: its units found in the title or the body (pure).

An item is read once (`ItemText`) whatever the number of seeds. A unit is found when a word
of the item is the unit's word or an inflected form of it, in either direction, without a
dictionary: Polish "Zahawiego" is "Zahawi" (the longer word starts with the shorter, at most
four letters more, the shorter at least four long); Korean "쿠팡이", "쿠팡대표" are "쿠팡" (at
most three syllables more); Indonesian "tambangnya" is "tambang". A two-word name must appear
as those two words. A unit the catalogue knows (a country, say) is also found by any of the
catalogue's names for it in any language ("Seoul" for "Korsel").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.relevance.textmatch import Hit, tokenize
from monitor.relevance.units import normal
from monitor.types import FeedItem, SeedUnit

BODY_CHARS = 2000  # of summary + text: past the lead, words say little about the subject
LATIN_EXTRA, HANGUL_EXTRA, MIN_STEM = 4, 3, 4
TOP_UNITS = 12


@dataclass(frozen=True)
class Place:
    """One part of an item as compared words: tokens, their pairs, and catalogue groups found."""

    words: frozenset[str]
    pairs: frozenset[str]
    by_start: dict[str, tuple[str, ...]]  # first two letters -> words (an inflection shares them)
    groups: dict[str, str]  # catalogue group -> surface form seen

    @classmethod
    def of(cls, text: str, hits: Iterable[Hit]) -> "Place":
        tokens = tokenize(text)[0]
        normals = {t: normal(t) for t in set(tokens)}  # a body repeats its words: normalise each once
        words = [normals[t] for t in tokens]
        by_start: dict[str, list[str]] = {}
        for w in set(normals.values()):
            by_start.setdefault(w[:2], []).append(w)
        groups: dict[str, str] = {}
        for hit in hits:
            for g in hit.groups:
                groups.setdefault(g, hit.surface)
        return cls(frozenset(words), frozenset(f"{a} {b}" for a, b in zip(words, words[1:])), {k: tuple(sorted(v)) for k, v in by_start.items()}, groups)

    def has(self, unit: SeedUnit) -> str | None:
        """The surface form by which this place shows the unit, or None."""
        if unit.group is not None and unit.group in self.groups:
            return self.groups[unit.group]
        key = unit.key
        if " " in key:
            return unit.surface if key in self.pairs else None
        if key in self.words:
            return unit.surface
        for word in self.by_start.get(key[:2], ()):  # a one-letter key has no inflections: none found
            if inflected(key, word):
                return word
        return None


@dataclass(frozen=True)
class ItemText:
    """An item read once for every seed: its title and body as Places, the catalogue's hits per
    place (for seed facts), its language and the text its vector is made from."""

    item: FeedItem
    title: Place
    body: Place
    hits: dict[str, tuple[Hit, ...]]  # "title" | "summary" | "text" -> hits, datelines cut
    lang: str | None
    embed_input: str


def inflected(key: str, word: str) -> bool:
    """Whether an item word is a seed unit's word inflected (or the unit an inflected form of it)."""
    if "\uac00" <= key[:1] <= "\ud7a3":  # Hangul: Korean particles and compounds follow the noun
        return len(key) >= 2 and word.startswith(key) and len(word) - len(key) <= HANGUL_EXTRA
    if word.startswith(key):
        return len(key) >= MIN_STEM and len(word) - len(key) <= LATIN_EXTRA
    if key.startswith(word):  # the seed wrote the inflected form ("Zahawiego"), the item the base
        return len(word) > MIN_STEM and len(key) - len(word) <= LATIN_EXTRA
    return False


def body_text(item: FeedItem) -> str:
    """Summary, then the text when it says more (a feed's content often repeats the summary)."""
    if not item.text:
        return item.summary[:BODY_CHARS]
    body = item.text if item.text.startswith(item.summary) else f"{item.summary}\n{item.text}"
    return body[:BODY_CHARS]


@dataclass(frozen=True)
class Lexical:
    """The lexical signals of one item for one seed, and the units found with where."""

    name_title: float  # the strongest seed name found in the title (its weight), else 0
    name_body: float  # the same in the body, for names not in the title
    cover_title: float  # share of the seed title's units (by weight) found in the item's title
    cover_body: float  # share found only in the body
    title_units: float  # distinct seed-title words found anywhere, 0..3, over 3 (a conjunction)
    found: tuple[tuple[SeedUnit, str, str], ...]  # (unit, surface seen, "title" | "summary")


def lexical(units: tuple[SeedUnit, ...], text: ItemText) -> Lexical:
    found: list[tuple[SeedUnit, str, str]] = []
    name_title = name_body = 0.0
    title_weight = cover_title = cover_body = 0.0
    distinct = 0
    for unit in units:
        seen_title = text.title.has(unit)
        seen_body = None if seen_title else text.body.has(unit)
        if seen_title:
            found.append((unit, seen_title, "title"))
        elif seen_body:
            found.append((unit, seen_body, "summary"))
        if unit.name and seen_title:
            name_title = max(name_title, unit.weight)
        elif unit.name and seen_body:
            name_body = max(name_body, unit.weight)
        if unit.in_title:
            title_weight += unit.weight
            cover_title += unit.weight if seen_title else 0.0
            cover_body += unit.weight if seen_body else 0.0
            distinct += bool((seen_title or seen_body) and " " not in unit.key)
    total = title_weight or 1.0
    return Lexical(name_title, name_body, cover_title / total, cover_body / total, min(distinct, 3) / 3, tuple(found))
