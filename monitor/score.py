"""(FeedItem, TopicProfile) -> Match: score in [0, 1], the evidence and a one-line explanation (pure).

Evidence is weighted by place (title counts most). Most of the score comes from the seed's
relations the item shares (pairs of groups the seed names in one paragraph: NATO~South Korea,
North Korea~weapons), the rest from single groups; both combine as noisy-OR,
1 - prod(1 - strength * weight * place). The gate: an item can only alert with
evidence from at least MIN_GROUPS distinct groups, at least one of them an entity and one a
concept, every `required` group present and no excluded term; a gated-out item keeps
a damped score (for ranking) but never alerts.
"""

from __future__ import annotations

from monitor.lexicon import catalogue
from monitor.textmatch import tokenize
from monitor.types import FeedItem, Match, MatchedTerm, TopicProfile

PLACES = (("title", 1.0), ("summary", 0.8), ("text", 0.6))
# Share of the score from seed relations (pairs) vs single groups, and each one's strength.
RELATION_SHARE, GROUP_SHARE = 0.7, 0.3
RELATION_STRENGTH, GROUP_STRENGTH = 0.3, 0.3
MIN_GROUPS = 2
GATED_DAMPING = 0.5


def compile_profile(profile: TopicProfile) -> TopicProfile:
    """The profile with its alias index built (done once; score() calls it when missing)."""
    if profile.matcher is not None:
        return profile
    matcher = catalogue().matcher([(g.name, g.kind, g.aliases) for g in profile.groups])
    object.__setattr__(profile, "matcher", matcher)  # a cache, not state: compare=False field
    return profile


def score(item: FeedItem, profile: TopicProfile) -> Match:
    """Score `item` against `profile`; see the module docstring for the rule."""
    matcher = compile_profile(profile).matcher
    groups = {g.name: g for g in profile.groups}
    best: dict[str, tuple[float, MatchedTerm]] = {}
    for where, factor in PLACES:
        text = getattr(item, where)
        if not text:
            continue
        for hit in matcher.find(text):
            for name in hit.groups:
                if name not in best:
                    best[name] = (factor, MatchedTerm(name, hit.surface, where))
    raw = _value(best, groups, profile)
    reason = _gate(best, groups, profile, item)
    value = raw if reason is None else raw * GATED_DAMPING
    matched = tuple(m for _, m in sorted(best.values(), key=lambda fm: -groups[fm[1].group].weight * fm[0]))
    alert = reason is None and value >= profile.threshold
    return Match(profile.seed_id, round(value, 4), matched, _explain(value, alert, matched, reason, profile.threshold), alert)


def _value(best: dict, groups: dict, profile: TopicProfile) -> float:
    """Relations the item shares with the seed carry most of the score; single groups the rest."""
    rel_miss = 1.0
    for a, b, w in profile.relations:
        if a in best and b in best:
            rel_miss *= 1.0 - RELATION_STRENGTH * w * min(best[a][0], best[b][0])
    uni_miss = 1.0
    for name, (factor, _) in best.items():
        uni_miss *= 1.0 - GROUP_STRENGTH * groups[name].weight * factor
    return RELATION_SHARE * (1.0 - rel_miss) + GROUP_SHARE * (1.0 - uni_miss)


def _gate(best: dict, groups: dict, profile: TopicProfile, item: FeedItem) -> str | None:
    """Why the item may not alert, or None when the evidence is broad enough."""
    kinds = [groups[n].kind for n in best]
    if len(best) < MIN_GROUPS:
        return f"needs {MIN_GROUPS} distinct groups"
    if "entity" not in kinds:
        return "no entity matched"
    if "concept" not in kinds:
        return "no domain concept matched"
    missing = [g.name for g in profile.groups if g.required and g.name not in best]
    if missing:
        return "required group missing: " + ", ".join(missing)
    if profile.excluded:
        words = set()
        for where, _ in PLACES:
            words.update(tokenize(getattr(item, where) or "")[1])
        found = [t for t in profile.excluded if all(w in words for w in tokenize(t)[1])]
        if found:
            return "excluded term: " + ", ".join(found)
    return None


def _explain(value: float, alert: bool, matched: tuple[MatchedTerm, ...], reason: str | None, threshold: float) -> str:
    evidence = ", ".join(f"{m.group}={m.term!r} ({m.where})" for m in matched) or "nothing"
    verdict = "alert" if alert else ("gated: " + reason if reason else f"below threshold {threshold:g}")
    return f"score {value:.2f} ({verdict}): {evidence}"
