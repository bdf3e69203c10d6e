"""Story assignment: which story and event an alerting item joins, whether it alerts, and why (pure).

A seed's stories are made of events (TDT's notion: one happening with its reporting, across
outlets and languages). An entry is placed against the seed's open items, those within
`stories.window` of it:

1. a near-copy (monitor.stories.nearcopy: MinHash) joins the event of the item it copies;
2. else the decision model (monitor.stories.decision) gives each open event the probability that
   the entry reports it; at or over `join` the entry joins the likeliest, without an alert;
3. else the entry is a new event. When the likeliest event's probability is at least `related`
   and the entry names one of that event's story's names or numbers, it is of that story: it
   alerts as an update saying what is new when it names something the story had not (a name, a
   number, a rare term), and joins the likeliest event without an alert when it names nothing
   new, is an opinion piece (by its address: commentary on the story, never a development) or
   comes within the model's `quiet` hours of one of its story's alerts (that alert's coverage).
   Otherwise it is the first item of a new story and alerts.

Ties are broken by stable keys (an event's first item key), so the same stored state always gives
the same decision, whatever order the store returned the members in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from monitor.stories import decision, nearcopy
from monitor.stories.decision import Model
from monitor.stories.entries import Entry, Member, Reader, pack_vector, unpack_vector
from monitor.stories.evidence import key, surfaces
from monitor.types import StoryDecision

__all__ = ["Entry", "Member", "Model", "Reader", "Rules", "assign", "event_id", "pack_vector", "story_id", "unpack_vector"]

SHOWN_MARKS = 6  # shared or new marks named in a reason


@dataclass(frozen=True)
class Rules:
    """Tunable settings, from the `[stories]` config section."""

    window: timedelta = timedelta(hours=72)
    similarity: float = 0.5


def story_id(seed_id: str, first_key: str) -> str:
    """Stable id: a story is named after its seed and first item."""
    return "sty_" + hashlib.sha1(f"{seed_id}|{first_key}".encode()).hexdigest()[:16]


def event_id(seed_id: str, first_key: str) -> str:
    """Stable id: an event is named after its seed and first item."""
    return "evt_" + hashlib.sha1(f"{seed_id}|{first_key}".encode()).hexdigest()[:16]


def _describe(e: Entry) -> str:
    return f"“{e.title}” ({e.source or 'unknown source'})"


def _hours(a: Entry, b: Entry) -> float:
    return abs((a.at - b.at).total_seconds()) / 3600


def near_copy(entry: Entry, member: Entry, rules: Rules, words: nearcopy.Words) -> tuple[float, str, dict] | None:
    """(strength, explanation, evidence) when `entry` is a near-copy of `member`, else None."""
    # Some outlets reuse one photo caption as the summary of unrelated articles: a copy must
    # also share a distinctive title word.
    if not words.title(entry.title, entry.lang) & words.title(member.title, member.lang):
        return None
    sim = nearcopy.jaccard(entry.minhash, member.minhash, entry.size, member.size)
    evidence = {"with": member.key, "copy": round(sim, 2), "hours": round(_hours(entry, member), 1)}
    # One outlet's reports on one subject share its house words (its name, the places it
    # covers): only a republished article is a copy of the outlet's own earlier item.
    bar = max(rules.similarity, nearcopy.SAME_OUTLET) if entry.source and entry.source == member.source else rules.similarity
    if sim >= bar:
        return 1.0 + sim, f"near-duplicate of {_describe(member)}: similarity {sim:.2f}", evidence
    contained = nearcopy.containment(entry.size, member.size, sim)
    if contained >= nearcopy.CONTAINMENT:
        return 1.0 + contained * sim, f"near-duplicate of {_describe(member)}: {contained:.0%} of the shorter text's words shared", {**evidence, "contained": round(contained, 2)}
    return None


def assign(entry: Entry, members: Sequence[Member], rules: Rules, model: Model, words: nearcopy.Words) -> StoryDecision:
    """Place `entry` among the members of the seed's active stories; decide whether it alerts.

    `members` are every item of the seed's stories that began within the window (stories' sizes,
    sources and what they already named count them all); only those within the window of the
    entry are candidates.
    """
    known = sorted((m for m in members if m.entry.seed_id == entry.seed_id and m.entry.key != entry.key), key=lambda m: (m.entry.at, m.entry.key))
    mine = [m for m in known if abs(entry.at - m.entry.at) <= rules.window]
    if not mine:
        return _new_story(entry, "first item of the story")
    copies = [(found, m) for m in mine if (found := near_copy(entry, m.entry, rules, words))]
    if copies:
        (_, reason, evidence), match = max(copies, key=lambda c: (c[0][0], -mine.index(c[1])))
        return _joined(entry, known, match.story_id, match.event_id, reason, evidence)

    events: dict[str, list[Member]] = {}
    for m in mine:
        events.setdefault(m.event_id, []).append(m)
    ctx = model.context(entry, [m.entry for m in mine])
    scored = []
    for eid, items in events.items():
        values = decision.features(entry, [m.entry for m in items], ctx)
        scored.append((model.probability(values), items[0].entry.key, eid, values, items))
    p, _, eid, values, items = max(scored, key=lambda s: (s[0], s[1]))  # ties: the event with the larger first key
    closest = max((m.entry for m in items), key=lambda e: (_closeness(entry, e), e.key))
    evidence = _evidence(entry, items, values, p, closest, ctx)
    if p >= model.join:
        return _joined(entry, known, items[0].story_id, eid, f"same event as {_describe(closest)}: {_because(evidence)}", evidence)
    story = [m.entry for m in known if m.story_id == items[0].story_id]
    unseen = entry.marks.keys - frozenset().union(*(e.marks.keys for e in story))
    # What is new must make the headline, or be a full name in the lead (a new actor: "Elisa
    # Kambu"); the lead's other new words (a byline, a place, a term) are detail. Words are new
    # only against items in their own language (a translation writes every word, and many a name,
    # its own way: Kim Dzong Un); numbers are new in any.
    languages = {e.lang for e in story}
    news = [m for m in entry.marks.marks if (m.headline or (m.kind == "name" and " " in m.surface)) and (m.kind == "number" or entry.lang in languages)]
    new = surfaces(news, unseen)
    if p >= model.related and _names_a_story_name(entry, story):
        if not new:  # an update must bring something: a headline with one more word is not news
            return _joined(entry, known, items[0].story_id, eid, f"nothing new for its story, closest {_describe(closest)}: {_because(evidence)}", evidence)
        if entry.opinion:  # a column, editorial or cartoon comments on its story's events; it is none
            return _joined(entry, known, items[0].story_id, eid, f"opinion on its story (by its address), closest {_describe(closest)}: {_because(evidence)}", {**evidence, "opinion": True})
        since = _since_alert(entry, [m for m in known if m.story_id == items[0].story_id])
        if since is not None and since < model.quiet:
            # An alert is followed by hours of its coverage: analysis, profiles, columns,
            # reactions, each naming people and coining words of its own, which the marks and the
            # model cannot tell from a development; the next development rarely follows that soon.
            return _joined(entry, known, items[0].story_id, eid, f"coverage of its story's alert {since:.1f} h before, closest {_describe(closest)}: {_because(evidence)}", {**evidence, "since_alert": round(since, 1)})
        shown = ", ".join(new[:SHOWN_MARKS])
        reason = f"update: new development ({shown}) in the story of {_describe(closest)}: {_because(evidence)}"
        detail = [m for m in surfaces(entry.marks.marks, unseen) if m not in new]
        return _update(entry, known, items[0].story_id, reason, {**evidence, "new": new, "new_detail": detail[:SHOWN_MARKS]}, tuple(new))
    return _new_story(entry, f"first item of the story (closest: {_describe(closest)}, {_because(evidence)})", evidence)


def _since_alert(entry: Entry, story: list[Member]) -> float | None:
    """Hours between the entry and the story's nearest alert (the first item of each of its
    events), or None when unknown: the same second from another item means dates without times."""
    hours = [_hours(entry, m.entry) for m in story if m.event_id == event_id(m.entry.seed_id, m.entry.key)]
    return min(hours) if hours and min(hours) > 0 else None


def _names_a_story_name(entry: Entry, story: list[Entry]) -> bool:
    """Whether the entry names, in full, one of the story's people, organisations or numbers, or
    two of its places: what makes an event of that story and not of another of the seed's, however
    close in time (one country alone says little: every story of a seed on Korea names Korea)."""
    known = frozenset().union(*(e.marks.keys for e in story))
    shared = [m for m in entry.marks.marks if m.kind != "term" and m.keys <= known]
    return len(shared) >= 2 or any(not any(k.startswith("@") for k in m.keys) for m in shared)


def _closeness(entry: Entry, other: Entry) -> float:
    if entry.vector is not None and other.vector is not None:
        return float(entry.vector @ other.vector)
    return nearcopy.jaccard(entry.minhash, other.minhash, entry.size, other.size)


def _evidence(entry: Entry, items: list[Member], values: dict[str, float], p: float, closest: Entry, ctx: decision.Context) -> dict:
    event_keys = frozenset().union(*(m.entry.marks.keys for m in items))
    shared = sorted(
        surfaces(entry.marks.marks, event_keys),
        key=lambda s: -max((ctx.weight(k) for k in key(s)), default=0.0),
    )
    out = {"with": closest.key, "probability": round(p, 3), "shared": shared[:SHOWN_MARKS], "hours": round(min(_hours(entry, m.entry) for m in items), 1)}
    if "similarity" in values:
        out["similarity"] = round(float(entry.vector @ closest.vector), 3) if entry.vector is not None and closest.vector is not None else None
    return out


def _because(evidence: dict) -> str:
    parts = [f"p {evidence['probability']:.2f}"]
    if evidence.get("similarity") is not None:
        parts.append(f"similarity {evidence['similarity']:.2f}")
    if evidence.get("shared"):
        parts.append("shared " + ", ".join(evidence["shared"]))
    parts.append(f"{evidence['hours']:g} h apart")
    return "; ".join(parts)


def _sources(entry: Entry, story: list[Entry]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*(e.source for e in story), entry.source]))


def _events(story: list[Member]) -> int:
    return len({m.event_id for m in story})


def _new_story(entry: Entry, reason: str, evidence: dict | None = None) -> StoryDecision:
    eid = event_id(entry.seed_id, entry.key)
    return StoryDecision(story_id(entry.seed_id, entry.key), True, True, False, reason, 1, (entry.source,), eid, True, (), evidence or {}, 1)


def _joined(entry: Entry, known: list[Member], sid: str, eid: str, reason: str, evidence: dict) -> StoryDecision:
    story = [m for m in known if m.story_id == sid]
    return StoryDecision(sid, False, False, False, reason, len(story) + 1, _sources(entry, [m.entry for m in story]), eid, False, (), evidence, _events(story))


def _update(entry: Entry, known: list[Member], sid: str, reason: str, evidence: dict, new: tuple[str, ...]) -> StoryDecision:
    story = [m for m in known if m.story_id == sid]
    eid = event_id(entry.seed_id, entry.key)
    return StoryDecision(sid, False, True, True, reason, len(story) + 1, _sources(entry, [m.entry for m in story]), eid, True, new, evidence, _events(story) + 1)
