"""`seedwatch alerts`: list outbox messages and their deliveries; `alerts retry ID` resends one."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor.cli import add_config_arg, positive_int
from monitor.commands.feeds import cell
from monitor.config import find_config, load_settings
from monitor.service.app import App, read
from monitor.service.clock import utcnow
from monitor.store import AlertRow, Store
from monitor.text import printable

STATUS_STYLE = {"sent": "green", "pending": "yellow", "held": "cyan", "digested": "cyan", "dead": "bold red"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("alerts", help="list recent alerts and their delivery; `alerts retry ID` resends one")
    add_config_arg(p)
    p.add_argument("--failed", action="store_true", help="only dead-lettered deliveries")
    p.add_argument("--json", action="store_true", help="one JSON object per delivery")
    p.add_argument("--limit", type=positive_int, default=50, metavar="N", help="rows to show (default 50)")
    p.set_defaults(func=run_list)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    retry = actions.add_parser("retry", help="queue an alert's failed deliveries again and send them now")
    retry.add_argument("id", help="the alert id (alrt_…, dgst_…), as listed")
    # SUPPRESS: a sub-parser default would otherwise overwrite `alerts --config PATH retry ID`
    retry.add_argument("--config", "-c", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    retry.set_defaults(func=run_retry)


def run_list(args: argparse.Namespace) -> int:
    settings = load_settings(find_config(args.config))
    store = Store(settings.state_url, readonly=True)
    try:
        rows = store.recent_alerts(args.limit, failed_only=args.failed)
        urls = {h.name: h.url for h in settings.webhooks}
        # a 410 mark holds for the URL that answered it; a changed URL is tried again at the next delivery
        disabled = [r for r in store.sink_rows(list(urls)).values() if r.disabled_at and r.url == urls[r.name]]
    finally:
        store.close()
    if args.json:
        for r in rows:
            print(json.dumps(_as_json(r), ensure_ascii=False))
        return 0
    console = Console()
    for r in disabled:
        name, reason = escape(printable(r.name)), escape(printable(r.disabled_reason, 300))
        console.print(f"[bold red]sink {name} is DISABLED[/] since {r.disabled_at:%Y-%m-%d %H:%M} UTC: {reason}; fix the URL or run `seedwatch test-webhook {name}`", markup=True, highlight=False)
    if not rows:
        console.print("no dead-lettered deliveries" if args.failed else "no alerts yet")
        return 0
    table = Table(show_lines=False)
    for col in ("created (UTC)", "id", "sink", "status", "tries", "score", "title", "last error"):
        table.add_column(col, overflow="fold")
    for r in rows:
        style = STATUS_STYLE.get(r.status or "", "")
        table.add_row(
            f"{r.created_at:%Y-%m-%d %H:%M}", r.id, cell(r.sink or "-"), f"[{style}]{r.status}[/]" if style else cell(r.status or "no sink"),
            str(r.attempts), f"{r.score:.2f}" if r.seed_id else "", cell(r.title, 300), cell(r.last_error, 300),
        )
    console.print(table)
    return 0


def run_retry(args: argparse.Namespace) -> int:
    app = App.open(*read(getattr(args, "config", None)), polls=False)
    try:
        rows = app.store.recent_alerts(1000, alert_id=args.id)
        if not rows:
            print(f"seedwatch: no alert with id {args.id} (see `seedwatch alerts`)")
            return 1
        now = utcnow()
        queued = app.store.retry(args.id, now)
        if not queued:
            states = ", ".join(f"{r.sink}: {r.status}" for r in rows if r.sink)
            print(f"{args.id}: nothing to resend ({states or 'no sink matched it'})")
            return 0
        app.deliverer.run_once(now, alert_id=args.id)
        disabled = {name for name, r in app.deliverer.sink_rows(now).items() if r.disabled_at}
        configured = {h.name for h in app.settings.webhooks}
        ok = True
        for r in app.store.recent_alerts(1000, alert_id=args.id):
            if r.sink and r.sink not in configured and r.status != "sent":
                ok = False
                print(f"{args.id} -> {r.sink}: not sent: no sink {r.sink} in the config any more (the delivery waits should it come back)")
            elif r.status == "sent":
                print(f"{args.id} -> {r.sink}: sent")
            elif r.sink in disabled:
                ok = False
                print(f"{args.id} -> {r.sink}: waiting: the sink is disabled after a 410; run `seedwatch test-webhook {r.sink}`")
            elif r.status in ("pending", "dead"):
                ok = False
                print(f"{args.id} -> {r.sink}: FAILED ({r.status}): {r.last_error}")
        return 0 if ok else 1
    finally:
        app.close()


def _as_json(r: AlertRow) -> dict[str, object]:
    return {
        "id": r.id, "seed": r.seed_id or None, "score": r.score, "created_at": r.created_at.isoformat(), "title": r.title, "url": r.url,
        "sink": r.sink, "status": r.status, "attempts": r.attempts, "last_error": r.last_error,
    }
