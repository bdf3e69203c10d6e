"""`seedwatch seeds show [SEED]`: the topic profile of each seed as readable tables."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor.cli import add_config_arg
from monitor.commands.feeds import cell
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.service.loading import load
from monitor.store import Store, Verdict
from monitor.text import printable
from monitor.types import TopicProfile

MAX_ALIASES = 12


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("seeds", help="show seeds' topic profiles (groups, aliases, weights)")
    action = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = action.add_parser("show", help="print the concept groups, aliases and weights of one or every seed")
    show.add_argument("seed", nargs="?", help="seed id (the seed file's stem); default: every seed")
    show.add_argument("--all-aliases", action="store_true", help="list every alias instead of the first few")
    add_config_arg(show)
    show.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stores: list[Store] = []

    def verdicts(settings: Settings) -> list[Verdict]:  # the feedback each profile was adapted with
        stores.append(Store(settings.state_url, readonly=True))
        return stores[0].feedback()

    try:
        profiles = load(args.config, verdicts=verdicts).profiles
    finally:
        for store in stores:
            store.close()
    chosen = [p for p in profiles if args.seed in (None, p.seed_id)]
    if not chosen:
        raise ConfigError(f"no seed {args.seed!r}; seeds: {', '.join(p.seed_id for p in profiles)}")
    console = Console()
    for profile in chosen:
        console.print(units_table(profile))
        console.print(profile_table(profile, args.all_aliases))
        if profile.facts:
            console.print(facts_table(profile))
    return 0


def units_table(profile: TopicProfile) -> Table:
    """The names and terms found in the seed itself, strongest first: what items are matched on."""
    table = Table(title=escape(f"{printable(profile.seed_id)}: {printable(profile.seed_title)} [{profile.lang}] alert at {profile.threshold:g}, related at {profile.related_threshold:g}"), title_justify="left")
    for col in ("name or term", "weight", "kind", "in title", "catalogue entity"):
        table.add_column(col, overflow="fold")
    for u in profile.units:
        table.add_row(cell(u.surface), f"{u.weight:.2f}", "name" if u.name else "term", "yes" if u.in_title else "", cell(u.group or ""))
    rules = profile.rules
    notes = [f"{label}: {', '.join(values)}" for label, values in (("keep", rules.keep), ("block", rules.block), ("must mention", rules.must_mention), ("excluded", rules.exclude)) if values]
    good, bad = profile.feedback
    if good or bad:
        notes.append(f"feedback: {good} good, {bad} bad (leaning {profile.leaning:+.2f}; `seedwatch feedback ID clear` undoes one)")
    if notes:
        table.caption = escape(printable("; ".join(notes)))
    return table


def profile_table(profile: TopicProfile, all_aliases: bool = False) -> Table:
    table = Table(title="catalogue groups (names in every language the catalogue knows)", title_justify="left")
    for col in ("group", "kind", "weight", "flags", "aliases"):
        table.add_column(col, overflow="fold")
    for g in profile.groups:
        aliases = g.aliases if all_aliases else g.aliases[:MAX_ALIASES]
        more = "" if len(aliases) == len(g.aliases) else f" (+{len(g.aliases) - len(aliases)})"
        table.add_row(cell(g.name), g.kind, f"{g.weight:.2f}", "required" if g.required else "", cell(", ".join(aliases) + more))
    return table


def facts_table(profile: TopicProfile) -> Table:
    table = Table(title="catalogue facts (an item that instantiates one scores 0.5 or more)", title_justify="left")
    for col in ("kind", "actors", "linked by", "weight", "seed sentence"):
        table.add_column(col, overflow="fold")
    for f in profile.facts:
        actors = ", ".join(e + ("" if e in f.anchors else " (object)") for e in f.entities)
        table.add_row(f.kind, cell(actors), cell(", ".join(f.concepts)), f"{f.weight:.2f}", cell(f.text, 90))
    return table
