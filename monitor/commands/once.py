"""`seedwatch once`: poll every enabled feed once, deliver pending alerts, exit."""

from __future__ import annotations

import argparse
import json
from contextlib import suppress

from monitor import holder_name
from monitor.cli import add_config_arg, apply_log_format
from monitor.errors import StoreError
from monitor.service.app import App, read
from monitor.service.clock import utcnow


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("once", help="poll every enabled feed once, deliver pending alerts, exit")
    add_config_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object per feed run")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings, seeds = read(args.config)
    apply_log_format(args, settings.monitor.log_format)
    app = App.open(settings, seeds)
    holder = holder_name()  # leases as a daemon takes them: a feed a daemon is polling now is left to it
    try:
        app.rescore_changed()  # a seed added since the last run alerts on the stories already stored
        totals = {"ok": 0, "not_modified": 0, "error": 0, "lost": 0, "left": 0, "new": 0, "alerts": 0}
        store_fault = None
        for report in app.poll_all(holder):
            if report.kind == "store":
                store_fault = store_fault or report.error
            totals[report.status] += 1
            totals["new"] += report.new
            totals["alerts"] += report.alerts
            if args.json:
                print(json.dumps({"feed": report.feed, "status": report.status, "new": report.new, "alerts": report.alerts, "error": report.error}, ensure_ascii=False), flush=True)
        if store_fault:  # every feed hit the same wall: say it once, with the file and the fix, and exit 3
            raise StoreError(store_fault)
        delivered = app.deliverer.run_once(utcnow())
        if not args.json:
            others = totals["left"] + totals["lost"]
            print(
                f"{totals['ok']} ok, {totals['not_modified']} not modified, {totals['error']} failed"
                + (f", {others} left to other instances" if others else "")
                + f"; {totals['new']} new items, {totals['alerts']} alerts; delivered {delivered.sent}, failed {delivered.failed}"
            )
        return 0
    finally:
        with suppress(StoreError):  # a run cut short by a bug leaves no lease for others to wait out
            app.store.release_leases(holder)
        app.close()
