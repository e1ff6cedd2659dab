"""Whether the ledger takes commits, as the server's group commit sees it (bot/store/group.py).

On a full disk every commit that writes fails, thousands a minute under load: each failure is
counted, one line a minute per kind is logged (the rest counted on the next line), and the first
commit that writes again ends the run of failures, saying so. A commit that wrote nothing (a
timer that found nothing due) goes through on a full disk too: it ends nothing."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Hashable

from bot import texts
from bot.refusals import RefusalLog

log = logging.getLogger("decisionbot.store")

#: Seconds ``/healthz`` says failing after a request last gave up on another process's write lock.
BUSY_SHOWN = 60.0


class CommitHealth:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.failures = RefusalLog(log, logging.ERROR)
        self.failed = 0  # commits lost since the last one that wrote
        self._changes = conn.total_changes
        self._busy_at: float | None = None  # when a request last gave up waiting for another process's lock

    def busy(self) -> None:
        """A request gave up waiting for the write lock another process holds (answered 503)."""
        self._busy_at = time.monotonic()

    def locked_out(self) -> bool:
        """Whether a request gave up on another process's write lock within :data:`BUSY_SHOWN`
        seconds: ``/healthz`` and ``/metrics`` say failing meanwhile (they said ok while every
        request was answered 503), and ok again on their own once that is over."""
        return self._busy_at is not None and time.monotonic() - self._busy_at < BUSY_SHOWN

    def begun(self) -> None:
        """A group transaction begins: what it writes is counted from here."""
        self._changes = self.conn.total_changes

    def lost(self, kind: Hashable, why: Callable[[str], str], problem: str) -> None:
        """A group was lost: counted, and logged unless one of its ``kind`` was within the minute."""
        self.failed += 1

        def line(problem: str, left_out: int) -> str:
            return why(problem) + texts.failures_left_out(left_out)

        self.failures.tell(kind, line, problem)

    def committed(self) -> None:
        """A group committed: if it wrote, a run of failures is over (said when there was one)."""
        if self.conn.total_changes == self._changes:
            return
        self._busy_at = None  # it wrote: the lock another process held is free again
        if self.failed > 1:
            log.info(texts.group_commits_again(self.failed))
            self.failures.forget()  # the next failure is told at once
        self.failed = 0
