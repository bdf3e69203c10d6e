"""Helpers for relevance tests: the real engine (lexical and catalogue signals; the semantic
model is loaded only by the tests that need it), and scoring one item the way the pipeline does."""

from __future__ import annotations

from monitor.relevance.engine import Relevance
from monitor.types import FeedItem, Match, TopicProfile


def score(engine: Relevance, item: FeedItem, profile: TopicProfile) -> Match:
    """One item against one profile: read, lexical evidence, a vector when it wants one, score."""
    ready = engine.prepare(item, [profile])
    [vector] = engine.vectors([ready])
    return engine.score(ready.text, profile, vector, ready.lexical[0])
