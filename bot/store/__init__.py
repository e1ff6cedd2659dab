"""SQLite storage: one file, WAL, foreign keys on, explicit transactions.

Admin and bulk work goes through sqlite-utils; the turn's hot path uses prepared SQL on the
same connection (sqlite-utils' ``Table.insert`` issues 6-11 statements per row).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlite_utils import Database

from bot.store import migrations
from bot.store.group import installed


def utc_now() -> datetime:
    return datetime.now(UTC)


@functools.lru_cache(maxsize=256)  # a turn stamps every row with the same moment
def iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds: 2026-11-28T10:15:00.123Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def open_db(path: str | Path, *, migrate: bool = True, synchronous: str = "NORMAL") -> Database:
    """Open (creating if needed) the ledger at ``path`` and bring its schema up to date."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    # WAL checkpoints are run off the turn's hot path (see checkpoint()); left to SQLite they
    # land inside a random commit and put 3-5 ms on the p99 of turns.
    conn.execute("PRAGMA wal_autocheckpoint=0")
    db = Database(conn)
    if migrate:
        migrations.apply(db)
    return db


def open_readonly(path: str | Path) -> Database:
    """A connection that cannot write: for analysts' queries and exports."""
    uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"  # a '#' or '?' in the path is not the URI's
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only=ON")
    return Database(conn)


def checkpoint(db: Database) -> None:
    """Copy the WAL back into the database file without waiting for readers (not while a
    transaction of this connection is open: then at the next call)."""
    if not db.conn.in_transaction:
        db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


@contextmanager
def transaction(db: Database) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock is taken up front, so two processes
    on one file serialise their turns instead of failing half-way. In the server (a
    :class:`~bot.store.group.GroupCommit` installed) it is a ``SAVEPOINT`` of the pass's group
    transaction instead: all or nothing on its own, committed with the group."""
    conn = db.conn
    grouped = installed(conn)
    if grouped is not None and grouped.join():
        conn.execute("SAVEPOINT turn")
        try:
            yield conn
        except BaseException as exc:
            try:  # some errors (disk full, I/O) make SQLite roll back the whole transaction itself
                conn.execute("ROLLBACK TO turn")
                conn.execute("RELEASE turn")
            except sqlite3.Error:
                grouped.fail(exc)
            raise
        conn.execute("RELEASE turn")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
