"""What a driver error means to the person running Seedwatch, and what they can do about it.

SQLite and PostgreSQL report faults as text in a DBAPI exception; this maps the ones seen in
practice (full disk, damaged file, permissions, lock held, server gone) to one sentence with a
fix. Anything else keeps the driver's own words. Pure: no I/O.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

# (words in the driver's message, what to do); first match wins
_SQLITE = (
    (("database or disk is full", "disk full"), "the disk holding {file} is full: free space there (a running daemon retries by itself and recovers)"),
    (("file is not a database", "malformed", "file is encrypted", "corrupt"),
     "{file} is damaged or not a SQLite database: stop seedwatch, move the file aside and restore a backup "
     "(`sqlite3 FILE .recover` saves what is readable); seedwatch never replaces it by itself"),
    (("disk i/o error",), "the disk holding {file} reported an I/O error: check the disk (dmesg) and the free space"),
    (("readonly database", "read-only", "attempt to write"), "{file} cannot be written: check the permissions of the file and its folder (status, feeds, alerts and stories only read)"),
    (("unable to open database file", "cannot open"), "{file} cannot be opened: check that its folder exists and that this user may read it (and write it, for run and once)"),
    (("database is locked", "database table is locked"), "another process held the write lock of {file} for more than 10 s: is a backup or a second tool holding it?"),
)
_SERVER = (
    # before "cannot be reached": psycopg 3 words a refused login "connection to server at ... failed: FATAL: ..."
    (("password authentication failed", 'role "', 'database "'), "the database refused these credentials or this database name: check monitor.state"),
    (("connection refused", "could not connect", "connection to server", "connection is bad", "server closed the connection", "terminating connection",
      "connection is closed", "connection timeout", "could not translate host name", "no route to host", "consuming input failed"),
     "the database server cannot be reached: check that it runs and accepts connections (a running daemon reconnects by itself)"),
    (("read-only transaction",), "the database is in read-only mode: is this a standby server?"),
    (("no space left", "disk full", "could not extend file"), "the database server is out of disk space: free space there (a running daemon retries by itself)"),
)


def describe(exc: SQLAlchemyError, path: Path | None, disk_full: bool = False) -> str:
    """The driver's message followed by what it means and the fix, e.g.
    "database or disk is full; the disk holding /var/lib/seedwatch/seedwatch.db is full: free space there ...".

    `disk_full`: the caller saw no free space beside the file; SQLite reports a full disk as an
    I/O error when it is the -shm file that could not grow.
    """
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    message = cause[0] if cause else type(exc).__name__
    lowered = " ".join(cause).lower() + (" disk full" if disk_full else "")
    for words, advice in _SQLITE if path is not None else _SERVER:
        if any(w in lowered for w in words):
            return f"{message}; {advice.format(file=path)}"
    return message
