"""Light language identification: script first, then the share of each language's commonest words.

Uses wordfreq's own frequency lists (no model download); the candidate languages are those of
lexicon.toml [languages], so adding a language there makes it detectable.
"""

from __future__ import annotations

from functools import lru_cache

from wordfreq import top_n_list

from monitor.relevance.textmatch import is_hangul, tokenize

COMMON_WORDS = 150
# wordfreq's "small" lists hold every word down to Zipf 3 (once per million words), all our
# thresholds need; the default "best" lists go 100x rarer and cost 45-60 MB of RSS per language.
WORDLIST = "small"


@lru_cache(maxsize=16)
def _common(lang: str) -> frozenset[str]:
    try:
        return frozenset(top_n_list(lang, COMMON_WORDS, wordlist=WORDLIST))
    except LookupError:
        return frozenset()


def detect(text: str, languages: tuple[str, ...]) -> str | None:
    """The most likely of `languages` for `text`, or None when nothing points anywhere."""
    if is_hangul(text) and "ko" in languages:
        return "ko"
    words = tokenize(text)[1]
    best, best_hits = None, 0
    for lang in languages:
        if lang == "ko":
            continue
        common = _common(lang)
        hits = sum(1 for w in words if w in common)
        if hits > best_hits:
            best, best_hits = lang, hits
    return best
