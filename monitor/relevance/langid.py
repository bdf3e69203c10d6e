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
)


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

    def detect(self, text: str) -> str | None:
        """The most likely language of `text`, or None when nothing points anywhere."""
        for pattern, lang in _SCRIPTS:
            if pattern.search(text):
                return lang
        words = tokenize(text)[1]
        best, best_hits = None, 0
        for lang, common in self._lists().items():
            hits = sum(1 for w in words if w in common)
            if hits > best_hits:
                best, best_hits = lang, hits
        return best
