"""How rare a word is in news of a language: wordfreq's Zipf scale, for any script.

Zipf 7 is "the", 3 is once per million words, 0 means unknown (a name wordfreq never saw).
wordfreq's own look-up of Korean, Japanese and Chinese words runs MeCab or jieba, which we
do not depend on: their frequency tables are read directly instead (wordfreq stores Korean as
morphemes, so an inflected word is looked up by its stem, and a predicate is common).
"""

from __future__ import annotations

import math
import re
import threading

import wordfreq

WORDLIST = "small"  # every word down to Zipf 3: all our thresholds need, a few MB per language
HANGUL_PARTICLES = tuple(sorted(
    "은 는 이 가 을 를 의 에 에서 에게 께 로 으로 와 과 도 만 까지 부터 보다 처럼 에는 에서는 으로는 로는 과의 와의 이나 나 께서 한테 들 들이 들은 들의 측 측은 측이 서 이다".split(),
    key=len, reverse=True,
))
_PARTICLES = frozenset(HANGUL_PARTICLES)
_PARTICLE_SIZES = tuple(sorted({len(p) for p in HANGUL_PARTICLES}, reverse=True))
_HANGUL = re.compile(r"[\uac00-\ud7a3]+")
# Korean predicates (verbs, adjectives) end in these; a word ending so is not a name
HANGUL_PREDICATE = ("습니다", "니다", "했다", "한다", "된다", "였다", "이다", "었다", "겠다", "있다", "없다", "했던", "하던", "하는", "되는", "있는", "없는", "하고", "해서", "하여", "하며", "라는", "다", "요", "며")
COMMON = 5.0  # the Zipf given to a predicate


def is_hangul(word: str) -> bool:
    return bool(word) and _HANGUL.fullmatch(word) is not None


def hangul_stem(word: str) -> str:
    """A Korean noun without the particle it carries (쿠팡에서 -> 쿠팡); at least two syllables kept."""
    for size in _PARTICLE_SIZES:  # longest particle first: "에서" before "서"
        if len(word) - size >= 2 and word[-size:] in _PARTICLES:
            return word[:-size]
    return word


class Rarity:
    """Zipf frequencies per language; tables load on first use and are kept by this object."""

    def __init__(self) -> None:
        self._languages = set(wordfreq.available_languages(WORDLIST))
        self._tables: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def _table(self, lang: str) -> dict[str, float]:
        table = self._tables.get(lang)
        if table is None:
            with self._lock:
                table = self._tables.get(lang) or wordfreq.get_frequency_dict(lang, wordlist=WORDLIST)
                self._tables[lang] = table
        return table

    def knows(self, lang: str | None) -> bool:
        return lang in self._languages

    def zipf(self, word: str, lang: str | None, name: bool = False) -> float:
        """Zipf frequency of a lower-cased word in `lang` (English when wordfreq lacks the language).

        For a name, the larger of its frequency in `lang` and in English: "Jens" is a common first
        name in English news even where the seed's language never writes it.
        """
        lang = lang if self.knows(lang) else "en"
        if " " in word:  # a phrase, as wordfreq combines one: 1 / sum(1 / f) over its words
            parts = [self.zipf(w, lang, name) for w in word.split()]
            if not all(parts):
                return 0.0
            return _zipf(1 / sum(1 / 10 ** (z - 9) for z in parts))
        if is_hangul(word):
            return self._hangul(word, self._table("ko"))
        z = _zipf(self._table(lang).get(word))
        if name and lang != "en":
            z = max(z, _zipf(self._table("en").get(word)))
        return z

    def _hangul(self, word: str, table: dict[str, float]) -> float:
        if word in table:
            return _zipf(table[word])
        if word.endswith(HANGUL_PREDICATE):
            return COMMON
        stem = hangul_stem(word)
        if stem in table:
            return _zipf(table[stem])
        for n in range(len(stem) - 1, 0, -1):  # a compound: as rare as its longest known head, rarer
            if stem[:n] in table:
                return _zipf(table[stem[:n]]) - 1.0 if n >= 2 else COMMON
        return 0.0


def _zipf(frequency: float | None) -> float:
    return math.log10(frequency) + 9 if frequency else 0.0
