"""`seedwatch status`: is the daemon up, which feeds fail, what polls next, the last alerts, the outbox."""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor.cli import add_config_arg
from monitor.commands.feeds import STYLE, FeedRow, ago, cell, feed_rows, feeds_table
from monitor.config import Settings, find_config, load_settings
from monitor.service.clock import utcnow
from monitor.service.lock import lock_holder
from monitor.service.sharing import alive, configs_differ
from monitor.store import AlertRow, InstanceRow, Store
from monitor.text import printable

SHOW = 10  # rows per table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="daemon, feeds ok/failing, next polls, last alerts, outbox depth")
    add_config_arg(p)
    p.add_argument("--json", action="store_true", help="the same as one JSON object")
    p.set_defaults(func=run)


def probe_health(settings: Settings) -> str | None:
    """The daemon's /healthz verdict when the listener is configured; None when it is not."""
    address = settings.service.address
    if address is None:
        return None
    host, port = address
    if port == 0:
        return "listener on an ephemeral port (service.listen port 0): not probed"
    host = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    url = f"http://[{host}]:{port}/healthz" if ":" in host else f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return "healthy" if resp.status == 200 else f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return f"unhealthy: {exc.read(500).decode('utf-8', 'replace')}"
    except OSError as exc:
        return f"not answering on {url}: {getattr(exc, 'reason', exc)}"


def run(args: argparse.Namespace) -> int:
    settings = load_settings(find_config(args.config))
    pid = lock_holder(settings)
    store = Store(settings.state_url, readonly=True)  # reading needs no write access, and migrates nothing
    try:
        rows = feed_rows(settings, store)
        alerts = store.recent_alerts(limit=SHOW * 4)
        counts = store.counts()
        configured = {h.name for h in settings.webhooks}
        unconfigured = {sink: n for sink, n in store.pending_by_sink().items() if sink not in configured}
        instances = store.instances()
    finally:
        store.close()
    now = utcnow()
    live = alive(instances, now)
    health = probe_health(settings) if pid or live else None
    if args.json:
        print(json.dumps(_as_json(settings, pid, health, rows, alerts, counts, unconfigured, instances, live), ensure_ascii=False))
        return 0
    console = Console()
    console.print(f"[bold]seedwatch[/] config {escape(printable(settings.path))}  state {escape(printable(settings.state_url))}")
    console.print(f"daemon {_daemon_line(pid, live, now)}" + (f", {escape(printable(health, 300))}" if health else ""))
    console.print(_summary(rows, counts, unconfigured))
    failing = sorted((r for r in rows if r.status in ("failing", "silent", "disabled")), key=lambda r: -r.consecutive_failures)
    if failing:
        console.print(feeds_table(failing[:SHOW], now, title=f"Failing feeds ({len(failing)})"))
    console.print(_next_polls(rows, now))
    console.print(_alerts_table(alerts, now))
    return 0


def _daemon_line(pid: int | None, live: list[InstanceRow], now: datetime) -> str:
    """Who runs: the lock file's pid on SQLite, the live rows of `instances` on a shared database."""
    if not live:
        return f"running (pid {pid})" if pid else "not running"
    each = ", ".join(f"{escape(printable(r.host))} pid {r.pid} ({ago(r.heartbeat, now)})" for r in live)
    return f"{len(live)} running: {each}" + ("; [red]their configs or seeds differ[/]" if configs_differ(live) else "")


def _summary(rows: list[FeedRow], counts: dict[str, int], unconfigured: dict[str, int]) -> Table:
    by_status = Counter(r.status for r in rows)
    table = Table(title="Summary", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("feeds", f"{len(rows)}: " + ", ".join(f"[{STYLE[s]}]{by_status[s]} {s}[/]" for s in STYLE if by_status[s]))
    waiting = (
        f"; [yellow]{sum(unconfigured.values())} of them for sinks no longer in the config ({escape(', '.join(sorted(unconfigured)))}): they wait until the sink is back[/]"
        if unconfigured else ""
    )
    table.add_row("outbox", f"{counts['outbox']} pending, {counts['dead']} dead{waiting}")
    table.add_row("stored", f"{counts['items']} items, {counts['alerts']} alerts")
    return table


def _next_polls(rows: list[FeedRow], now: datetime) -> Table:
    table = Table(title="Next polls", title_justify="left")
    for col in ("when", "feed", "status"):
        table.add_column(col, overflow="fold")
    due = sorted((r for r in rows if r.next_poll and r.status not in ("disabled", "paused")), key=lambda r: r.next_poll or now)
    for r in due[:SHOW]:
        table.add_row(ago(r.next_poll, now), cell(r.name or r.url), f"[{STYLE[r.status]}]{r.status}[/]")
    return table


def _grouped(alerts: list[AlertRow]) -> list[tuple[AlertRow, str]]:
    """One row per alert with its deliveries as `sink:status` (the store joins one row per sink)."""
    out: dict[str, tuple[AlertRow, list[str]]] = {}
    for a in alerts:
        entry = out.setdefault(a.id, (a, []))
        if a.sink:
            entry[1].append(f"{a.sink}:{a.status}")
    return [(a, ", ".join(sinks) or "logged only") for a, sinks in out.values()][:SHOW]


def _alerts_table(alerts: list[AlertRow], now: datetime) -> Table:
    table = Table(title="Last alerts", title_justify="left")
    for col in ("when", "seed", "score", "title", "delivery"):
        table.add_column(col, overflow="fold")
    for a, delivery in _grouped(alerts):
        table.add_row(ago(a.created_at, now), cell(a.seed_id), f"{a.score:.2f}", cell(a.title, 100), cell(delivery))
    return table


def _as_json(
    settings: Settings, pid: int | None, health: str | None, rows: list[FeedRow], alerts: list[AlertRow], counts: dict[str, int], unconfigured: dict[str, int],
    instances: list[InstanceRow], live: list[InstanceRow],
) -> dict:
    iso = lambda d: d.isoformat(timespec="seconds") if d else None  # noqa: E731
    due = sorted((r for r in rows if r.next_poll), key=lambda r: r.next_poll.timestamp() if r.next_poll else 0.0)
    running = {r.id for r in live}
    return {
        "config": settings.path,
        "daemon": {"running": bool(pid or live), "pid": pid if pid and pid > 0 else None, "health": health},
        "instances": [
            {"id": r.id, "host": r.host, "pid": r.pid, "alive": r.id in running, "started": iso(r.started), "heartbeat": iso(r.heartbeat), "config_hash": r.config_hash[:12], "version": r.version, "feeds": r.feeds}
            for r in instances
        ],
        "config_mismatch": configs_differ(live),
        "feeds": dict(Counter(r.status for r in rows)),
        "failing": [{"url": r.url, "name": r.name, "failures": r.consecutive_failures, "kind": r.last_error_kind, "error": r.last_error} for r in rows if r.status in ("failing", "silent", "disabled")],
        "next_polls": [{"url": r.url, "at": iso(r.next_poll)} for r in due[:SHOW]],
        "outbox": counts["outbox"],
        "unconfigured_sinks": unconfigured,
        "dead": counts["dead"],
        "items": counts["items"],
        "alerts": [{"id": a.id, "seed": a.seed_id, "score": a.score, "title": a.title, "created_at": iso(a.created_at), "delivery": d} for a, d in _grouped(alerts)],
    }
