"""A fresh PostgreSQL database per test on the server SEEDWATCH_TEST_PG names (`.ci/run` sets it).

Where the variable is unset or the server does not answer, the tests that need it are skipped
with a message saying how to run them; nothing here starts or stops a server.
"""

from __future__ import annotations

import itertools
import os

import pytest
from sqlalchemy.engine import make_url

HOW = "set SEEDWATCH_TEST_PG=postgresql+psycopg://postgres@127.0.0.1:5432/test (any database the user may CREATE DATABASE from) to run the PostgreSQL tests"

_names = itertools.count()


class PgServer:
    """The test server: makes and drops throwaway databases, one per test."""

    def __init__(self, url: str) -> None:
        import psycopg  # the `postgres` extra, which the `test` extra brings in

        self.base = make_url(url)
        self._psycopg = psycopg
        self.made: list[str] = []
        with self._admin() as conn:
            conn.execute("SELECT 1")

    def _admin(self):  # noqa: ANN202 - a psycopg connection
        u = self.base
        return self._psycopg.connect(host=u.host or None, port=u.port or 5432, user=u.username, password=u.password, dbname=u.database or "postgres", autocommit=True, connect_timeout=5)

    def database(self) -> str:
        """A new empty database; its SQLAlchemy URL (driver psycopg 3)."""
        name = f"sw_test_{os.getpid()}_{next(_names)}"
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return self.base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self._admin() as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()


def connect_or_skip() -> PgServer:
    url = os.environ.get("SEEDWATCH_TEST_PG")
    if not url:
        pytest.skip(f"no PostgreSQL for tests: {HOW}")
    try:
        return PgServer(url)
    except ImportError:
        pytest.skip("psycopg is not installed: pip install -e '.[test]'")
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server is a reason to skip, said as such
        pytest.skip(f"PostgreSQL at {make_url(url).render_as_string()} does not answer ({type(exc).__name__}: {exc}); {HOW}")
