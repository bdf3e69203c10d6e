"""`seedwatch feedback ALERT_ID good|bad|clear`: say whether an alert was worth it; its seed adapts.

The verdict is stored with the alert; every start and reload builds the seed's profile with all
its verdicts (monitor.relevance.feedback: bounded, and `clear` undoes one). `seedwatch seeds show`
lists them.
"""

from __future__ import annotations

import argparse

from monitor.cli import add_config_arg
from monitor.config import find_config, load_settings
from monitor.service.clock import utcnow
from monitor.service.lock import lock_holder
from monitor.store import Store
from monitor.text import printable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("feedback", help="mark an alert good or bad: its seed's profile adapts at the next start or reload")
    p.add_argument("alert_id", help="the alert id (alrt_…), as `seedwatch alerts` lists it")
    p.add_argument("verdict", choices=("good", "bad", "clear"), help="good: more like this; bad: less; clear: forget the verdict")
    add_config_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(find_config(args.config))
    store = Store(settings.state_url)
    try:
        seed = store.set_feedback(args.alert_id, None if args.verdict == "clear" else args.verdict, utcnow())
        good = sum(1 for v in store.feedback([seed]) if v.verdict == "good") if seed else 0
        total = len(store.feedback([seed])) if seed else 0
    finally:
        store.close()
    if seed is None:
        print(f"seedwatch: no alert with id {printable(args.alert_id)} (see `seedwatch alerts`)")
        return 1
    pid = lock_holder(settings)
    when = f"the daemon (pid {pid}) applies it at its next reload: `systemctl reload seedwatch` or `kill -HUP {pid}`" if pid else "applied from the next start"
    print(f"{printable(args.alert_id)}: {args.verdict} for seed {printable(seed)} ({good} good, {total - good} bad in all); {when}")
    return 0
