"""Group commit: in the server, the writes of one event-loop pass share one ``COMMIT``.

A commit is the dearest part of a turn (the WAL frames of every page it touched). Under load
several requests arrive in the same pass of the event loop; their turns each run in a
``SAVEPOINT`` of one ``BEGIN IMMEDIATE`` transaction that commits at the start of the next pass
(``call_soon``), so a failing turn still rolls back alone and a commit is paid once per pass, not
once per turn. Nothing is acknowledged before it is committed: the server's middleware awaits
:meth:`GroupCommit.settled` before any response leaves, and the outbox never sends a reply of a
group still open (:meth:`GroupCommit.horizon`). When a commit fails every turn of the group is
lost together and every request waiting on it is answered 503, so the platform retries.

Outside the server (the CLI, the console, tests calling the dispatcher directly) nothing is
installed and :func:`bot.store.transaction` commits each transaction on its own.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable

from bot import texts

log = logging.getLogger("decisionbot.store")

#: The installed groups, by ``id()`` of their connection (sqlite3 connections take no weakref).
_INSTALLED: dict[int, GroupCommit] = {}


class GroupCommit:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._done: asyncio.Future[None] | None = None
        self._horizon = 0
        self.commits = 0

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
        """Make sure a group transaction is open; False when there is no running event loop in
        this thread (the caller then commits on its own)."""
        if self._done is not None:
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self._horizon = int(row[0])
        self._done = loop.create_future()
        loop.call_soon(self._commit)
        return True

    def _commit(self) -> None:
        done, self._done = self._done, None
        if done is None:
            return
        try:
            if self.conn.in_transaction:  # (a stray COMMIT elsewhere would have ended it already)
                self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error(texts.group_commit_failed(str(exc)))
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            done.set_exception(exc)
            done.exception()  # waiters see it; nobody waiting is not an error of its own
            return
        self.commits += 1
        done.set_result(None)

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

    def horizon(self) -> int | None:
        """The highest ``messages.id`` that is committed while a group is open (rows above it may
        still be rolled back); None when nothing is pending."""
        return self._horizon if self._done is not None else None


def installed(conn: sqlite3.Connection) -> GroupCommit | None:
    return _INSTALLED.get(id(conn))


async def settled(conn: sqlite3.Connection) -> None:
    """What ``conn`` wrote so far is committed (a no-op where no group is installed)."""
    group = installed(conn)
    if group is not None:
        await group.settled()
