"""Outbox claims, store faults and read-only sessions on a real PostgreSQL server.

Most tests use the shared test server (SEEDWATCH_TEST_PG, a fresh database each); the one that
stops the server under a running feed starts a private cluster in tmp instead, and is skipped
where there is no initdb/pg_ctl or no `postgres` user to run it as.
"""

from __future__ import annotations

import itertools
import pwd
import random
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy.exc
from sqlalchemy.engine import make_url

from monitor.delivery.deliver import Deliverer
from monitor.errors import StoreError
from monitor.pipeline import run_feed
from monitor.store import Store
from tests.feeds import UNRELATED, rss
from tests.fetchkit import Kit
from tests.outbox import alert, hook, queue
from tests.servers import FeedServer, WebhookReceiver

_names = itertools.count()


class Cluster:
    """A throwaway PostgreSQL cluster listening on a Unix socket only."""

    def __init__(self, root: Path) -> None:
        self.root, self.data = root, root / "data"
        root.chmod(0o755)
        shutil.chown(root, "postgres")
        self._as_postgres(f"initdb -D {self.data} -A trust -U postgres")
        self.start()

    def _as_postgres(self, command: str) -> None:
        done = subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", command], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{command}: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self._as_postgres(f"pg_ctl -D {self.data} -o '-k {self.root} -c listen_addresses= -c fsync=off' -l {self.root}/log -w start")

    def stop(self) -> None:
        self._as_postgres(f"pg_ctl -D {self.data} -m fast -w stop")

    def database(self) -> str:
        """A fresh database; its SQLAlchemy URL."""
        import psycopg

        name = f"sw_{next(_names)}"
        with psycopg.connect(host=str(self.root), user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@/{name}?host={self.root}"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user to run a test cluster as")
    root = Path(tempfile.mkdtemp(prefix="seedwatch-pg-"))  # not under pytest's tmp: that is private to root
    try:
        try:
            server = Cluster(root)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"cannot start a PostgreSQL test cluster: {exc}")
        yield server
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", f"pg_ctl -D {server.data} -m immediate stop"], capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_concurrent_claims_on_postgres_are_disjoint(pg_url: str) -> None:
    url = pg_url
    now = datetime.now(timezone.utc)
    writer = Store(url)
    for n in range(40):
        queue(writer, alert(n, now), ["h"])
    stores = [Store(url) for _ in range(4)]  # four processes' worth of connection pools
    got: list[list[str]] = [[] for _ in stores]

    def claim(i: int) -> None:
        while batch := stores[i].claim_due(now, "h", f"claimer{i}", now + timedelta(minutes=5), 3):
            got[i] += [p.alert_id for p in batch]

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    claimed = [alert_id for ids in got for alert_id in ids]
    assert len(claimed) == 40 and len(set(claimed)) == 40
    for st in (writer, *stores):
        st.close()


def test_two_deliverers_on_postgres_send_each_row_once(pg_url: str, receiver: WebhookReceiver) -> None:
    receiver.delay = 0.05
    url = pg_url
    now = datetime.now(timezone.utc).replace(microsecond=0)
    st = Store(url)
    ids = [queue(st, alert(n, now), ["h"]) for n in range(20)]
    senders = [Deliverer(Store(url), (hook("h", receiver.url("/h")),), rng=random.Random(n)) for n in range(2)]
    threads = [threading.Thread(target=d.run_once, args=(now,)) for d in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    sent = Counter(p.headers["webhook-id"] for p in receiver.posts("/h"))
    assert set(sent) == set(ids) and max(sent.values()) == 1, sent
    for d in senders:
        d.store.close()
        d.close()
    st.close()


def test_a_server_that_goes_away_costs_runs_not_the_feed(cluster: Cluster, tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.set("/news", rss(UNRELATED))
    kit = Kit(tmp_path, [{"url": url}], monitor={"state": cluster.database()})
    now = datetime.now(timezone.utc)
    try:
        assert run_feed(kit.feeds[0], kit.deps, now).status == "ok"
        cluster.stop()
        try:
            down = run_feed(kit.feeds[0], kit.deps, now)
        finally:
            cluster.start()
        assert down.status == "error" and down.kind == "store" and down.next_poll is not None  # the daemon reschedules from this
        assert "cannot be reached" in (down.error or "") and "postgres@/sw_" in (down.error or "")
        assert kit.store.fault is not None
        assert run_feed(kit.feeds[0], kit.deps, now).status == "not_modified"  # reconnected by itself (pool_pre_ping)
        assert kit.store.fault is None
    finally:
        kit.close()


def test_reading_commands_open_postgres_read_only(pg_url: str) -> None:
    url = pg_url
    empty = Store(url, readonly=True)  # before any daemon ran: an empty store, as with no SQLite file yet
    try:
        assert empty.feed_states() == [] and empty.counts()["outbox"] == 0 and "postgres@" in empty.where
    finally:
        empty.close()
    probe = sqlalchemy.create_engine(url)
    try:
        with probe.connect() as conn:  # and reading it created nothing
            assert conn.scalar(sqlalchemy.text("select count(*) from information_schema.tables where table_schema = 'public'")) == 0
    finally:
        probe.dispose()
    Store(url).close()  # the first run creates the schema
    reader = Store(url, readonly=True)
    try:
        assert reader.feed_states() == [] and reader.counts()["outbox"] == 0
        with pytest.raises(sqlalchemy.exc.InternalError, match="read-only transaction"), reader.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE probe (a int)")  # the session itself is read-only, not just our code
        with pytest.raises(StoreError, match="opened read-only"):
            reader.queue_notice(({"id": "feed_x"}, ["h"], datetime.now(timezone.utc)))
    finally:
        reader.close()



def test_a_server_that_is_not_there_is_one_store_error_naming_it(pg_url: str) -> None:
    refused = make_url(pg_url).set(port=1, password="s3cret").render_as_string(hide_password=False)  # nothing listens on port 1
    with pytest.raises(StoreError) as caught:
        Store(refused)
    message = str(caught.value)
    assert message.startswith("postgresql+psycopg://postgres:***@127.0.0.1:1/") and "s3cret" not in message
    assert "cannot be reached: check that it runs and accepts connections" in message


@pytest.mark.parametrize("part", ["database", "role"])
def test_a_wrong_database_or_role_is_reported_as_such_not_as_an_unreachable_server(pg_url: str, part: str) -> None:
    wrong = make_url(pg_url).set(**{"database" if part == "database" else "username": "sw_no_such_name"}).render_as_string(hide_password=False)
    with pytest.raises(StoreError, match=rf'{part} "sw_no_such_name" does not exist; the database refused these credentials or this database name'):
        Store(wrong)
