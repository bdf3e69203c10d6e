"""`seedwatch rescore [--seed S] [--since DURATION]`: re-score stored items against seeds and queue what alerts.

The daemon does this by itself at start and reload for seeds added or changed; this command
re-scores on demand (every seed, or one), then delivers what it queued, like `once`.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from monitor.cli import add_config_arg, apply_log_format
from monitor.config import parse_duration
from monitor.errors import ConfigError
from monitor.pipeline import rescore
from monitor.service.app import App, read
from monitor.service.clock import utcnow


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rescore", help="re-score the stored recent items against the seeds (all, or one) and queue what alerts")
    add_config_arg(p)
    p.add_argument("--seed", metavar="S", help="only this seed id (default: every seed)")
    p.add_argument("--since", metavar="DURATION", type=_duration, help="items first seen within this long (default: monitor.max_age, else 14d)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings, seeds = read(args.config)
    apply_log_format(args, settings.monitor.log_format)
    app = App.open(settings, seeds)
    try:
        profiles = [p for p in app.profiles if args.seed in (None, p.seed_id)]
        if not profiles:
            raise ConfigError(f"no seed {args.seed!r}; seeds: {', '.join(p.seed_id for p in app.profiles)}")
        now = utcnow()
        done = rescore(app.deps, profiles, now, now - timedelta(seconds=args.since) if args.since else None)
        delivered = app.deliverer.run_once(utcnow())
        print(f"re-scored {done.items} stored items against {len(done.seeds)} seeds: {done.alerts} alerts queued; delivered {delivered.sent}, failed {delivered.failed}")
        return 0
    finally:
        app.close()


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
