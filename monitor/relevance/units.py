"""Seed -> its names and key terms (SeedUnits), from the seed text alone, in any language.

1. The seed is read as a title, a lead sentence and the rest; datelines and outlet brackets
   ("JAKARTA, KOMPAS.com -", "[파이낸셜뉴스]") and one-word lines ("Advertisement") are dropped.
2. Every word is a candidate; so is every pair of words that the body capitalises together
   ("Raja Ampat", "Nadhim Zahawi"). A name is a word the body capitalises inside a sentence
   (headlines capitalise every word, so the title alone decides only for a title-only seed), or
   a rare Hangul or Han word (those scripts have no capitals).
3. Weight = salience x rarity, in [0, 1]: salience counts mentions (title 3, lead 2, rest 1) on
   a log scale relative to the seed's most mentioned word, names and title words count more;
   rarity is absolute, from wordfreq's Zipf frequency in the seed's language (for names, the
   larger of that and English): "the", "dan" and "했습니다" weigh nothing, "Zahawi" or "쿠팡" as
   much as their salience allows, "NATO" or "Ukraine" less however often the seed says them. So
   a weight means the same in every seed: sharing a weight-1 name says more than sharing a
   weight-0.4 one, whichever seed it comes from.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

from monitor.relevance.rarity import Rarity, hangul_stem, is_hangul
from monitor.relevance.textmatch import tokenize
from monitor.types import SeedUnit

TITLE, LEAD, BODY = 3.0, 2.0, 1.0
NAME_FACTOR = TITLE_FACTOR = 1.5
ZIPF_TOP = 7.0  # Zipf of the commonest words: rarity 0
ZIPF_SPAN = 5.0  # words at Zipf 2 (once in 100 million words) or rarer count fully
MIN_WEIGHT = 0.01  # weaker words are noise
BOOST_ROOM = 1.5  # a rare title name mentioned half as often as the seed's most mentioned word still weighs 1
MAX_UNITS = 40
_SENTENCE = re.compile(r"(?<=[.!?。])\s+|\n+")
# "JAKARTA, KOMPAS.com -", "SEOUL (Reuters) -", "[파이낸셜뉴스]", "(서울=연합뉴스)" at the start of a line
_DATELINE = re.compile(r"^(\[[^\]]{1,40}\]\s*|\([^)]{1,40}\)\s*|[A-Z][A-Z .]{2,30}(,\s*[^-–—]{1,40})?\s*(\([^)]{1,30}\))?\s*[-–—]\s+)")


def normal(word: str) -> str:
    """The form units and item words are compared in: NFKC, case-folded, Korean particle dropped."""
    word = unicodedata.normalize("NFKC", word).casefold()
    return hangul_stem(word) if is_hangul(word) else word


def without_dateline(line: str) -> str:
    previous = None
    while previous != line:
        previous, line = line, _DATELINE.sub("", line, count=1)
    return line


def seed_parts(title: str, text: str) -> tuple[str, list[str]]:
    """(title, sentences of the body) with datelines and one-word lines removed."""
    lines = [without_dateline(line.strip()) for line in text.splitlines()]
    lines = [line for line in lines if len(tokenize(line)[0]) > 1]
    if lines and lines[0].strip() == title.strip():
        lines = lines[1:]
    sentences = [s.strip() for s in _SENTENCE.split("\n".join(lines)) if len(tokenize(s)[0]) > 1]
    return without_dateline(title.strip()), sentences


def seed_units(title: str, sentences: list[str], lang: str, rarity: Rarity) -> tuple[SeedUnit, ...]:
    """The seed's units, strongest first (at most MAX_UNITS)."""
    sections = [(title, TITLE)] + [(s, LEAD if i == 0 else BODY) for i, s in enumerate(sentences)]
    capitalised, pairs = _names(sections[1:] or sections)
    salience: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for text, boost in sections:
        raw = tokenize(text)[0]
        keys = [normal(t) for t in raw]
        for i, key in enumerate(keys):
            if len(key) >= 2 and not key.isdigit():
                salience[key] += boost
                mentions[key] += 1
                surface.setdefault(key, raw[i])
            if i and f"{keys[i - 1]} {key}" in pairs:
                salience[f"{keys[i - 1]} {key}"] += boost
                mentions[f"{keys[i - 1]} {key}"] += 1
                surface.setdefault(f"{keys[i - 1]} {key}", f"{raw[i - 1]} {raw[i]}")
    title_keys = _keys(title)
    weights: dict[str, float] = {}
    names: set[str] = set()
    most = math.log1p(max(salience.values(), default=1.0))
    for key, count in salience.items():
        name = key in capitalised or key in pairs or (_cjk(key) and rarity.zipf(key, lang) < 4.5)
        zipf = _pair_zipf(key, lang, rarity) if " " in key else rarity.zipf(key, lang, name)
        if zipf is None:
            continue
        rare = min(1.0, max(0.0, (ZIPF_TOP - zipf) / ZIPF_SPAN)) ** 2
        boost = (NAME_FACTOR if name else 1.0) * (TITLE_FACTOR if key in title_keys else 1.0) / (NAME_FACTOR * TITLE_FACTOR)
        weight = min(1.0, math.log1p(count) / most * rare * boost * BOOST_ROOM)
        if weight > 0:
            weights[key] = weight
            if name and (mentions[key] >= 2 or key in title_keys):  # a name said once in passing is no subject
                names.add(key)
    ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_UNITS]
    return tuple(SeedUnit(key, surface[key], round(w, 4), key in names, key in title_keys) for key, w in ranked if w >= MIN_WEIGHT)


def _names(sections: list[tuple[str, float]]) -> tuple[set[str], set[str]]:
    """Words capitalised inside sentences, and pairs of them in a row (names of two words)."""
    single: set[str] = set()
    pairs: set[str] = set()
    for text, _boost in sections:
        raw = tokenize(text)[0]
        for i in range(1, len(raw)):
            if raw[i][:1].isupper():
                single.add(normal(raw[i]))
                if i > 1 and raw[i - 1][:1].isupper() and raw[i - 1].isalpha() and raw[i].isalpha():
                    pairs.add(f"{normal(raw[i - 1])} {normal(raw[i])}")
    return single, pairs


def _pair_zipf(key: str, lang: str, rarity: Rarity) -> float | None:
    """A two-word name is rarer than its rarer word, by about ten (a set phrase is no rarer than
    that: "Lingkungan Hidup" is everywhere); None when one word alone is rare enough to say it
    (the pair would only count that word twice)."""
    a, b = (rarity.zipf(w, lang, True) for w in key.split(" "))
    if min(a, b) < 3.0:
        return None
    return min(a, b) - 1.0


def _keys(text: str) -> set[str]:
    keys = [normal(t) for t in tokenize(text)[0]]
    return set(keys) | {f"{a} {b}" for a, b in zip(keys, keys[1:])}


def _cjk(word: str) -> bool:
    return is_hangul(word) or all("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in word)
