"""Config -> seeds -> relevance engine -> topic profiles: what every command that scores, and the
daemon's reload, reads first.

Apart from `app` (which opens the store, the fetcher and the deliverer) so that `check` can
validate a config and its seeds without importing the network and storage parts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.config import Settings, find_config, load_settings, located
from monitor.errors import ConfigError
from monitor.relevance.engine import Relevance
from monitor.relevance.seeds import load_seeds
from monitor.relevance.semantic import Embedder
from monitor.store import Verdict
from monitor.types import FeedItem, Seed, TopicProfile


@dataclass(frozen=True)
class Loaded:
    """A validated config, its seeds, the engine and the seeds' profiles."""

    settings: Settings
    seeds: list[Seed]
    engine: Relevance
    profiles: list[TopicProfile]


def read(config: str | None) -> tuple[Settings, list[Seed]]:
    """Validated settings and seeds; ConfigError on any problem (a profile table for no seed included)."""
    settings = load_settings(find_config(config))
    seeds = load_seeds(settings.seeds_dir)
    known = {s.id for s in seeds}
    missing = f"in {settings.seeds_dir} (the id is the seed file's stem); seeds: {', '.join(sorted(known))}"
    for seed_id in settings.profiles:
        if seed_id not in known:
            raise ConfigError(f"{located(settings.path, ('profiles', seed_id))}: no seed with this id {missing}")
    for n, hook in enumerate(settings.webhooks):
        # a sink for a seed that is not there would wait, silent, for alerts that never come
        for seed_id in hook.seeds or ():
            if seed_id not in known:
                raise ConfigError(f"{located(settings.path, ('webhooks', n, 'seeds'))}: no seed {seed_id!r} {missing}")
    return settings, seeds


def build_profiles(settings: Settings, seeds: list[Seed], engine: Relevance, verdicts: Sequence[Verdict] = ()) -> list[TopicProfile]:
    """One profile per seed with its `[profiles."<seed id>"]` tuning and the feedback on its alerts."""
    m = settings.monitor
    by_seed: dict[str, list[tuple[str, FeedItem]]] = {}
    for v in verdicts:
        by_seed.setdefault(v.seed_id, []).append((v.verdict, v.item))
    return [engine.profile(seed, m.threshold, m.related_threshold, settings.profiles.get(seed.id), by_seed.get(seed.id, ())) for seed in seeds]


def load(config: str | None, embed: Callable[[Settings], Embedder | None] | None = None, verdicts: Callable[[Settings], Sequence[Verdict]] | None = None) -> Loaded:
    """Everything a scoring command needs. `embed(settings)` gives the embedder (explain and replay
    load the model in their own process); without it, or with `monitor.semantic = false`, the
    engine scores with names, terms and the catalogue only."""
    settings, seeds = read(config)
    embedder = embed(settings) if embed is not None and settings.monitor.semantic else None
    engine = Relevance(embedder)
    return Loaded(settings, seeds, engine, build_profiles(settings, seeds, engine, verdicts(settings) if verdicts else ()))
