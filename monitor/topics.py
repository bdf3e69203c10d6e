"""Seed text -> TopicProfile (foundation version: rare seed words as single-term groups)."""

from __future__ import annotations

import re
from collections import Counter

from wordfreq import zipf_frequency

from monitor.types import ConceptGroup, Seed, TopicProfile

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
MAX_TERMS = 25


def tokens(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def build_profile(seed: Seed, threshold: float) -> TopicProfile:
    """The seed's rarest frequent words, weighted by count x rarity."""
    lang = seed.lang or "id"
    counts = Counter(tokens(seed.title) * 3 + tokens(seed.text))
    weighted = {w: n * max(0.5, 7.0 - zipf_frequency(w, lang)) for w, n in counts.items()}
    top = sorted(weighted.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TERMS]
    groups = tuple(ConceptGroup(name=w, kind="term", aliases=(w,), weight=round(v, 3)) for w, v in top)
    return TopicProfile(seed.id, seed.title, lang, groups, threshold)
