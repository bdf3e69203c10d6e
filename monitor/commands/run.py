"""`seedwatch run`: the long-running daemon."""

from __future__ import annotations

import argparse

from monitor.cli import add_config_arg, apply_log_format
from monitor.service.app import App, load
from monitor.service.daemon import Daemon


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the monitoring daemon until SIGTERM/SIGINT (SIGHUP reloads config and seeds)")
    add_config_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings, seeds, profiles = load(args.config)
    apply_log_format(args, settings.monitor.log_format)
    return Daemon(App.open(settings, seeds, profiles)).run()
