"""What `seedwatch check` says about a seed that cannot alert, or can alert only on thin evidence (pure)."""

from __future__ import annotations

from monitor.relevance.textmatch import tokenize
from monitor.types import Seed, TopicProfile

THIN_WORDS = 25  # words besides the title: less than a lead paragraph


def seed_warnings(seed: Seed, profile: TopicProfile) -> list[str]:
    """Problems with a seed, each with the fix, most serious first; empty when it looks fine."""
    out = []
    body_words = len(tokenize(seed.text)[0]) - len(tokenize(seed.title)[0])
    if not profile.units and not profile.facts:
        out.append("cannot alert: no name or distinctive term found in the seed; paste the article's text, not just a link or a few common words")
    elif not any(u.name for u in profile.units) and not profile.facts:
        out.append("no names found (people, places, organisations): matches rest on common terms and the semantic signal; add `must_mention` in [profiles] to anchor it")
    if body_words < THIN_WORDS:
        out.append(f"thin seed: {max(body_words, 0)} words besides the title; paste the lead paragraph(s) too, so the seed's names and terms are weighed by more than one line")
    if profile.vectors is None and not profile.facts and profile.units:
        out.append("the semantic signal is off for this check (`check` does not load the model); `explain` and the daemon use it")
    return out
