"""Light language identification: script first, then the share of each language's commonest words.

Uses wordfreq's own frequency lists (no model download). Used for a seed without a `lang:`
header and an item whose feed declares no language; the languages tried are CANDIDATES plus
the catalogue's, and a seed may always say its language in its header.
"""

from __future__ import annotations

import re

from wordfreq import top_n_list

from monitor.relevance.rarity import WORDLIST
from monitor.relevance.textmatch import tokenize

COMMON_WORDS = 150
CANDIDATES = ("en", "id", "pl", "de", "fr", "es", "pt", "it", "nl", "sv", "ru", "uk", "tr", "vi", "ms")
_SCRIPTS = (
    (re.compile(r"[\uac00-\ud7a3]"), "ko"),
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    # scripts one language writes among those we know: the word lists of a Latin language
    # would otherwise claim the text by its few Latin words (a name, a URL)
    (re.compile(r"[\u0370-\u03ff]"), "el"),
    (re.compile(r"[\u0590-\u05ff]"), "he"),
    (re.compile(r"[\u0900-\u097f]"), "hi"),
    (re.compile(r"[\u0980-\u09ff]"), "bn"),
    (re.compile(r"[\u0b80-\u0bff]"), "ta"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
)
_ARABIC = re.compile(r"[\u0600-\u06ff]")
ARABIC_SCRIPT = ("ar", "fa", "ur")  # told apart by their common words


class LanguageGuesser:
    """Guesses a text's language among a fixed set; the common-word lists load on first use."""

    def __init__(self, languages: tuple[str, ...] = ()) -> None:
        self.languages = tuple(dict.fromkeys(CANDIDATES + tuple(lang for lang in languages if lang not in ("ko", "ja", "zh"))))
        self._common: dict[str, frozenset[str]] | None = None

    def _lists(self) -> dict[str, frozenset[str]]:
        if self._common is None:
            common = {}
            for lang in self.languages:
                try:
                    common[lang] = frozenset(top_n_list(lang, COMMON_WORDS, wordlist=WORDLIST))
                except LookupError:  # a language wordfreq does not have
                    continue
            self._common = common
        return self._common

    def _arabic(self) -> dict[str, frozenset[str]]:
        return {lang: frozenset(top_n_list(lang, COMMON_WORDS, wordlist=WORDLIST)) for lang in ARABIC_SCRIPT}

    def detect(self, text: str) -> str | None:
        """The most likely language of `text`, or None when nothing points anywhere."""
        letters: list[str] | None = None  # made only when a script of one language shows up
        for pattern, lang in _SCRIPTS:
            if pattern.search(text):
                if lang in ("ko", "ja", "zh"):
                    return lang
                letters = letters if letters is not None else [c for c in text if c.isalpha()]
                if _share(pattern, letters) > 0.5:
                    return lang
        words = tokenize(text)[1]
        arabic = _ARABIC.search(text) is not None and _share(_ARABIC, [c for c in text if c.isalpha()]) > 0.5
        best, best_hits = ("ar" if arabic else None), 0
        for lang, common in (self._arabic() if arabic else self._lists()).items():
            hits = sum(1 for w in words if w in common)
            if hits > best_hits:
                best, best_hits = lang, hits
        return best


def _share(pattern: re.Pattern[str], letters: list[str]) -> float:
    """The share of the letters in the script `pattern` matches."""
    return sum(1 for c in letters if pattern.match(c)) / len(letters) if letters else 0.0
