"""`seedwatch run`: the long-running daemon."""

from __future__ import annotations

import argparse

from monitor.cli import add_config_arg, apply_log_format
from monitor.errors import StoreError
from monitor.service.app import App, read
from monitor.service.daemon import Daemon
from monitor.service.lock import lock_holder, state_path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the monitoring daemon until SIGTERM/SIGINT (SIGHUP reloads config and seeds)")
    add_config_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings, seeds = read(args.config)
    apply_log_format(args, settings.monitor.log_format)
    # Refuse a second daemon before anything is forked or the store touched: a refusal after
    # App.open left parse workers behind (an atexit traceback) and had migrated the schema.
    # Daemon.run still takes the lock itself, for the instant two start together.
    holder = lock_holder(settings)
    if holder is not None:
        raise StoreError(f"{state_path(settings)}: already in use by seedwatch (pid {holder if holder > 0 else '?'}); one instance per state file")
    app = App.open(settings, seeds)
    try:
        return Daemon(app).run()
    except BaseException:
        app.close()  # a refusal inside run() (the lock, the listener) must not leave workers behind
        raise
