"""Numbered schema migrations, and the version check every open makes.

The database records the number of the last migration applied (`meta.schema_version`).
Opening an empty database creates the newest schema at once; an older one is migrated step by
step, each step recording its number; a database newer than this code is refused (an older
Seedwatch must not write to a schema it does not know). Everything runs in one write
transaction, under an advisory lock on PostgreSQL, so instances starting together on one
database migrate it once.

Steps are written to tolerate what they find (a column already there, a table already made),
because stores from before numbered migrations all recorded "1" whatever their shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, inspect, select
from sqlalchemy.engine import Connection

from monitor.errors import StoreError
from monitor.store import schema

# pg_advisory_xact_lock key for migrations ("seedwatch" in ASCII, as a bigint)
MIGRATION_LOCK = 0x73656564776174


@dataclass(frozen=True)
class Migration:
    version: int
    purpose: str
    apply: Callable[[Connection], None]


def _create_missing(conn: Connection, *tables: str) -> None:
    for name in tables:
        schema.metadata.tables[name].create(conn, checkfirst=True)


def _add_missing_columns(conn: Connection, table: str, *names: str) -> None:
    """ALTER TABLE ADD COLUMN for each named (nullable) column the table lacks."""
    have = {c["name"] for c in inspect(conn).get_columns(table)}
    for name in names:
        if name in have:
            continue
        column: Column = schema.metadata.tables[table].c[name]
        kind = column.type.compile(dialect=conn.dialect)
        conn.exec_driver_sql(f'ALTER TABLE {table} ADD COLUMN "{name}" {kind}')


def _first_release(conn: Connection) -> None:
    _create_missing(conn, "feeds", "items", "alerts", "deliveries", "meta")


def _health_sinks_stories(conn: Connection) -> None:
    _add_missing_columns(conn, "feeds", "fetch_url", "failing_since", "last_new", "cadence", "health")
    _create_missing(conn, "sinks", "stories", "story_items")


# Columns the first schemas declared as VARCHAR(n); PostgreSQL enforces n, SQLite never did.
_UNBOUNDED = {
    "feeds": ("url", "name", "etag", "last_modified", "fetch_url"),
    "items": ("canonical_url", "feed_url", "url", "source"),
    "alerts": ("seed_id",),
    "deliveries": ("sink",),
    "sinks": ("name", "url"),
    "stories": ("seed_id",),
    "story_items": ("seed_id",),
}


def _unbounded_text(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table, columns in _UNBOUNDED.items():
        alter = ", ".join(f'ALTER COLUMN "{c}" TYPE TEXT' for c in columns)
        conn.exec_driver_sql(f"ALTER TABLE {table} {alter}")


def _delivery_claims(conn: Connection) -> None:
    _create_missing(conn, "deliveries")
    _add_missing_columns(conn, "deliveries", "claimed_by", "claimed_until")


def _vector_cache(conn: Connection) -> None:
    _create_missing(conn, "vectors")


def _seed_states_and_feedback(conn: Connection) -> None:
    _create_missing(conn, "seed_states", "feedback")


def _story_events_and_vectors(conn: Connection) -> None:
    _add_missing_columns(conn, "story_items", "event_id", "marks", "why")
    _create_missing(conn, "item_vectors")


def _instances_and_leases(conn: Connection) -> None:
    _add_missing_columns(conn, "feeds", "leased_by", "leased_until")
    _create_missing(conn, "instances")


# Numbers need not be consecutive: a step is applied when its number is above the recorded one.
MIGRATIONS = (
    Migration(1, "tables of the first release", _first_release),
    Migration(2, "feed health, sinks and stories (added during 0.1)", _health_sinks_stories),
    Migration(3, "unbounded text for URLs, names and seed ids", _unbounded_text),
    Migration(4, "delivery claims, so two senders never send one row at once", _delivery_claims),
    Migration(5, "sentence vectors cached by content", _vector_cache),
    Migration(6, "story events: event, marks and evidence per story item; item vectors", _story_events_and_vectors),
    Migration(7, "seed profile digests and relevance feedback", _seed_states_and_feedback),
    Migration(8, "live instances and feed leases, so several daemons on one database share the feeds", _instances_and_leases),
)
LATEST = MIGRATIONS[-1].version


def recorded_version(conn: Connection) -> int | None:
    """The schema version the database records; 0 for a store older than versioning; None when empty."""
    tables = set(inspect(conn).get_table_names())
    if "meta" in tables:
        value = conn.scalar(select(schema.meta.c.value).where(schema.meta.c.key == "schema_version"))
        if value is not None:
            return int(value)
    return 0 if "feeds" in tables else None


def check_readable(conn: Connection, where: str) -> int:
    """The version of a store a read-only command may read: exactly LATEST (nothing is migrated here)."""
    found = recorded_version(conn)
    if found is None:
        raise StoreError(f"{where}: holds no seedwatch state yet; `seedwatch once` or `seedwatch run` creates it")
    if found > LATEST:
        raise _newer(where, found)
    if found < LATEST:
        raise StoreError(
            f"{where}: the state store has schema version {found}, older than this seedwatch's ({LATEST}); "
            "migrate it by running `seedwatch once` or `seedwatch run` (with write access), then read it again"
        )
    return found


def _newer(where: str, found: int) -> StoreError:
    return StoreError(
        f"{where}: the state store has schema version {found}, newer than this seedwatch knows ({LATEST}); "
        "run the newer seedwatch that wrote it, or point monitor.state at another store"
    )


def upgrade(conn: Connection, where: str) -> int:
    """Bring the schema to LATEST inside the caller's write transaction; returns the version found
    (None-empty databases report LATEST). StoreError for a database newer than this code."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    found = recorded_version(conn)
    if found is None:
        schema.metadata.create_all(conn)
        record(conn, LATEST)
        return LATEST
    if found > LATEST:
        raise _newer(where, found)
    if found <= 1:
        _first_release(conn)  # stores before numbered migrations recorded "1" whatever tables they had
    for step in MIGRATIONS:
        if step.version > found:
            step.apply(conn)
            record(conn, step.version)
    return found


def record(conn: Connection, version: int) -> None:
    table = schema.meta
    if conn.scalar(select(table.c.value).where(table.c.key == "schema_version")) is None:
        conn.execute(table.insert().values(key="schema_version", value=str(version)))
    else:
        conn.execute(table.update().where(table.c.key == "schema_version").values(value=str(version)))
