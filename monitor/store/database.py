"""The connection to one database: engine, transactions, dialect details, errors with the file named.

SQLite (WAL) is the embedded default; PostgreSQL is chosen by a `postgresql://` URL. Write
transactions on SQLite start with BEGIN IMMEDIATE, so a transaction that reads before it
writes holds the write lock from its first statement: pysqlite's own deferred BEGIN would let
two such transactions both read and then one fail with "database is locked" without waiting.

Every statement runs inside `read()` or `write()`, and both turn any driver error into one
StoreError naming the store and what to do (monitor.store.faults), so no command or job ever
sees a SQLAlchemy traceback. `fault` is the last such error until a write succeeds again:
the daemon's /healthz reports it meanwhile.

`readonly=True` opens for reading only (status, feeds, alerts, stories): nothing is created
or migrated, SQLite is opened with `mode=ro`, and a schema older than this code is reported
instead of upgraded.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from monitor.errors import StoreError
from monitor.store import migrations, schema
from monitor.store.faults import describe

LOW_SPACE = 256 * 1024  # free bytes under which an I/O error beside the file is read as a full disk


class Database:
    """An engine on one URL with the schema checked (and migrated unless read-only); base of `Store`."""

    def __init__(self, url: str, readonly: bool = False) -> None:
        self.url = url
        self.readonly = readonly
        self.path = Path(url.removeprefix("sqlite:///").partition("?")[0]) if url.startswith("sqlite:///") else None  # the file, without the driver options
        self.fault: str | None = None
        # One feed run writes at a time in this process: story placement reads, decides, then writes.
        self.write_lock = threading.Lock()
        self.engine: Engine = self._engine()
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import (
                insert,  # imported only when used: ~3 MB and ~40 ms of start-up
            )
        else:
            raise StoreError(f"{self.where}: unsupported database {self.dialect!r}; use a SQLite path or a postgresql:// URL")
        self.insert = insert
        self._statements: dict[Any, Any] = {}
        try:
            if readonly:
                with self.read("cannot open the state store") as conn:
                    empty = migrations.recorded_version(conn) is None
                    if not empty:
                        migrations.check_readable(conn, self.where)
                if empty:  # a database no daemon has used yet reads as an empty store, as a SQLite file not made yet does
                    self.engine.dispose()
                    self.engine = _empty_store()
            else:
                with self.write("cannot open the state store") as conn:
                    migrations.upgrade(conn, self.where)
        except StoreError:
            self.engine.dispose()
            raise

    def _engine(self) -> Engine:
        if self.path is None:
            # a shared server also holds each fetch's per-host slot on a connection (monitor.store.turns)
            engine = create_engine(self.url, pool_pre_ping=True, pool_size=10, max_overflow=20)
            if self.readonly and engine.dialect.name == "postgresql":
                event.listen(engine, "connect", _postgres_read_only)
            return engine
        if self.readonly and not self.path.exists():
            return _empty_store()  # before the first run there is nothing to read, and a reader creates nothing
        if self.readonly:
            engine = create_engine("sqlite://", creator=_read_only_sqlite(self.path), pool_pre_ping=True)
            event.listen(engine, "connect", _sqlite_read_connect)
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.path.parent}: cannot create state directory: {exc.strerror}") from None
            engine = create_engine(self.url, pool_pre_ping=True)
            event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine

    @property
    def where(self) -> str:
        """The store as a person names it: the SQLite file, or the URL without its password."""
        return str(self.path) if self.path is not None else make_url(self.url).render_as_string(hide_password=True)

    def error(self, doing: str, exc: SQLAlchemyError) -> StoreError:
        """A StoreError naming the store, the driver's own message and the way out."""
        return StoreError(f"{self.where}: {doing}: {describe(exc, self.path, self._disk_full())}")

    def _disk_full(self) -> bool:
        try:
            return self.path is not None and shutil.disk_usage(self.path.parent).free < LOW_SPACE
        except OSError:
            return False

    @contextmanager
    def write(self, doing: str = "cannot write") -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on an exception."""
        if self.readonly:
            raise StoreError(f"{self.where}: opened read-only; this command does not write")
        try:
            with self.engine.connect() as conn:
                conn.execution_options(seedwatch_write=True)
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            error = self.error(doing, exc)
            self.fault = str(error)
            raise error from None
        self.fault = None

    @contextmanager
    def read(self, doing: str = "cannot read") -> Iterator[Connection]:
        """A read-only snapshot (a deferred transaction on SQLite)."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            error = self.error(doing, exc)
            self.fault = str(error)
            raise error from None

    def statement(self, key: Any, build: Callable[[], Any]) -> Any:
        """A statement built once per key and kept: with bound parameters SQLAlchemy then also
        compiles it once, where building it per row costs more than executing it."""
        stmt = self._statements.get(key)
        if stmt is None:
            stmt = self._statements[key] = build()
        return stmt

    def ping(self) -> bool:
        try:
            with self.read() as conn:
                conn.execute(select(1))
            return True
        except StoreError:
            return False

    def close(self) -> None:
        self.engine.dispose()


def _read_only_sqlite(path: Path) -> Callable[[], sqlite3.Connection]:
    """Connections with `mode=ro`. SQLite cannot read a WAL database that way when the -shm
    beside it is missing and cannot be made (a read-only folder or filesystem, a full disk);
    with no -wal either (or an empty one), every commit is in the file itself, and `immutable=1`
    reads it as it is."""
    uri = f"file:{quote(str(path))}?mode=ro"

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # where a missing -shm shows
            return conn
        except sqlite3.OperationalError:
            conn.close()
            wal = Path(f"{path}-wal")
            if wal.exists() and wal.stat().st_size:
                raise
        return sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False)

    return connect


def _empty_store() -> Engine:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    with engine.begin() as conn:
        schema.metadata.create_all(conn)
        migrations.record(conn, migrations.LATEST)
    return engine


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun by _sqlite_begin, not by pysqlite
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL under WAL survives a process crash (kill -9); only power loss may drop the last commit
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_read_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def _postgres_read_only(dbapi_conn: Any, _record: Any) -> None:
    with dbapi_conn.cursor() as cur:
        cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    dbapi_conn.commit()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("seedwatch_write") else "BEGIN")
