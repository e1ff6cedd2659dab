"""Group commit: in the server, the writes of one event-loop pass share one ``COMMIT``.

A commit is the dearest part of a turn (the WAL frames of every page it touched). Under load
several requests arrive in the same pass of the event loop; their turns each run in a
``SAVEPOINT`` of one ``BEGIN IMMEDIATE`` transaction that commits at the start of the next pass
(``call_soon``), so a failing turn still rolls back alone and a commit is paid once per pass, not
once per turn. Nothing is acknowledged before it is committed: the server's middleware awaits
:meth:`GroupCommit.settled` before any response leaves, and the outbox never sends a reply of a
group still open (:meth:`GroupCommit.horizon`). When a commit fails every turn of the group is
lost together and every request waiting on it is answered 503, so the platform retries. So is it
when a request fails after releasing writes into the open group (:func:`abandon`): a released
savepoint cannot be taken out of the group again, and nothing of a failed request may be kept (its
delivery id would make the platform's retry a dropped repeat). Its savepoints never span an
``await``, so whatever a request writes between two awaits is in one group, still open when it
fails there; what it wrote before an await may be committed by then (the Teams conversation
reference and the people an activity names, which its retry writes again).

Who writes into a group, and what a loss does to each:

- a request (an aiohttp handler, a Socket Mode ack: :func:`track`) writes what it was sent; all of
  it goes with a lost group, and the platform sends the request again;
- background work that only works things out from the ledger (the scheduler's job turns and
  claims, the housekeeping's upkeep, the outbox lease's renewal, which the lease believes only once
  committed) writes into the group too; a lost group delays it: it is done again;
- background work that records what already happened outside the ledger (what a post taught the
  outbox: a Slack thread's root, a prompt with widgets, a run's thread closed, a Teams card or
  thread; a refusal, the parts of a reply sent) must not lose it, since nobody does it again: it
  writes through :func:`bot.store.kept_write`, whose closure is kept with the group and run again,
  in a new group opened at once, before anything else reads the ledger, when the group is lost
  (:meth:`GroupCommit.fail`: an abandon or a failed commit; after KEPT_TRIES losses in a row it is
  given up, logged). A kept closure writes only what its caller knows in memory: it may run after
  the rollback undid whatever else it could read. The outbox's mark of a delivered reply has its
  own way back (``Sender.unmarked``, marked once its group is known committed): not run again here.

Outside the server (the CLI, the console, tests calling the dispatcher directly) nothing is
installed and :func:`bot.store.transaction` commits each transaction on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from bot import texts
from bot.store import write_lock
from bot.store.commit_health import CommitHealth
from bot.store.group_requests import _WRITTEN, Written

log = logging.getLogger("decisionbot.store")

#: The installed groups, by ``id()`` of their connection (sqlite3 connections take no weakref).
_INSTALLED: dict[int, GroupCommit] = {}
#: How many lost groups in a row a kept write is run again after (a commit that keeps failing).
KEPT_TRIES = 3

#: A write :func:`bot.store.kept_write` keeps: it writes into the connection it is given.
Write = Callable[[sqlite3.Connection], object]


@dataclass
class Kept:
    write: Write
    losses: int = 0


class GroupCommit:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.file = _file(conn)  # "" for a database in memory: never another connection's
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the open group commits on
        self._done: asyncio.Future[None] | None = None
        self._horizon = 0
        self.commits = 0
        self.depth = 0  # savepoints open now (never across an await: see bot.store.transaction)
        self._on_rollback: list[Callable[[], object]] = []
        self._kept: list[Kept] = []  # background writes to run again if the open group is lost
        self.health = CommitHealth(conn)  # failures counted, a line a minute: a full disk fails thousands
        self.busy_timeout_ms = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        write_lock.watch(conn)  # in the tests: a write outside any transaction takes the lock with the loop stopped

    @classmethod
    def install(cls, conn: sqlite3.Connection) -> GroupCommit:
        group = _INSTALLED[id(conn)] = cls(conn)
        return group

    def uninstall(self) -> None:
        if _INSTALLED.get(id(self.conn)) is self:
            del _INSTALLED[id(self.conn)]

    @property
    def open(self) -> bool:
        return self._done is not None

    def join(self) -> bool:
        """Make sure a group transaction is open, and count it among the current request's
        writes; False when there is no running event loop in this thread (the caller then
        commits on its own)."""
        if self._done is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return False
            self._begin(loop)
        written, done = _WRITTEN.get(), self._done
        if written is not None and done is not None and done not in written:
            written.append(done)
        return True

    def _begin(self, loop: asyncio.AbstractEventLoop, wait: bool = True) -> None:
        commit_others(self.conn, self.file)
        if wait:
            write_lock.blocking()
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            write_lock.begin_now(self.conn, self.busy_timeout_ms)
        try:
            row = self.conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self._horizon = int(row[0])
        self.health.begun()
        self._loop = loop
        self._done = loop.create_future()
        loop.call_soon(self._commit)

    def _free(self) -> bool:
        """Whether the write lock was free just now: the group is then open (see _redo)."""
        try:
            self._begin(asyncio.get_running_loop(), wait=False)
        except sqlite3.OperationalError as exc:
            if not write_lock.is_busy(exc):
                raise
            return False
        return True

    def keep_write(self, write: Write) -> None:
        """``write`` (a background write, just released into the open group) is run again if the
        group is lost: see :func:`bot.store.kept_write`."""
        if self._done is not None:
            self._kept.append(Kept(write))

    def kept(self) -> None:
        """The current request's outermost savepoint was released into the open group: its writes
        are the group's now, and go with the group if the request fails (see :func:`abandon`)."""
        written = _WRITTEN.get()
        if written is not None and self._done is not None and self._done not in written.kept:
            written.kept.append(self._done)

    def on_rollback(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` whenever a group is lost (caches of rows it wrote must be dropped)."""
        self._on_rollback.append(callback)

    def _commit(self) -> None:
        done = self._done
        if done is None:
            return
        try:
            if not self.conn.in_transaction:
                raise sqlite3.OperationalError("the transaction ended before its commit (rolled back by SQLite)")
            self.conn.execute("COMMIT")
        except Exception as exc:
            self.fail(exc)
            return
        self._done = None
        self._kept.clear()
        self.commits += 1
        self.health.committed()
        done.set_result(None)

    def fail(self, exc: BaseException, why: Callable[[str], str] = texts.group_commit_failed) -> None:
        """The open group is lost (a failed commit, SQLite rolled the whole transaction back after
        an error, or a request that wrote into it failed): roll back what is left and tell
        everyone waiting on it."""
        done, self._done = self._done, None
        kept, self._kept = self._kept, []
        nested = self.depth > 0  # called from a savepoint's rollback with outer savepoints unwinding
        self.depth = 0
        self.health.lost((getattr(why, "func", why), str(exc)), why, str(exc))
        with contextlib.suppress(Exception):
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        for callback in self._on_rollback:
            with contextlib.suppress(Exception):
                callback()
        if done is not None and not done.done():
            done.set_exception(sqlite3.OperationalError(f"group commit lost: {exc}"))
            done.exception()  # waiters see it; nobody waiting is not an error of its own
        if kept and nested:  # once the outer savepoints have gone (none spans an await)
            asyncio.get_running_loop().call_soon(self._redo, kept)
        elif kept:
            self._redo(kept)

    def _redo(self, kept: list[Kept]) -> None:
        """Run the kept writes of a lost group again, each in a savepoint of a group opened now
        (or open by now), and keep them with it; before anything else reads the ledger. A write
        that fails, or whose group was lost KEPT_TRIES times, is given up (logged)."""
        for entry in kept:
            entry.losses += 1
            if entry.losses > KEPT_TRIES:
                log.error(texts.kept_write_lost(_name(entry.write), texts.kept_write_lost_too_often(KEPT_TRIES)))
        kept = [entry for entry in kept if entry.losses <= KEPT_TRIES]
        try:
            if kept and self._done is None and not self._free():  # at once, before anything else
                # reads the ledger: the loop waits for another process's lock here (rare; see writable)
                self._begin(asyncio.get_running_loop())
        except (sqlite3.Error, RuntimeError) as exc:
            log.error(texts.kept_writes_lost(len(kept), f"{type(exc).__name__}: {exc}"))
            return
        for entry in kept:
            try:
                self.conn.execute("SAVEPOINT kept")
                try:
                    entry.write(self.conn)
                except BaseException:
                    self.conn.execute("ROLLBACK TO kept")
                    raise
                finally:
                    self.conn.execute("RELEASE kept")
            except Exception as exc:
                log.error(texts.kept_write_lost(_name(entry.write), f"{type(exc).__name__}: {exc}"))
                continue
            self._kept.append(entry)

    async def writable(self, within: float | None = None) -> None:
        """Make sure a group transaction is open, holding the ledger's write lock, without stopping
        the event loop while another process holds that lock (see :func:`bot.store.write_lock.take`:
        ``within`` seconds at most, by default what is left of the current request's wait, else the
        busy timeout; then ``LedgerBusy``). Call it right before code that writes, with no
        ``await`` between: the group it opened is still open there. Code that writes without it
        first still works: its transaction waits for the lock with the loop stopped."""
        if self._done is None:
            loop = asyncio.get_running_loop()
            opened = functools.partial(self._begin, loop, wait=False)
            await write_lock.take(opened, lambda: self._done is not None, within, self.busy_timeout_ms / 1000)

    async def settled(self) -> None:
        """Return once everything written so far is committed; raise ``sqlite3.Error`` when that
        commit failed (its writes are gone)."""
        if self._done is not None:
            await asyncio.shield(self._done)

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once the open group has committed (or failed); at once when none is open."""
        if self._done is None:
            callback()
        else:
            self._done.add_done_callback(lambda _: callback())

    def after_commit_told(self, callback: Callable[[bool], object]) -> None:
        """As :meth:`after_commit`, telling ``callback`` whether the group is known to have
        committed: True once it has; False when it was lost, or when none was open (then the
        caller looks for itself)."""
        if self._done is None:
            callback(False)
        else:
            self._done.add_done_callback(lambda done: callback(not done.cancelled() and done.exception() is None))

    def on_commit(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once the open group has committed, never when it is lost; at once
        when none is open."""
        if self._done is None:
            callback()
        else:
            self._done.add_done_callback(lambda done: None if done.cancelled() or done.exception() else callback())

    def horizon(self) -> int | None:
        """The highest ``messages.id`` that is committed while a group is open (rows above it may
        still be rolled back); None when nothing is pending."""
        return self._horizon if self._done is not None else None


async def committed(written: list[asyncio.Future[None]], conn: sqlite3.Connection) -> None:
    """Return once every group in ``written`` (and any still open on ``conn``) has committed;
    raise ``sqlite3.Error`` when one of them was lost: the request must not be acknowledged."""
    for done in written:
        await asyncio.shield(done)
    await settled(conn)


def abandon(written: Written, exc: BaseException) -> bool:
    """The request that wrote ``written`` failed: nothing of it may be committed. Its savepoints
    that rolled back took their writes along; when it kept writes in a group still open, that
    group is rolled back whole (savepoints, once released, cannot be taken out of it again), and
    the other requests in it are answered 503 and sent again. True when a group was lost so."""
    lost = False
    for done in written.kept:
        if done.done():  # committed already: written before an await (only facts the retry rewrites)
            continue
        for group in list(_INSTALLED.values()):
            if group._done is done:
                group.fail(exc, functools.partial(texts.request_failed_group_lost, type(exc).__name__))
                lost = True
    return lost


def on_commit(conn: sqlite3.Connection, callback: Callable[[], object]) -> None:
    """Call ``callback`` once what ``conn`` wrote so far is committed, never when it is lost; at
    once where nothing is pending."""
    group = installed(conn)
    if group is None:
        callback()
    else:
        group.on_commit(callback)


def _name(write: Write) -> str:
    func = write.func if isinstance(write, functools.partial) else write
    return str(getattr(func, "__qualname__", None) or repr(func))


def commit_others(conn: sqlite3.Connection, file: str | None = None) -> None:
    """Before ``conn`` takes the write lock: commit now the open groups of other connections of
    this thread's event loop on the same file (two servers in one process on one ledger, as the
    tests run a rolling restart). Their lock is released only by a commit this thread runs at its
    next pass, so waiting for it here would wait for ourselves until the busy timeout and fail
    with "database is locked". Committing a group early is safe: no savepoint of it is open
    between two awaits. Another process's groups are waited for as usual (the busy timeout)."""
    others = [g for g in _INSTALLED.values() if g.conn is not conn and g._done is not None and not g.depth]
    if not others:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    file = _file(conn) if file is None else file
    for other in others:
        if file and other._loop is loop and other.file == file:
            other._commit()


def _file(conn: sqlite3.Connection) -> str:
    """The file of ``conn``'s main database ("" for one in memory)."""
    return str(conn.execute("PRAGMA database_list").fetchone()[2] or "")


def installed(conn: sqlite3.Connection) -> GroupCommit | None:
    return _INSTALLED.get(id(conn))


def horizon(conn: sqlite3.Connection) -> int | None:
    """The highest committed ``messages.id`` while a group is open on ``conn``; None otherwise."""
    group = installed(conn)
    return group.horizon() if group is not None else None


async def writable(conn: sqlite3.Connection, within: float | None = None) -> None:
    """:meth:`GroupCommit.writable` of the group installed on ``conn``; at once where none is."""
    group = installed(conn)
    if group is not None:
        await group.writable(within)


def busy(conn: sqlite3.Connection) -> None:
    """A request gave up waiting for another process's write lock (see :meth:`CommitHealth.busy`)."""
    group = installed(conn)
    if group is not None:
        group.health.busy()


async def settled(conn: sqlite3.Connection) -> None:
    """What ``conn`` wrote so far is committed (a no-op where no group is installed)."""
    group = installed(conn)
    if group is not None:
        await group.settled()
