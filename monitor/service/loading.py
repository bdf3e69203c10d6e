"""Config -> seeds -> topic profiles: what every command that scores, and the daemon's reload, reads first.

Apart from `app` (which opens the store, the fetcher and the deliverer) so that `check` can
validate a config and its seeds without importing the network and storage parts.
"""

from __future__ import annotations

from monitor.config import Settings, find_config, load_settings
from monitor.errors import ConfigError
from monitor.relevance.seeds import load_seeds
from monitor.relevance.topics import build_profile
from monitor.types import Seed, TopicProfile


def load(config: str | None) -> tuple[Settings, list[Seed], list[TopicProfile]]:
    """Validated settings, seeds and their profiles; ConfigError on any problem."""
    settings = load_settings(find_config(config))
    seeds = load_seeds(settings.seeds_dir)
    profiles = build_profiles(settings, seeds)
    return settings, seeds, profiles


def build_profiles(settings: Settings, seeds: list[Seed]) -> list[TopicProfile]:
    """One profile per seed with its `[profiles."<seed id>"]` overrides; ConfigError for an unknown seed id."""
    known = {s.id for s in seeds}
    for seed_id in settings.profiles:
        if seed_id not in known:
            raise ConfigError(f"{settings.path}: profiles.{seed_id}: no seed with this id in {settings.seeds_dir} (the id is the seed file's stem)")
    return [build_profile(seed, settings.monitor.threshold, settings.profiles.get(seed.id)) for seed in seeds]
