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
# A script and the languages that write it, among those we know. One written by one language
# names it (the word lists of a Latin language would otherwise claim a Greek text by its few Latin
# words: a name, a URL); Korean, Japanese and Chinese do so on any of their characters (a Korean
# item quotes English; no Latin text quotes Hangul). The Arabic script's are told apart by their
# common words.
_SCRIPTS = (
    (re.compile(r"[\uac00-\ud7a3]"), ("ko",)),
    (re.compile(r"[\u3040-\u30ff]"), ("ja",)),
    (re.compile(r"[\u4e00-\u9fff]"), ("zh",)),
    (re.compile(r"[\u0370-\u03ff]"), ("el",)),
    (re.compile(r"[\u0590-\u05ff]"), ("he",)),
    (re.compile(r"[\u0900-\u097f]"), ("hi",)),
    (re.compile(r"[\u0980-\u09ff]"), ("bn",)),
    (re.compile(r"[\u0b80-\u0bff]"), ("ta",)),
    (re.compile(r"[\u0e00-\u0e7f]"), ("th",)),
    (re.compile(r"[\u0600-\u06ff]"), ("ar", "fa", "ur")),
)
ON_ANY_CHARACTER = ("ko", "ja", "zh")
SCRIPT_SHARE = 0.5  # of the text's letters, over which a script names the language


class LanguageGuesser:
    """Guesses a text's language among a fixed set; the common-word lists load on first use."""

    def __init__(self, languages: tuple[str, ...] = ()) -> None:
        self.languages = tuple(dict.fromkeys(CANDIDATES + tuple(lang for lang in languages if lang not in ON_ANY_CHARACTER)))
        self._common: dict[str, frozenset[str]] = {}

    def _lists(self, languages: tuple[str, ...]) -> dict[str, frozenset[str]]:
        """The common-word lists of those of `languages` wordfreq has, each loaded once."""
        for lang in languages:
            if lang not in self._common:
                try:
                    self._common[lang] = frozenset(top_n_list(lang, COMMON_WORDS, wordlist=WORDLIST))
                except LookupError:  # a language wordfreq does not have
                    self._common[lang] = frozenset()
        return {lang: self._common[lang] for lang in languages if self._common[lang]}

    def detect(self, text: str) -> str | None:
        """The most likely language of `text`, or None when nothing points anywhere."""
        letters: list[str] | None = None  # counted only when a script of few languages shows up
        for pattern, langs in _SCRIPTS:
            if not pattern.search(text):
                continue
            if langs[0] in ON_ANY_CHARACTER:
                return langs[0]
            letters = letters if letters is not None else [c for c in text if c.isalpha()]
            if sum(1 for c in letters if pattern.match(c)) > SCRIPT_SHARE * len(letters):
                return langs[0] if len(langs) == 1 else self._by_common_words(text, langs) or langs[0]
        return self._by_common_words(text, self.languages)

    def _by_common_words(self, text: str, languages: tuple[str, ...]) -> str | None:
        words = tokenize(text)[1]
        best, best_hits = None, 0
        for lang, common in self._lists(languages).items():
            hits = sum(1 for w in words if w in common)
            if hits > best_hits:
                best, best_hits = lang, hits
        return best
