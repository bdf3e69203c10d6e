"""`seedwatch check`: validate config and seeds, print a short summary."""

from __future__ import annotations

import argparse

from monitor.cli import add_config_arg
from monitor.delivery.sinks import check_sinks, sink_warnings
from monitor.relevance.warnings import seed_warnings
from monitor.service.loading import load
from monitor.text import printable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="validate the config and seeds and print a summary")
    add_config_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    loaded = load(args.config)
    settings, seeds, profiles = loaded.settings, loaded.seeds, loaded.profiles
    check_sinks(settings.webhooks, settings.path)  # the same refusal `run` would make at start
    enabled = sum(f.enabled for f in settings.feeds)
    print(f"config   {printable(settings.path)}: ok")
    print(f"state    {printable(settings.state_url)}")
    print(f"feeds    {len(settings.feeds)} ({enabled} enabled), default interval {settings.monitor.poll_interval:g} s")
    print(f"webhooks {len(settings.webhooks)}: " + (", ".join(f"{printable(h.name)} ({h.format})" for h in settings.webhooks) or "none (alerts are only logged)"))
    for warning in sink_warnings(settings.webhooks):
        print(f"  warning: {printable(warning)}")
    print(f"seeds    {len(seeds)} in {printable(settings.seeds_dir)}")
    for seed, profile in zip(seeds, profiles):
        # a seed's title and its words are text from a file: an ESC in them must not reach the terminal
        top = ", ".join(printable(u.surface) for u in profile.units[:6])
        print(f"  {printable(seed.id)}: {printable(seed.title, 70)} [{profile.lang}] {len(profile.units)} names and terms, {len(profile.facts)} catalogue facts; top: {top}")
        for warning in seed_warnings(seed, profile):
            print(f"    warning: {warning}")
    print(f"threshold {settings.monitor.threshold:g} (related {settings.monitor.related_threshold:g}); semantic signal {'on' if settings.monitor.semantic else 'off'}")
    return 0
