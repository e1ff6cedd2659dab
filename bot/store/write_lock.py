"""Another process's write lock, waited for without stopping the server's event loop.

SQLite's busy wait (the connection's busy timeout, 30 s) sleeps in the thread that asked: in the
server that is the event loop's, so while cron's ``jobs run-due``, a script or a second server
held the write lock for seconds, no request was answered. :func:`take` asks for the lock without
the busy wait and, while another connection holds it, asks again after short sleeps that let the
loop serve everything else. A request whose platform wants its answer soon (Slack: 3 s) sets its
deadline once (:func:`wait_for_lock_until`); its writes then give up with :class:`LedgerBusy`
once it is spent, before anything is written. Background work waits the busy timeout, or as long
as it takes where it records what a post did (``math.inf``).

In the tests ``UNGATED`` is a list: a write in the server that would take the lock with SQLite's
busy wait (a group opened without :meth:`~bot.store.group.GroupCommit.writable`, or a statement
that writes outside any transaction) is noted there, and fails the test that made it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import sqlite3
import traceback
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar

from bot import texts

#: When a list (the tests make it one): where the server took the write lock with SQLite's busy
#: wait, the event loop stopped, instead of through :func:`take`.
UNGATED: list[str] | None = None

#: How long the current request may wait for the write lock: until this loop time, in this task
#: (the tasks it spawns wait as background work does).
_DEADLINE: ContextVar[tuple[asyncio.Task[object] | None, float] | None] = ContextVar(
    "decisionbot_lock_deadline", default=None
)


#: Tasks asking for the lock again after a sleep now (another process holds it): see waiting().
_waiting = 0


def waiting() -> int:
    """How many tasks of this process wait for another process's write lock now (a stopping
    server lets the outbox's wait out: what a post taught is written before it stops)."""
    return _waiting


class LedgerBusy(sqlite3.OperationalError):
    """Another process held the ledger's write lock for longer than the caller could wait."""


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite gave up waiting for a lock another connection holds (SQLITE_BUSY)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == sqlite3.SQLITE_BUSY)
    return "database is locked" in str(exc)


def wait_for_lock_until(seconds: float) -> None:
    """The current request waits for the write lock ``seconds`` from now at most, all its writes
    together (a platform that wants its answer in 3 s: Slack); then :class:`LedgerBusy`."""
    loop = asyncio.get_running_loop()
    _DEADLINE.set((asyncio.current_task(loop), loop.time() + seconds))


def _request_wait(loop: asyncio.AbstractEventLoop) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None or deadline[0] is not asyncio.current_task(loop):
        return None
    return max(0.0, deadline[1] - loop.time())


async def take(begin: Callable[[], None], taken: Callable[[], bool], within: float | None, default: float) -> None:
    """Call ``begin`` (which opens a write transaction without SQLite's busy wait) until it does
    not find the lock busy, or ``taken()`` says another task of this loop opened it meanwhile;
    between tries, sleep 2 ms doubling to 50 ms. ``within`` seconds at most (None: what is left of
    the current request's wait, else ``default``), then :class:`LedgerBusy`."""
    loop = asyncio.get_running_loop()
    if within is None:
        within = _request_wait(loop)
    if within is None:
        within = default
    limit = loop.time() + within
    pause = 0.002
    global _waiting
    counted = False
    try:
        while not taken():
            try:
                begin()
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
            left = limit - loop.time()
            if left <= 0:
                raise LedgerBusy(texts.ledger_busy(within))
            if not counted:
                counted, _waiting = True, _waiting + 1
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)
    finally:
        if counted:
            _waiting -= 1


def begin_now(conn: sqlite3.Connection, timeout: int | None = None) -> None:
    """``BEGIN IMMEDIATE`` without SQLite's busy wait: at once, or "database is locked"; the
    connection's busy timeout (``timeout`` ms, read when not given) is put back after."""
    if timeout is None:
        timeout = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
    conn.execute("PRAGMA busy_timeout=0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.execute(f"PRAGMA busy_timeout={timeout}")


@contextlib.asynccontextmanager
async def holding(conn: sqlite3.Connection, within: float | None = None) -> AsyncIterator[None]:
    """For a connection no group commit serves (``rasa-actions``): its own ``BEGIN IMMEDIATE``,
    the lock waited for as :func:`take` does (the busy timeout at most), ``COMMIT`` at the end
    (``ROLLBACK`` on an error). The transactions opened inside are savepoints of it."""
    default = int(conn.execute("PRAGMA busy_timeout").fetchone()[0]) / 1000
    await take(functools.partial(begin_now, conn), lambda: False, within, default)
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# --- the tests' watch ----------------------------------------------------------------------------


def blocking() -> None:
    """The server is taking the write lock with SQLite's busy wait: noted in the tests."""
    if UNGATED is not None and (caller := _caller()) is not None:
        UNGATED.append(caller)


def watch(conn: sqlite3.Connection) -> None:
    """In the tests: note a statement of ``conn`` that writes outside any transaction (it takes
    the lock with SQLite's busy wait)."""
    if UNGATED is not None:
        conn.set_trace_callback(functools.partial(_autocommit_write, conn))


def _autocommit_write(conn: sqlite3.Connection, statement: str) -> None:
    written = UNGATED is not None and not conn.in_transaction and _WRITES.match(statement)
    if written and (caller := _caller()) is not None and UNGATED is not None:
        UNGATED.append(f"{statement[:60]!r} outside a transaction: {caller}")


_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _caller() -> str | None:
    """Where the code that wrote is: the innermost frames of the project outside the store; None
    for a test's own call into the server's parts (a test's frame on the stack)."""
    stack = traceback.extract_stack()
    if any("/tests/" in f.filename for f in stack):
        return None
    frames = [f for f in stack if "/bot/" in f.filename and "/bot/store/" not in f.filename]
    return " <- ".join(f"{f.filename.rsplit('/bot/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-4:]))
