"""The pipeline: one feed run as a straight line, schedule -> fetch -> parse -> clean -> dedupe ->
score -> cluster -> store -> outbox (`run.run_feed`), ending in one write transaction
(`commit.commit`) where the story decision is made between the store's reads and writes; and
`rescore`, the same decisions for stored items when a seed is added or changed.

Decisions are the stages' pure functions; this package only calls them in order and hands
their values to the store. The daemon and the CLI call `run_feed`.

May import: core, config, store and every stage (ingest, relevance, stories, delivery).
"""

from monitor.pipeline.commit import StoryMembers, commit
from monitor.pipeline.rescore import Rescored, changed, rescore
from monitor.pipeline.run import Deps, run_feed, story_rules

__all__ = ["Deps", "Rescored", "StoryMembers", "changed", "commit", "rescore", "run_feed", "story_rules"]
