"""(FeedItem, TopicProfile) -> Match, with the evidence that produced the score (pure)."""

from __future__ import annotations

from monitor.topics import tokens
from monitor.types import FeedItem, Match, MatchedTerm, TopicProfile

MIN_GROUPS = 2


def score(item: FeedItem, profile: TopicProfile) -> Match:
    """Weighted share of the profile's strongest groups found in the item; needs MIN_GROUPS groups."""
    fields = {"title": set(tokens(item.title)), "summary": set(tokens(item.summary)), "text": set(tokens(item.text))}
    matched: list[MatchedTerm] = []
    total = 0.0
    for group in profile.groups:
        for where, words in fields.items():
            hit = next((a for a in group.aliases if a in words), None)
            if hit:
                matched.append(MatchedTerm(group.name, hit, where))
                total += group.weight * (1.5 if where == "title" else 1.0)
                break
    top = sum(sorted((g.weight for g in profile.groups), reverse=True)[:5]) or 1.0
    value = min(1.0, total / top) if len(matched) >= MIN_GROUPS else 0.0
    names = ", ".join(f"{m.term} ({m.where})" for m in matched) or "nothing"
    explanation = f"score {value:.2f}: matched {names}"
    return Match(profile.seed_id, value, tuple(matched), explanation, alert=value >= profile.threshold)
