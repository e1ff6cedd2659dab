"""SQLite storage: one file, WAL, foreign keys on, explicit transactions (opening it: :mod:`bot.store.opening`).

Admin and bulk work goes through sqlite-utils; the turn's hot path uses prepared SQL on the
same connection (sqlite-utils' ``Table.insert`` issues 6-11 statements per row).
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlite_utils import Database

from bot.store.group import commit_others, installed
from bot.store.group_requests import in_request

# the ledger opened, read-only or to write, and its WAL kept small: said here, where callers look
from bot.store.opening import (
    BUSY_TIMEOUT_MS,
    LEDGER_MODE,
    WAL_BOUND_BYTES,
    checkpoint,
    in_use,
    is_read_only,
    open_db,
    open_readonly,
    refuse_read_only,
    upgrade,
)
from bot.store.write_lock import is_busy  # the store's word for "locked by another connection"

__all__ = [
    "BUSY_TIMEOUT_MS",
    "LEDGER_MODE",
    "WAL_BOUND_BYTES",
    "checkpoint",
    "dicts",
    "in_use",
    "is_busy",
    "is_read_only",
    "iso",
    "kept_write",
    "one_statement",
    "open_db",
    "open_readonly",
    "refuse_read_only",
    "transaction",
    "upgrade",
    "utc_now",
]

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds: 2026-11-28T10:15:00.123Z."""
    # 02:00 and 02:00 (fold=1) of one zone compare equal (and hash alike) though they are an
    # hour apart (the repeated autumn hour): the fold is part of the key
    return _iso(moment, moment.fold)


#: "00" to "59": a moment's two-digit fields looked up, not formatted (a third of the cost of
#: isoformat(), which formats the "+00:00" cut off too, or of %-formatting the fields)
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))


@functools.lru_cache(maxsize=256)  # a turn stamps every row with the same moment
def _iso(moment: datetime, fold: int) -> str:
    u = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    d = _TWO_DIGITS  # (a year before 1000 unpadded, as strftime wrote it)
    return f"{u.year}-{d[u.month]}-{d[u.day]}T{d[u.hour]}:{d[u.minute]}:{d[u.second]}.{u.microsecond // 1000:03d}Z"


def dicts(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    """The rows of ``cur``, each a dict by column name."""
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@contextmanager
def transaction(db: Database) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: the write lock is taken up front, so two processes
    on one file serialise their turns instead of failing half-way. In the server (a
    :class:`~bot.store.group.GroupCommit` installed) it is a ``SAVEPOINT`` of the pass's group
    transaction instead: all or nothing on its own, committed with the group; so is a transaction
    opened inside another. Never hold one across an ``await``: the savepoints of requests running
    meanwhile would nest in it. A request whose handler fails after releasing one has the group
    rolled back (:func:`bot.store.group.abandon`)."""
    conn = db.conn
    grouped = installed(conn)
    if grouped is not None and grouped.join():  # a savepoint of the group open in this pass
        conn.execute("SAVEPOINT turn")
        grouped.depth += 1
        try:
            yield conn
        except BaseException as exc:
            grouped.depth = max(0, grouped.depth - 1)
            try:  # some errors (disk full, I/O) make SQLite roll back the whole transaction itself
                conn.execute("ROLLBACK TO turn")
                conn.execute("RELEASE turn")
            except sqlite3.Error:
                grouped.fail(exc)
            raise
        grouped.depth = max(0, grouped.depth - 1)
        conn.execute("RELEASE turn")
        if not grouped.depth:  # the request's own writes now: they go if the request fails
            grouped.kept()
        return
    if conn.in_transaction:  # a savepoint of the open one
        conn.execute("SAVEPOINT turn")
        try:
            yield conn
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back the whole transaction
                conn.execute("ROLLBACK TO turn")
                conn.execute("RELEASE turn")
            raise
        conn.execute("RELEASE turn")
        return
    commit_others(conn)  # a group of this thread holding the lock would never let it go meanwhile
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def one_statement(db: Database) -> Iterator[sqlite3.Connection]:
    """:func:`transaction` for a write of one statement (SQLite undoes a failed statement whole,
    so it needs no savepoint to be all or nothing): in the server's open group, or inside another
    transaction, it is written there without a ``SAVEPOINT``/``RELEASE`` pair of its own; elsewhere
    it is its own transaction. Nothing may be written in it but that one statement."""
    conn = db.conn
    grouped = installed(conn)
    if grouped is not None and grouped.join():
        try:
            yield conn
        except sqlite3.Error as exc:
            if not conn.in_transaction:  # disk full, I/O: SQLite rolled the whole group back itself
                grouped.fail(exc)
            raise
        if not grouped.depth:  # the request's own write now: it goes if the request fails
            grouped.kept()
        return
    if conn.in_transaction:
        yield conn
        return
    with transaction(db) as conn:
        yield conn


def kept_write(db: Database, write: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``write(conn)`` in :func:`transaction` and return what it returns: a write recording
    what background work did outside the ledger (a message posted: its thread, its widgets, its
    card), which nobody would do again. In the server, outside a request, ``write`` is kept with
    the open group and run again after the group is lost (a failed request's abandon, a failed
    commit; see :mod:`bot.store.group`), so the ledger keeps knowing what the platform shows.
    ``write`` must write only what the caller knows in memory: it may run again after a rollback
    has undone whatever else it could read. Inside a request, or inside another transaction, it is
    an ordinary one (it goes with the request, which comes again)."""
    with transaction(db) as conn:
        result = write(conn)
    grouped = installed(db.conn)
    if grouped is not None and grouped.open and not grouped.depth and not in_request():
        grouped.keep_write(write)
    return result
