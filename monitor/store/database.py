"""The connection to one database: engine, transactions, dialect details, errors with the file named.

SQLite (WAL) is the embedded default; PostgreSQL is chosen by a `postgresql://` URL. Write
transactions on SQLite start with BEGIN IMMEDIATE, so a transaction that reads before it
writes holds the write lock from its first statement: pysqlite's own deferred BEGIN would let
two such transactions both read and then one fail with "database is locked" without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, SQLAlchemyError

from monitor.errors import StoreError
from monitor.store import migrations


class Database:
    """An engine on one URL with the schema checked and migrated; base of `Store`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.path.parent}: cannot create state directory: {exc.strerror}") from None
        # One feed run writes at a time in this process: story placement reads, decides, then writes.
        self.write_lock = threading.Lock()
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
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
            with self.write() as conn:
                migrations.upgrade(conn, self.where)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise self.error("cannot open the state store", exc) from None

    @property
    def where(self) -> str:
        """The store as a person names it: the SQLite file, or the URL without its password."""
        return str(self.path) if self.path is not None else self.engine.url.render_as_string(hide_password=True)

    def error(self, doing: str, exc: SQLAlchemyError) -> StoreError:
        """A StoreError naming the store and the driver's own message."""
        cause = getattr(exc, "orig", None) or exc
        hint = ""
        if self.path is not None and isinstance(exc, DatabaseError) and "not a database" in str(cause):
            hint = "; the file is damaged or not a SQLite database: move it aside (seedwatch starts a new one) or restore a backup"
        return StoreError(f"{self.where}: {doing}: {cause}{hint}")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on an exception."""
        with self.engine.connect() as conn:
            conn.execution_options(seedwatch_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot (a deferred transaction on SQLite)."""
        with self.engine.connect() as conn:
            yield conn

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
        except SQLAlchemyError:
            return False

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun by _sqlite_begin, not by pysqlite
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # NORMAL under WAL survives a process crash (kill -9); only power loss may drop the last commit
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("seedwatch_write") else "BEGIN")
