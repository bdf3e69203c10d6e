"""Several `seedwatch run` instances on one PostgreSQL database: how the work is split, and what a kill -9 costs.

    .venv/bin/python bench/bench_instances.py                  # 600 feeds; 1, 2 and 4 instances; 10 kills
    .venv/bin/python bench/bench_instances.py --quick          # 120 feeds; 1 and 2 instances; 3 kills
    SEEDWATCH_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/postgres  (the default)

For each instance count, on a fresh database: the instances start together on the loopback
feed server (bench/feedserver.py, corpus items) and a loopback webhook receiver; the cold
cycle (every feed 200) gives items ingested per second; then `--cycles` poll intervals with
items added to a few feeds give GETs per feed per cycle (1.00 is every feed once per cycle,
N would be every instance polling every feed) and duplicate POSTs (a webhook-id received
twice; the same window with one instance is the baseline, "GETs vs 1"). The kill phase runs the largest count: every few seconds one random instance is
killed with SIGKILL and started again (as systemd's Restart= would), items keep arriving;
then the outbox drains and every alert in the database must have reached the receiver
(lost = in the database, never received). Take-over is the time from a kill to the next poll
of each feed the killed instance held a lease on.

The semantic signal is off (`semantic = false`): this measures the coordination, not the model.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402
from feedserver import ServerProcess  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.servers import WebhookReceiver  # noqa: E402

TIMEOUT = 5.0  # fetch.timeout: a lease is 2 x 5 + 30 = 40 s (monitor.service.sharing.lease_time)


def _get(server: ServerProcess, path: str) -> dict:
    with urllib.request.urlopen(server.url(path), timeout=10) as resp:
        return json.loads(resp.read())


def _post(server: ServerProcess, path: str) -> None:
    with urllib.request.urlopen(urllib.request.Request(server.url(path), data=b"", method="POST"), timeout=10) as resp:
        resp.read()


def _churn(server: ServerProcess, count: int) -> None:
    _post(server, f"/_control/churn?feeds={count}")


def fresh_database(admin_url: str, name: str) -> str:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


class Fleet:
    """N daemons on one config; each logs to its own file."""

    def __init__(self, config: Path, home: Path, count: int) -> None:
        self.config, self.home = config, home
        self.procs: list[subprocess.Popen] = [self._start(i) for i in range(count)]

    def _start(self, i: int) -> subprocess.Popen:
        log = open(self.home / f"instance{i}.log", "a")
        return subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(self.config)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, "PYTHONPATH": str(ROOT)})

    def kill_and_restart(self, i: int) -> int:
        victim = self.procs[i]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        self.procs[i] = self._start(i)
        return victim.pid

    def stop(self) -> list[int]:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        return [p.wait(timeout=30) for p in self.procs]

    def tracebacks(self) -> int:
        return sum((self.home / f"instance{i}.log").read_text().count("Traceback") for i in range(len(self.procs)))


def scalar(engine, sql: str, **params) -> object:  # noqa: ANN001 - an Engine
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def wait(predicate, timeout: float, step: float = 0.5) -> bool:  # noqa: ANN001 - a callable
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def config_for(home: Path, server: ServerProcess, state: str, hook: str, interval: float) -> Path:
    config = measure.seedwatch_config(home, server.feed_urls(), interval=f"{interval:g}s", webhook=hook, max_age="0s", semantic=False)
    body = config.read_text().replace(f'state = "{home / "state" / "seedwatch.db"}"', f'state = "{state}"', 1)
    config.write_text(body.replace("[fetch]\n", f'[fetch]\ntimeout = "{TIMEOUT:g}s"\n', 1))
    return config


def delivered(receiver: WebhookReceiver) -> Counter:
    return Counter(p.headers.get("webhook-id") for p in receiver.posts("/hook"))


def drained(engine) -> bool:  # noqa: ANN001 - an Engine
    return scalar(engine, "SELECT count(*) FROM deliveries WHERE status = 'pending'") == 0


def run_count(admin: str, count: int, feeds: int, items: int, interval: float, cycles: int, churn: int, kills: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"sw-inst{count}-"))
    (home / "state").mkdir()
    state = fresh_database(admin, f"bench_instances_{count}")
    engine = create_engine(state)
    receiver = WebhookReceiver()
    out: dict = {"instances": count}
    with ServerProcess(feeds, items) as server:
        config = config_for(home, server, state, receiver.url("/hook"), interval)
        fleet = Fleet(config, home, count)
        try:
            wait(lambda: _get(server, "/_control/stats")["requests"] > 0, timeout=120, step=0.05)
            started = time.monotonic()  # from the first GET: start-up (imports, seeds, profiles) is not ingestion
            cold = wait(lambda: _get(server, "/_control/stats")["200"] >= feeds and scalar(engine, "SELECT count(*) FROM feeds WHERE last_polled IS NOT NULL") >= feeds, timeout=900)
            cold_s = time.monotonic() - started
            stored = scalar(engine, "SELECT count(*) FROM items")
            out.update(cold_ok=cold, cold_s=round(cold_s, 1), items=stored, items_per_s=round(stored / cold_s, 1))
            before, t0 = _get(server, "/_control/stats")["by_feed"], time.monotonic()
            for _ in range(cycles):
                _churn(server, churn)
                time.sleep(interval)
            after, window = _get(server, "/_control/stats")["by_feed"], time.monotonic() - t0
            gets = [b - a for a, b in zip(before, after)]
            # feeds polled in one burst come due in bursts: count against the cycles the window spans
            out["gets_per_feed"] = round(sum(gets) / feeds, 3)
            out["gets_per_feed_cycle"] = round(sum(gets) / feeds / (window / interval), 3)
            out["feeds_polled_more_than_once_a_cycle"] = sum(1 for g in gets if g > window / interval + 1)
            wait(lambda: drained(engine), timeout=120)
            calm = delivered(receiver)  # the duplicate target holds outside kills; during them a resend is the design
            out.update(posts_before_kills=sum(calm.values()), duplicate_posts_before_kills=sum(v - 1 for v in calm.values()))
            if kills:
                out.update(kill_phase(fleet, engine, server, count, kills, interval, churn))
                wait(lambda: drained(engine), timeout=120)
        finally:
            codes = fleet.stop()
        time.sleep(1)
        sent = delivered(receiver)
        with engine.connect() as conn:
            in_db = {r[0] for r in conn.execute(text("SELECT id FROM alerts"))}
        out.update(
            alerts=len(in_db), posts=sum(sent.values()), duplicate_posts=sum(v - 1 for v in sent.values()),
            lost=len(in_db - set(sent)), exit_codes=codes, tracebacks=fleet.tracebacks(), logs=str(home),
        )
    receiver.close()
    engine.dispose()
    return out


def kill_phase(fleet: Fleet, engine, server: ServerProcess, count: int, kills: int, interval: float, churn: int) -> dict:  # noqa: ANN001
    """`kills` SIGKILLs of a random instance, each restarted at once; take-over times of the victims' leased feeds."""
    rng = random.Random(7)
    takeovers: list[float] = []
    _post(server, f"/_control/slow?feeds={max(1, len(server.feed_urls()) // 20)}&seconds={TIMEOUT * 0.6:g}")  # some fetch is always in flight
    for _ in range(kills):
        _churn(server, churn)
        time.sleep(rng.uniform(0.3, 1.0) * interval)
        i = rng.randrange(count)
        pid = fleet.procs[i].pid
        with engine.connect() as conn:
            held = [r[0] for r in conn.execute(text("SELECT url FROM feeds WHERE leased_by LIKE :p"), {"p": f"%:{pid}:%"})]
        killed_at = time.time()
        fleet.kill_and_restart(i)
        for url in held:
            if wait(lambda u=url: (scalar(engine, "SELECT last_polled FROM feeds WHERE url = :u", u=u) or 0) > killed_at, timeout=3 * (2 * TIMEOUT + 30), step=0.2):
                takeovers.append(scalar(engine, "SELECT last_polled FROM feeds WHERE url = :u", u=url) - killed_at)
            else:
                takeovers.append(float("inf"))
    _post(server, "/_control/slow?feeds=0")
    time.sleep(5)  # the last restarted instance finishes starting before it is stopped
    return {"kills": kills, "leased_at_kill": len(takeovers), "takeover_s_median": round(statistics.median(takeovers), 1) if takeovers else None, "takeover_s_max": round(max(takeovers), 1) if takeovers else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=600)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--instances", default="1,2,4")
    parser.add_argument("--interval", type=float, default=20.0, help="poll interval, seconds")
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--churn", type=int, default=20, help="feeds that get a new item each cycle")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.feeds, args.instances, args.kills, args.cycles = 120, "1,2", 3, 2
    admin = os.environ.get("SEEDWATCH_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    counts = [int(c) for c in args.instances.split(",")]
    results = []
    for count in counts:
        print(f"{count} instance(s), {args.feeds} feeds x {args.items} items ...", file=sys.stderr, flush=True)
        results.append(run_count(admin, count, args.feeds, args.items, args.interval, args.cycles, args.churn, args.kills if count == max(counts) else 0))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    base, base_gets = results[0]["items_per_s"] or 1, results[0]["gets_per_feed"] or 1
    rows = [
        [str(r["instances"]), f"{r['cold_s']}", f"{r['items_per_s']}", f"{r['items_per_s'] / base:.2f}x", f"{r['gets_per_feed_cycle']:.3f}", f"{r['gets_per_feed'] / base_gets:.3f}",
         f"{r['duplicate_posts_before_kills']}/{r['posts_before_kills']}", f"{r['duplicate_posts']}/{r['posts']}", f"{r['lost']}/{r['alerts']}", str(r.get("kills", "-")), str(r.get("takeover_s_max", "-")), str(r["tracebacks"])]
        for r in results
    ]
    print(measure.table(rows, ["instances", "cold cycle s", "items/s", "vs 1", "GETs/feed/cycle", "GETs vs 1", "dup POSTs (no kills)", "dup POSTs (all)", "lost alerts", "kills", "take-over max s", "tracebacks"]))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
